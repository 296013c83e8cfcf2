//! One share trial inside the worker.
use crate::embed::json_result::typed;
use crate::embed::{interpreter, modules};
use crate::measure::gil::watch;
use crate::protocol::{Measured, Record, ShareTrial};
use anyhow::Result;
use pyo3::prelude::*;

pub fn run(trial: &ShareTrial) -> Result<Record> {
    interpreter::start()?;
    super::timed(|| {
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
        Ok((Measured::Share(outcome), Some(gil)))
    })
}
