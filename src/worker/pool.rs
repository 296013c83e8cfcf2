//! One pool-map trial inside the worker.
use crate::domain::{PoolMethod, PoolOutcome, PoolRuntime, StartMethod};
use crate::embed::json_result::typed;
use crate::embed::{interpreter, modules};
use crate::measure::gil::stats::GilStats;
use crate::measure::gil::watch;
use crate::native::pool;
use crate::protocol::{Measured, PoolTrial, Record};
use anyhow::Result;
use pyo3::prelude::*;

pub fn run(trial: &PoolTrial) -> Result<Record> {
    super::timed(|| {
        let (outcome, gil) = match trial.runtime {
            PoolRuntime::RustThreads => (
                pool::thread_map(trial.workers, trial.items, trial.chunksize, trial.work),
                None,
            ),
            PoolRuntime::RustProcesses => (
                pool::process_map(trial.workers, trial.items, trial.chunksize, trial.work)?,
                None,
            ),
            PoolRuntime::PythonProcesses => {
                let (outcome, gil) = python(trial)?;
                (outcome, Some(gil))
            }
        };
        Ok((Measured::Pool(outcome), gil))
    })
}

fn python(trial: &PoolTrial) -> Result<(PoolOutcome, GilStats)> {
    let method = trial.method.unwrap_or(PoolMethod::With).name();
    let start_method = trial.start_method.unwrap_or(StartMethod::Fork).name();
    if let Some(python) = &trial.python {
        let args = serde_json::json!([
            method,
            start_method,
            trial.workers,
            trial.items,
            trial.chunksize,
            trial.work
        ]);
        return super::on_python::function(python, "gilsim_pool", "run", args);
    }
    interpreter::start()?;
    Python::attach(|py| {
        let module = modules::load(py, "gilsim_pool")?;
        watch::counted(py, || {
            typed(
                py,
                module.call_method1(
                    "run",
                    (
                        method,
                        start_method,
                        trial.workers,
                        trial.items,
                        trial.chunksize,
                        trial.work,
                    ),
                ),
            )
        })
    })
}
