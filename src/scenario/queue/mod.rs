//! The seed's sender/receiver pairs: with its defaults a reproduction (10 messages 0.5 s
//! apart); with `--interval 0` a throughput and latency benchmark.
mod rows;
mod verdict;

pub use rows::QueueRow;

use crate::cli::QueueArgs;
use crate::domain::QueueOutcome;
use crate::domain::{QueueRuntime, QueueVariant};
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::scenario::{dedup, host, measure_job, run_interleaved, Outcome};
use crate::worker::protocol::{Job, QueueTrial};
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Duration;

pub fn trials(args: &QueueArgs) -> Vec<QueueTrial> {
    let mut out = Vec::new();
    let trial = |runtime, variant, start_method| QueueTrial {
        runtime,
        variant,
        start_method,
        messages: args.messages,
        interval_s: args.interval,
    };
    for runtime in dedup(&args.runtimes) {
        match runtime {
            QueueRuntime::Python => {
                for variant in dedup(&args.variant) {
                    if variant == QueueVariant::Thread {
                        out.push(trial(runtime, variant, None));
                    } else {
                        for sm in dedup(&args.start_method) {
                            out.push(trial(runtime, variant, Some(sm)));
                        }
                    }
                }
            }
            QueueRuntime::RustThreads => out.push(trial(runtime, QueueVariant::Thread, None)),
            QueueRuntime::RustProcesses => out.push(trial(runtime, QueueVariant::Process, None)),
        }
    }
    out
}

fn label(t: &QueueTrial) -> String {
    let mut text = format!("{} {}", t.runtime.name(), t.variant.name());
    if let Some(sm) = t.start_method {
        text += &format!(" ({})", sm.name());
    }
    text
}

pub fn run(args: &QueueArgs) -> Result<Document<QueueRow>> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let trials = trials(args);
    let mut progress = Progress::new(1 + trials.len() * args.repeat);
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;
    let outcomes: Vec<Vec<Outcome<QueueOutcome>>> =
        run_interleaved(&trials, 0, args.repeat, &mut progress, label, |t| {
            measure_job(&Job::Queue(t.clone()), timeout)
        })?;
    progress.finish();
    let results: Vec<QueueRow> = trials
        .iter()
        .zip(&outcomes)
        .map(|(t, o)| rows::build(t, o))
        .collect();
    let verdict = verdict::write(&results, args);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "queue".into(),
        params: json!({
            "variant": dedup(&args.variant).iter().map(|v| v.name()).collect::<Vec<_>>(),
            "messages": args.messages,
            "interval_s": args.interval,
            "start_method": dedup(&args.start_method).iter().map(|m| m.name()).collect::<Vec<_>>(),
            "runtimes": dedup(&args.runtimes).iter().map(|r| r.name()).collect::<Vec<_>>(),
            "repeat": args.repeat,
            "timeout_s": args.timeout,
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}
