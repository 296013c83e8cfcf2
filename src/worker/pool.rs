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
    interpreter::start()?;
    Python::attach(|py| {
        let module = modules::load(py, "gilsim_pool")?;
        watch::counted(py, || {
            typed(
                py,
                module.call_method1(
                    "run",
                    (
                        trial.method.unwrap_or(PoolMethod::With).name(),
                        trial.start_method.unwrap_or(StartMethod::Fork).name(),
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
