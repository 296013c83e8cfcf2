//! The seed's `Pool.map`: start methods, start-up against work, and Rust's thread and process
//! pools doing the same map.
mod rows;
mod verdict;

pub use rows::PoolRow;

use crate::cli::PoolArgs;
use crate::domain::PoolOutcome;
use crate::domain::PoolRuntime;
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::scenario::{dedup, host, measure_job, run_interleaved, Outcome};
use crate::worker::protocol::{Job, PoolTrial};
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Duration;

pub fn trials(args: &PoolArgs) -> Vec<PoolTrial> {
    let mut out = Vec::new();
    for runtime in dedup(&args.runtimes) {
        let base = PoolTrial {
            runtime,
            method: None,
            start_method: None,
            workers: args.workers,
            items: args.items,
            chunksize: args.chunksize,
            work: args.work,
        };
        if runtime == PoolRuntime::PythonProcesses {
            for start_method in dedup(&args.start_method) {
                for method in dedup(&args.method) {
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

pub fn run(args: &PoolArgs) -> Result<Document<PoolRow>> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let trials = trials(args);
    let warmup = args.warmup as usize;
    let mut progress = Progress::new(1 + trials.len() * (warmup + args.repeat));
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;

    // A trial that fails becomes an error row (a failing warm-up fails again when measured).
    let outcomes: Vec<Vec<Outcome<PoolOutcome>>> =
        run_interleaved(&trials, warmup, args.repeat, &mut progress, label, |t| {
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
            "workers": args.workers,
            "items": args.items,
            "start_method": dedup(&args.start_method).iter().map(|m| m.name()).collect::<Vec<_>>(),
            "method": dedup(&args.method).iter().map(|m| m.name()).collect::<Vec<_>>(),
            "chunksize": args.chunksize,
            "work": args.work,
            "runtimes": dedup(&args.runtimes).iter().map(|r| r.name()).collect::<Vec<_>>(),
            "repeat": args.repeat,
            "warmup": args.warmup,
            "timeout_s": args.timeout,
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}
