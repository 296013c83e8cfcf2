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
use crate::runner::Runner;
use crate::scenario::spec::QueueSpec;
use crate::scenario::{dedup, host, measure_job_on, run_interleaved, Outcome};
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
        python: (runtime == QueueRuntime::Python)
            .then(|| spec.python.clone())
            .flatten(),
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
    run_on(spec, &crate::runner::Workers)
}

/// `run` with the trials on `runner`.
pub fn run_on(spec: &QueueSpec, runner: &dyn Runner) -> Result<Document<QueueRow>> {
    let timeout = spec.timeout;
    let trials = trials(spec);
    let mut progress = Progress::new(1 + trials.len() * spec.repeat);
    let name = host::interpreter_name(spec.python.as_ref());
    progress.start(&format!("starting {name}"));
    let python = host::python_info_on(runner, spec.python.as_ref(), timeout)
        .with_context(|| format!("describing {name}"))?;
    let outcomes: Vec<Vec<Outcome<QueueOutcome>>> =
        run_interleaved(&trials, 0, spec.repeat, &mut progress, label, |t| {
            measure_job_on(runner, &Job::Queue(t.clone()), timeout)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{QueueRuntime, QueueVariant, StartMethod};
    use crate::measure::gil::stats::GilStats;
    use crate::protocol::{Measured, Record};
    use crate::report::render;
    use crate::runner::Canned;
    use std::time::Duration;

    /// Figures a worker could have sent: every message arrives except, for the thread
    /// variant, the last one; processes take longer to start.
    fn answer(job: &Job) -> Record {
        let trial = match job {
            Job::Queue(trial) => trial,
            other => panic!("a queue run asked for {other:?}"),
        };
        let n = trial.messages as u64;
        let received: Vec<u64> = match trial.variant {
            QueueVariant::Thread if trial.runtime == QueueRuntime::Python => (0..n - 1).collect(),
            _ => (0..n).collect(),
        };
        let first = if trial.start_method.is_some() {
            0.05
        } else {
            0.001
        };
        let latencies: Vec<f64> = received.iter().map(|i| 1e-4 * (1 + i % 3) as f64).collect();
        let stream = trial.interval_s * (received.len().max(1) - 1) as f64;
        let total = first + stream + 0.01;
        Record::Measured {
            wall_s: total,
            usage: Default::default(),
            gil: (trial.runtime == QueueRuntime::Python)
                .then(|| GilStats::counted("calibrated", 7, total)),
            data: Measured::Queue(QueueOutcome {
                received,
                latencies_s: latencies,
                first_message_s: Some(first),
                stream_s: Some(stream),
                shutdown_s: 0.01,
                total_s: total,
            }),
        }
    }

    #[test]
    fn canned_records_make_rows_and_a_verdict() {
        let spec = QueueSpec {
            variant: vec![QueueVariant::Process, QueueVariant::Thread],
            messages: 5,
            interval: 0.01,
            start_method: vec![StartMethod::Fork],
            runtimes: vec![
                QueueRuntime::Python,
                QueueRuntime::RustThreads,
                QueueRuntime::RustProcesses,
            ],
            repeat: 2,
            python: None,
            timeout: Duration::from_secs(5),
        };
        let doc = run_on(&spec, &Canned(answer)).unwrap();
        insta::assert_snapshot!(render::csv_and_verdict(&doc));
    }
}
