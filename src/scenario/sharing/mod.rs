//! `gilsim sharing`: N threads each doing the same operations on an object of its own, or on
//! one object they all share (a list's append, a dict's item update, an attribute's
//! increment, a read of one module-level object), under each interpreter given — a
//! free-threaded build (without its GIL) beside its GIL build is the point. Each trial is a
//! fresh interpreter process running `python/drivers/sharing.py`, which times the threads
//! between a start line and the last join and reads the process's CPU time over that span;
//! the settings run in shuffled rounds.
mod rows;
mod verdict;

pub use rows::SharingRow;

use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::runner::{external, rounds};
pub use crate::scenario::spec::{SharingSpec, SharingWorkload};
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::json;
use std::process::Command;

/// The driver: one setting per run, one JSON line back.
const DRIVER: &str = include_str!("../../../python/drivers/sharing.py");

/// Whether each thread works on an object of its own or all on one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sharing {
    Own,
    Shared,
}

impl Sharing {
    pub fn name(self) -> &'static str {
        match self {
            Sharing::Own => "own",
            Sharing::Shared => "shared",
        }
    }
}

/// One setting: interpreter, workload, sharing and thread count.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub python: usize,
    pub workload: SharingWorkload,
    pub sharing: Sharing,
    pub threads: usize,
}

/// What the driver prints for one trial.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Trial {
    pub wall_s: f64,
    pub cpu_s: f64,
    pub gil_enabled: bool,
}

fn settings(spec: &SharingSpec) -> Vec<Setting> {
    let mut out = Vec::new();
    for python in 0..spec.pythons.len() {
        for &workload in &spec.workloads {
            // Reading one module-level object is shared by nature: no "own" rows.
            let sharings: &[Sharing] = if workload == SharingWorkload::ReadGlobal {
                &[Sharing::Shared]
            } else {
                &[Sharing::Own, Sharing::Shared]
            };
            for &sharing in sharings {
                for &threads in &spec.threads {
                    out.push(Setting {
                        python,
                        workload,
                        sharing,
                        threads,
                    });
                }
            }
        }
    }
    out
}

fn run_trial(spec: &SharingSpec, s: &Setting) -> Result<Trial> {
    let python = &spec.pythons[s.python];
    let mut command = Command::new(&python.path);
    command
        .arg("-c")
        .arg(DRIVER)
        .args([
            s.workload.name().to_string(),
            s.sharing.name().to_string(),
            s.threads.to_string(),
            spec.iterations.to_string(),
        ])
        .envs(python.python_gil.map(|g| ("PYTHON_GIL", g.to_string())));
    let out =
        external::run(command, spec.timeout).with_context(|| format!("running {}", python.path))?;
    if out.exit_code != 0 {
        anyhow::bail!(
            "{} exited with code {} running the sharing driver",
            python.path,
            out.exit_code
        );
    }
    serde_json::from_str(out.stdout.trim())
        .with_context(|| format!("{} printed no result: {:?}", python.path, out.stdout))
}

pub fn run(spec: &SharingSpec) -> Result<Document<SharingRow>> {
    let settings = settings(spec);
    let mut trials: Vec<Vec<Trial>> = settings.iter().map(|_| Vec::new()).collect();
    let mut progress = Progress::new(settings.len() * spec.repeat);
    rounds::fixed(settings.len(), 11, spec.repeat, |turn| {
        let s = &settings[turn.setting];
        progress.start(&format!(
            "{} {} {} ×{} (Python {}) run {}/{}",
            s.workload.name(),
            s.sharing.name(),
            if s.threads == 1 { "thread" } else { "threads" },
            s.threads,
            spec.pythons[s.python].label(),
            turn.round + 1,
            spec.repeat
        ));
        trials[turn.setting].push(run_trial(spec, s)?);
        Ok(())
    })?;
    progress.finish();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rows = rows::build(&settings, &trials, spec, cpus);
    let verdict = verdict::write(&rows, cpus);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "sharing".into(),
        params: json!({
            "python": spec.pythons.iter().map(|p| p.label()).collect::<Vec<_>>(),
            "threads": spec.threads,
            "workloads": spec.workloads.iter().map(|w| w.name()).collect::<Vec<_>>(),
            "iterations": spec.iterations,
            "repeat": spec.repeat,
            "timeout_s": spec.timeout.as_secs_f64(),
        }),
        host: Host::new(None),
        results: rows,
        verdict,
    })
}
