//! One sender/receiver run inside the worker.
use crate::domain::{QueueOutcome, QueueRuntime, StartMethod};
use crate::embed::{error::python_error, interpreter, json_result::typed, modules};
use crate::measure::gil::stats::GilStats;
use crate::measure::gil::watch;
use crate::native::queue;
use crate::protocol::{Measured, QueueTrial, Record};
use anyhow::Result;
use pyo3::prelude::*;

pub fn run(trial: &QueueTrial) -> Result<Record> {
    super::timed(|| {
        let (outcome, gil) = match trial.runtime {
            QueueRuntime::RustThreads => (queue::threads(trial.messages, trial.interval_s), None),
            QueueRuntime::RustProcesses => {
                (queue::process(trial.messages, trial.interval_s)?, None)
            }
            QueueRuntime::Python => {
                let (outcome, gil) = python(trial)?;
                (outcome, Some(gil))
            }
        };
        Ok((Measured::Queue(outcome), gil))
    })
}

fn python(trial: &QueueTrial) -> Result<(QueueOutcome, GilStats)> {
    let start_method = trial.start_method.unwrap_or(StartMethod::Fork).name();
    if let Some(python) = &trial.python {
        let args = serde_json::json!([
            trial.variant.name(),
            start_method,
            trial.messages,
            trial.interval_s
        ]);
        return super::on_python::function(python, "gilsim_queue", "run", args);
    }
    interpreter::start()?;
    Python::attach(|py| {
        let module = modules::load(py, "gilsim_queue")?;
        watch::counted(py, || {
            let result = module.call_method1(
                "run",
                (
                    trial.variant.name(),
                    start_method,
                    trial.messages,
                    trial.interval_s,
                ),
            );
            // A known pitfall (e.g. an unpicklable sender under spawn) gets its explanation.
            let result = result.map_err(|e| {
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
            });
            match result {
                Ok(value) => typed(py, Ok(value)),
                Err(err) => Err(err.into()),
            }
        })
    })
}
