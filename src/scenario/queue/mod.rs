//! The study note's sender/receiver pairs: with its defaults a reproduction (10 messages 0.5 s
//! apart); with `--interval 0` a throughput and latency benchmark.
mod rows;
mod verdict;

pub use rows::QueueRow;

use crate::domain::QueueOutcome;
use crate::domain::{QueueRuntime, QueueVariant};
use crate::protocol::{Job, QueueTrial};
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::scenario::spec::QueueSpec;
use crate::scenario::{dedup, host, measure_job, run_interleaved, Outcome};
use anyhow::{Context, Result};
use serde_json::json;

pub fn trials(spec: &QueueSpec) -> Vec<QueueTrial> {
    let mut out = Vec::new();
    let trial = |runtime, variant, start_method| QueueTrial {
        runtime,
        variant,
        start_method,
        messages: spec.messages,
        interval_s: spec.interval,
    };
    for runtime in dedup(&spec.runtimes) {
        match runtime {
            QueueRuntime::Python => {
                for variant in dedup(&spec.variant) {
                    if variant == QueueVariant::Thread {
                        out.push(trial(runtime, variant, None));
                    } else {
                        for sm in dedup(&spec.start_method) {
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

pub fn run(spec: &QueueSpec) -> Result<Document<QueueRow>> {
    let timeout = spec.timeout;
    let trials = trials(spec);
    let mut progress = Progress::new(1 + trials.len() * spec.repeat);
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;
    let outcomes: Vec<Vec<Outcome<QueueOutcome>>> =
        run_interleaved(&trials, 0, spec.repeat, &mut progress, label, |t| {
            measure_job(&Job::Queue(t.clone()), timeout)
        })?;
    progress.finish();
    let results: Vec<QueueRow> = trials
        .iter()
        .zip(&outcomes)
        .map(|(t, o)| rows::build(t, o))
        .collect();
    let verdict = verdict::write(&results, spec);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "queue".into(),
        params: json!({
            "variant": dedup(&spec.variant).iter().map(|v| v.name()).collect::<Vec<_>>(),
            "messages": spec.messages,
            "interval_s": spec.interval,
            "start_method": dedup(&spec.start_method).iter().map(|m| m.name()).collect::<Vec<_>>(),
            "runtimes": dedup(&spec.runtimes).iter().map(|r| r.name()).collect::<Vec<_>>(),
            "repeat": spec.repeat,
            "timeout_s": spec.timeout.as_secs_f64(),
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}
