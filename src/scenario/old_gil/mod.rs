//! `gilsim simulate --validate --gil old`: the old GIL's model against a real old interpreter.
//! Python 2.7 (pyenv's 2.7.18, where present) runs the study note's countdown on 1 and 2 threads as a
//! subprocess, measured from outside (wall, CPU, context switches from `wait4`). Its 1-thread
//! time calibrates the model's time per iteration; the 2-thread time is then predicted.
mod rows;

pub use rows::OldRow;

use crate::measure::rusage::Usage;
use crate::report::progress::Progress;
use crate::report::units::{seconds, thousands};
use crate::report::{Document, Host};
use crate::runner::external;
use crate::runner::order::shuffled_rounds;
use crate::scenario::countdown::external::run_driver;
use crate::scenario::spec::SimulateSpec;
use crate::sim::{self, Params, Policy, Scenario};
use crate::stats::{fast_half_mean, median};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// A Python 2.7 on this machine (PATH, pyenv or uv), as `gilsim interpreters` finds it.
pub fn python27() -> Result<PathBuf, String> {
    crate::interpreters::resolve("2.7").map(|i| PathBuf::from(i.path))
}

pub fn validate(spec: &SimulateSpec) -> Result<Document<OldRow>> {
    let python = match python27() {
        Ok(path) => path,
        Err(why) => bail!("the old GIL is validated against a real Python 2.7: {why}"),
    };
    let count = spec.count.unwrap_or(20_000_000);
    let timeout = Duration::from_secs_f64(spec.timeout);
    let threads = if spec.threads.is_empty() {
        vec![1, 2]
    } else {
        spec.threads.clone()
    };
    if !threads.contains(&1) {
        crate::usage_bail!("--threads must include 1: the 1-thread run calibrates the model");
    }
    let mut progress = Progress::new(threads.len() * spec.repeat);
    // Settings take turns in a fresh random order each round (see `runner::order`).
    let mut measured: Vec<(usize, Vec<_>)> = threads.iter().map(|&n| (n, Vec::new())).collect();
    for (i, k) in shuffled_rounds(threads.len(), spec.repeat, spec.seed)
        .into_iter()
        .enumerate()
    {
        let n = threads[k];
        progress.start(&format!(
            "Python 2.7, {n} thread{}, run {}/{}",
            if n == 1 { "" } else { "s" },
            i / threads.len() + 1,
            spec.repeat
        ));
        let (_, out) = run_driver(
            &python.to_string_lossy(),
            count,
            n,
            "threads",
            None,
            timeout,
        )
        .context("running Python 2.7")?;
        measured[k].1.push(out);
    }
    progress.finish();
    // As `simulate --validate` measures: the fastest half's mean (see `stats::fast_half`).
    let walls: Vec<f64> = measured
        .iter()
        .map(|(_, runs)| fast_half_mean(&runs.iter().map(|r| r.wall_s).collect::<Vec<_>>()))
        .collect();
    let one = walls[threads.iter().position(|&n| n == 1).expect("checked above")];
    let params = Params {
        source: "old-GIL defaults, time per iteration from Python 2.7's own 1-thread run".into(),
        iteration_s: one / count as f64,
        ..Params::default()
    };
    let rows: Vec<OldRow> = measured
        .iter()
        .zip(&walls)
        .map(|((n, runs), &wall)| {
            let predicted = sim::simulate(
                &params,
                &Scenario {
                    cpu_threads: *n,
                    count,
                    io_threads: 0,
                    cores: spec.cores.unwrap_or_else(|| {
                        std::thread::available_parallelism().map_or(1, |c| c.get())
                    }),
                    switch_interval_s: 0.005,
                    policy: Policy::Old,
                    seed: spec.seed,
                    duration_s: None,
                    record: false,
                    main_thread: false,
                    exact: true,
                },
            )
            .wall_s;
            OldRow {
                python: "2.7.18".into(),
                threads: *n,
                measured_wall_s: wall,
                measured_cpu_s: of(runs, &|u| u.cpu_s()),
                ctx_switches: (
                    of(runs, &|u| u.voluntary as f64) as i64,
                    of(runs, &|u| u.involuntary as f64) as i64,
                ),
                predicted_wall_s: predicted,
                wall_error: (predicted - wall) / wall,
                slowdown: wall / one,
            }
        })
        .collect();
    let verdict = rows
        .iter()
        .filter(|r| r.threads > 1)
        .map(|r| {
            format!(
                "Python 2.7 (old GIL) with {} threads took {} against {} on one (×{:.2}; Beazley measured ×1.8 for 2 threads on 2 cores with Python 2.6 in his 2009 talk \"Inside the Python GIL\"), CPU/wall {:.2}, {} voluntary / {} involuntary context switches; the old-GIL model predicted {} ({:+.1} %).",
                r.threads,
                seconds(r.measured_wall_s),
                seconds(one),
                r.slowdown,
                r.measured_cpu_s / r.measured_wall_s,
                thousands(r.ctx_switches.0.max(0) as u64),
                thousands(r.ctx_switches.1.max(0) as u64),
                seconds(r.predicted_wall_s),
                r.wall_error * 100.0
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "simulate-validate-old".into(),
        params: json!({"count": count, "threads": threads, "repeat": spec.repeat, "model": params}),
        host: Host::new(None),
        results: rows,
        verdict,
    })
}

/// The median of one usage figure over the runs.
fn of(runs: &[external::External], figure: &dyn Fn(&Usage) -> f64) -> f64 {
    median(&runs.iter().map(|r| figure(&r.usage)).collect::<Vec<_>>())
}
