//! One sender/receiver run inside the worker.
use crate::domain::{QueueRuntime, StartMethod};
use crate::embed::{error::python_error, interpreter, modules};
use crate::measure::gil::watch;
use crate::measure::rusage::Usage;
use crate::native::queue;
use crate::worker::protocol::{QueueTrial, Record};
use anyhow::Result;
use pyo3::prelude::*;
use std::time::Instant;

pub fn run(trial: &QueueTrial) -> Result<Record> {
    let before = Usage::process_tree();
    let start = Instant::now();
    let data = match trial.runtime {
        QueueRuntime::RustThreads => {
            serde_json::to_value(queue::threads(trial.messages, trial.interval_s))?
        }
        QueueRuntime::RustProcesses => {
            serde_json::to_value(queue::process(trial.messages, trial.interval_s)?)?
        }
        QueueRuntime::Python => python(trial)?,
    };
    Ok(Record::Measured {
        wall_s: start.elapsed().as_secs_f64(),
        usage: Usage::process_tree().since(&before),
        data,
    })
}

fn python(trial: &QueueTrial) -> Result<serde_json::Value> {
    interpreter::start()?;
    Python::attach(|py| {
        let module = modules::load(py, "gilsim_queue")?;
        watch::counted_json(py, || {
            let json = module
                .call_method1(
                    "run",
                    (
                        trial.variant.name(),
                        trial.start_method.unwrap_or(StartMethod::Fork).name(),
                        trial.messages,
                        trial.interval_s,
                    ),
                )
                .and_then(|r| py.import("json")?.call_method1("dumps", (r,)))
                .and_then(|s| s.extract::<String>())
                .map_err(|e| {
                    let hint = modules::load(py, "gilsim_hints").ok().and_then(|h| {
                        h.call_method1(
                            "for_exception",
                            (e.value(py), trial.start_method.map(|m| m.name())),
                        )
                        .ok()?
                        .extract::<Option<String>>()
                        .ok()?
                    });
                    let mut err = python_error(py, e);
                    if let Some(hint) = hint {
                        err.message = format!("{}. Why: {hint}", err.message);
                    }
                    err
                })?;
            Ok(serde_json::from_str(&json)?)
        })
    })
}
