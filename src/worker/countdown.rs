//! One countdown trial inside the worker: the timed region and the process tree's usage.
use crate::embed::{error::python_error, interpreter, modules};
use crate::measure::rusage::Usage;
use crate::native;
use crate::worker::protocol::{CountdownTrial, Runtime, ThreadUsage, TrialMeasurement};
use anyhow::Result;
use pyo3::prelude::*;
use std::time::Instant;

pub fn run(trial: &CountdownTrial) -> Result<TrialMeasurement> {
    if trial.runtime == Runtime::RustThreads {
        return measure(|| Ok(native::countdown::run_threads(trial.count, trial.workers)));
    }
    interpreter::start()?;
    Python::attach(|py| -> Result<TrialMeasurement> {
        let module = modules::load(py, "gilsim_countdown")?;
        if let Some(interval) = trial.switch_interval_s {
            py.import("sys")?
                .call_method1("setswitchinterval", (interval,))
                .map_err(|e| python_error(py, e))?;
        }
        let call = || -> Result<Vec<ThreadUsage>> {
            let result = match trial.runtime {
                Runtime::PythonThreads => {
                    module.call_method1("run_threads", (trial.count, trial.workers))
                }
                // `fork` until the pool issue adds the choice of start method.
                _ => module.call_method1("run_processes", (trial.count, trial.workers, "fork")),
            };
            let json = result
                .and_then(|r| py.import("json")?.call_method1("dumps", (r,)))
                .and_then(|s| s.extract::<String>())
                .map_err(|e| python_error(py, e))?;
            Ok(serde_json::from_str(&json)?)
        };
        measure(call)
    })
}

/// Times `work` and reads the process tree's usage around it (children included once joined).
fn measure(work: impl FnOnce() -> Result<Vec<ThreadUsage>>) -> Result<TrialMeasurement> {
    let before = Usage::process_tree();
    let start = Instant::now();
    let threads = work()?;
    let wall_s = start.elapsed().as_secs_f64();
    Ok(TrialMeasurement {
        wall_s,
        usage: Usage::process_tree().since(&before),
        threads,
    })
}
