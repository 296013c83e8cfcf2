//! One share trial inside the worker.
use crate::embed::json_result::typed;
use crate::embed::{interpreter, modules};
use crate::measure::gil::watch;
use crate::protocol::{Measured, Record, ShareTrial};
use anyhow::Result;
use pyo3::prelude::*;

pub fn run(trial: &ShareTrial) -> Result<Record> {
    let how = if trial.start_method.is_some() {
        "process"
    } else {
        "thread"
    };
    let start_method = trial.start_method.map_or("fork", |m| m.name());
    if let Some(python) = &trial.python {
        return super::timed(|| {
            let args = serde_json::json!([how, start_method, trial.size]);
            let (outcome, gil) = super::on_python::function(python, "gilsim_share", "run", args)?;
            Ok((Measured::Share(outcome), Some(gil)))
        });
    }
    interpreter::start()?;
    super::timed(|| {
        let (outcome, gil) = Python::attach(|py| {
            watch::counted(py, || {
                typed(
                    py,
                    modules::load(py, "gilsim_share")?
                        .call_method1("run", (how, start_method, trial.size)),
                )
            })
        })?;
        Ok((Measured::Share(outcome), Some(gil)))
    })
}
