//! One share trial inside the worker.
use crate::embed::json_result::typed;
use crate::embed::{interpreter, modules};
use crate::measure::gil::watch;
use crate::measure::rusage::Usage;
use crate::protocol::{Measured, Record, ShareTrial};
use anyhow::Result;
use pyo3::prelude::*;
use std::time::Instant;

pub fn run(trial: &ShareTrial) -> Result<Record> {
    interpreter::start()?;
    let before = Usage::process_tree();
    let start = Instant::now();
    let (outcome, gil) = Python::attach(|py| {
        watch::counted(py, || {
            typed(
                py,
                modules::load(py, "gilsim_share")?.call_method1(
                    "run",
                    (
                        if trial.start_method.is_some() {
                            "process"
                        } else {
                            "thread"
                        },
                        trial.start_method.map_or("fork", |m| m.name()),
                        trial.size,
                    ),
                ),
            )
        })
    })?;
    Ok(Record::Measured {
        wall_s: start.elapsed().as_secs_f64(),
        usage: Usage::process_tree().since(&before),
        gil: Some(gil),
        data: Measured::Share(outcome),
    })
}
