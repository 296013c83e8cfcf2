//! The study note's `Pool.map`: start methods, start-up against work, and Rust's thread and process
//! pools doing the same map.
mod rows;
mod verdict;

pub use rows::PoolRow;

use crate::domain::PoolOutcome;
use crate::domain::PoolRuntime;
use crate::protocol::{Job, PoolTrial};
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::runner::Runner;
use crate::scenario::spec::PoolSpec;
use crate::scenario::{dedup, host, measure_job_on, run_interleaved, Outcome};
use anyhow::{Context, Result};
use serde_json::json;

pub fn trials(spec: &PoolSpec) -> Vec<PoolTrial> {
    let mut out = Vec::new();
    for runtime in dedup(&spec.runtimes) {
        let base = PoolTrial {
            runtime,
            method: None,
            start_method: None,
            workers: spec.workers,
            items: spec.items,
            chunksize: spec.chunksize,
            work: spec.work,
            python: None,
        };
        if runtime == PoolRuntime::PythonProcesses {
            for start_method in dedup(&spec.start_method) {
                for method in dedup(&spec.method) {
                    out.push(PoolTrial {
                        method: Some(method),
                        start_method: Some(start_method),
                        python: spec.python.clone(),
                        ..base.clone()
                    });
                }
            }
        } else {
            out.push(base);
        }
    }
    out
}

pub fn label(t: &PoolTrial) -> String {
    match (t.start_method, t.method) {
        (Some(sm), Some(m)) => format!("{} {} {}", t.runtime.name(), sm.name(), m.name()),
        _ => t.runtime.name().to_string(),
    }
}

pub fn run(spec: &PoolSpec) -> Result<Document<PoolRow>> {
    run_on(spec, &crate::runner::Workers)
}

/// `run` with the trials on `runner`.
pub fn run_on(spec: &PoolSpec, runner: &dyn Runner) -> Result<Document<PoolRow>> {
    let timeout = spec.timeout;
    let trials = trials(spec);
    let warmup = spec.warmup as usize;
    let mut progress = Progress::new(1 + trials.len() * (warmup + spec.repeat));
    let name = host::interpreter_name(spec.python.as_ref());
    progress.start(&format!("starting {name}"));
    let python = host::python_info_on(runner, spec.python.as_ref(), timeout)
        .with_context(|| format!("describing {name}"))?;

    // A trial that fails becomes an error row (a failing warm-up fails again when measured).
    let outcomes: Vec<Vec<Outcome<PoolOutcome>>> =
        run_interleaved(&trials, warmup, spec.repeat, &mut progress, label, |t| {
            measure_job_on(runner, &Job::Pool(t.clone()), timeout)
        })?;
    progress.finish();

    let results: Vec<PoolRow> = trials
        .iter()
        .zip(&outcomes)
        .map(|(t, o)| rows::build(t, o))
        .collect();
    let verdict = verdict::write(&results);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "pool".into(),
        params: json!({
            "workers": spec.workers,
            "items": spec.items,
            "start_method": dedup(&spec.start_method).iter().map(|m| m.name()).collect::<Vec<_>>(),
            "method": dedup(&spec.method).iter().map(|m| m.name()).collect::<Vec<_>>(),
            "chunksize": spec.chunksize,
            "work": spec.work,
            "runtimes": dedup(&spec.runtimes).iter().map(|r| r.name()).collect::<Vec<_>>(),
            "python": spec.python.as_ref().map(|p| p.label()),
            "repeat": spec.repeat,
            "warmup": spec.warmup,
            "timeout_s": spec.timeout.as_secs_f64(),
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PoolMethod, StartMethod};
    use crate::measure::gil::stats::GilStats;
    use crate::protocol::{Measured, Record};
    use crate::report::render;
    use crate::runner::Canned;
    use std::time::Duration;

    /// Figures a worker could have sent: spawn starts slowly, fork quickly, the Rust process
    /// pool fails, and the Rust thread pool maps fastest.
    fn answer(job: &Job) -> Record {
        let trial = match job {
            Job::Pool(trial) => trial,
            other => panic!("a pool run asked for {other:?}"),
        };
        let (startup, map) = match (trial.runtime, trial.start_method) {
            (PoolRuntime::RustProcesses, _) => {
                return Record::Error {
                    message: "could not start a child".into(),
                    traceback: None,
                }
            }
            (PoolRuntime::RustThreads, _) => (None, 0.01),
            (_, Some(StartMethod::Spawn)) => (Some(0.4), 0.1),
            _ => (Some(0.02), 0.1),
        };
        let total = startup.unwrap_or(0.0) + map;
        let python = trial.runtime == PoolRuntime::PythonProcesses;
        Record::Measured {
            wall_s: total,
            usage: Default::default(),
            gil: python.then(|| GilStats::counted("calibrated", 12, total)),
            data: Measured::Pool(PoolOutcome {
                startup_s: startup,
                workers_ready: trial.workers,
                map_s: map,
                total_s: total,
                sequential_s: 0.08,
                chunksize: 4,
                results_ok: true,
            }),
        }
    }

    #[test]
    fn canned_records_make_rows_and_a_verdict() {
        let spec = PoolSpec {
            workers: 2,
            items: 64,
            start_method: vec![StartMethod::Spawn, StartMethod::Fork],
            method: vec![PoolMethod::CloseJoin],
            chunksize: None,
            work: 1000,
            runtimes: vec![
                PoolRuntime::PythonProcesses,
                PoolRuntime::RustThreads,
                PoolRuntime::RustProcesses,
            ],
            repeat: 3,
            warmup: 0,
            python: None,
            timeout: Duration::from_secs(5),
        };
        let doc = run_on(&spec, &Canned(answer)).unwrap();
        insta::assert_snapshot!(render::csv_and_verdict(&doc));
    }
}
