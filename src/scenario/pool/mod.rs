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
use crate::scenario::spec::PoolSpec;
use crate::scenario::{dedup, host, measure_job, run_interleaved, Outcome};
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
        };
        if runtime == PoolRuntime::PythonProcesses {
            for start_method in dedup(&spec.start_method) {
                for method in dedup(&spec.method) {
                    out.push(PoolTrial {
                        method: Some(method),
                        start_method: Some(start_method),
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
    let timeout = spec.timeout;
    let trials = trials(spec);
    let warmup = spec.warmup as usize;
    let mut progress = Progress::new(1 + trials.len() * (warmup + spec.repeat));
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;

    // A trial that fails becomes an error row (a failing warm-up fails again when measured).
    let outcomes: Vec<Vec<Outcome<PoolOutcome>>> =
        run_interleaved(&trials, warmup, spec.repeat, &mut progress, label, |t| {
            measure_job(&Job::Pool(t.clone()), timeout)
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
            "repeat": spec.repeat,
            "warmup": spec.warmup,
            "timeout_s": spec.timeout.as_secs_f64(),
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}
