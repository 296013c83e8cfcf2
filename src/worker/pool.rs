//! One pool-map trial inside the worker.
use crate::domain::{PoolMethod, PoolRuntime, StartMethod};
use crate::embed::json_result::to_json;
use crate::embed::{interpreter, modules};
use crate::measure::gil::watch;
use crate::measure::rusage::Usage;
use crate::native::pool;
use crate::worker::protocol::{PoolTrial, Record};
use anyhow::Result;
use pyo3::prelude::*;
use std::time::Instant;

pub fn run(trial: &PoolTrial) -> Result<Record> {
    let before = Usage::process_tree();
    let start = Instant::now();
    let data = match trial.runtime {
        PoolRuntime::RustThreads => serde_json::to_value(pool::thread_map(
            trial.workers,
            trial.items,
            trial.chunksize,
            trial.work,
        ))?,
        PoolRuntime::RustProcesses => serde_json::to_value(pool::process_map(
            trial.workers,
            trial.items,
            trial.chunksize,
            trial.work,
        )?)?,
        PoolRuntime::PythonProcesses => python(trial)?,
    };
    Ok(Record::Measured {
        wall_s: start.elapsed().as_secs_f64(),
        usage: Usage::process_tree().since(&before),
        data,
    })
}

fn python(trial: &PoolTrial) -> Result<serde_json::Value> {
    interpreter::start()?;
    Python::attach(|py| {
        let module = modules::load(py, "gilsim_pool")?;
        watch::counted_json(py, || {
            let json = to_json(
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
            )?;
            Ok(serde_json::from_str(&json)?)
        })
    })
}
