//! One countdown trial inside the worker: the timed region, the process tree's usage and,
//! for Python trials, the GIL's own figures.
use crate::domain::{Runtime, ThreadUsage};
use crate::embed::json_result::to_json;
use crate::embed::{error::python_error, interpreter, modules};
use crate::measure::gil::{probe::Probe, stats::GilStats, watch};
use crate::measure::rusage::Usage;
use crate::native;
use crate::protocol::{CountdownTrial, TrialMeasurement};
use anyhow::Result;
use pyo3::prelude::*;
use std::time::{Duration, Instant};

pub fn run(trial: &CountdownTrial) -> Result<TrialMeasurement> {
    if let Some(n) = trial.cpus {
        crate::measure::affinity::limit_to(n)?;
    }
    if trial.runtime == Runtime::RustThreads {
        return measure(|| Ok(native::countdown::run_threads(trial.count, trial.workers)));
    }
    if trial.runtime == Runtime::RustGil {
        let interval = Duration::from_secs_f64(
            trial
                .switch_interval_s
                .unwrap_or(crate::domain::DEFAULT_SWITCH_INTERVAL_S),
        );
        let mut switches = 0;
        let mut m = measure(|| {
            let (usages, n) = native::rust_gil::run_threads(trial.count, trial.workers, interval);
            switches = n;
            Ok(usages)
        })?;
        m.gil = Some(GilStats::counted("rust-gil", switches, m.wall_s));
        return Ok(m);
    }
    interpreter::start()?;
    Python::attach(|py| -> Result<TrialMeasurement> {
        let module = modules::load(py, "gilsim_countdown")?;
        if let Some(interval) = trial.switch_interval_s {
            py.import("sys")?
                .call_method1("setswitchinterval", (interval,))
                .map_err(|e| python_error(py, e))?;
        }
        let probe_interval = trial
            .probe_interval_s
            .filter(|_| trial.runtime == Runtime::PythonThreads)
            .map(Duration::from_secs_f64);
        let mut probe_stats = None;
        let mut call = || -> Result<Vec<ThreadUsage>> {
            let probe = probe_interval.map(Probe::start);
            let result = match trial.runtime {
                Runtime::PythonThreads => {
                    module.call_method1("run_threads", (trial.count, trial.workers))
                }
                Runtime::PythonSubinterpreters => {
                    module.call_method1("run_subinterpreters", (trial.count, trial.workers))
                }
                // The countdown's processes are forked, as in the study note.
                _ => module.call_method1("run_processes", (trial.count, trial.workers, "fork")),
            };
            // The probe thread needs the GIL to finish its last acquisition.
            probe_stats = probe.map(|p| py.detach(|| p.stop()));
            let json = to_json(py, result)?;
            Ok(serde_json::from_str(&json)?)
        };
        let watch = watch::start(py, trial.gil);
        let measured = measure(&mut call);
        let wall_s = measured.as_ref().map_or(0.0, |m| m.wall_s);
        let (gil, sampler_usage) = watch::finish(watch, wall_s);
        let mut m = measured?;
        // The row's CPU and context switches are the workload's, not the sampler's.
        m.usage = m.usage.since(&sampler_usage);
        m.gil = Some(if trial.runtime == Runtime::PythonSubinterpreters {
            GilStats::unavailable(SUBINTERPRETERS_GIL)
        } else {
            gil
        });
        m.probe = probe_stats;
        Ok(m)
    })
}

/// Why a subinterpreters row has no GIL figures.
pub const SUBINTERPRETERS_GIL: &str =
    "each subinterpreter has a GIL of its own; gilsim reads the main interpreter's";

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
        gil: None,
        probe: None,
        other_load: None,
    })
}
