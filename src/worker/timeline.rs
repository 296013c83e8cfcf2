//! A timeline trial: a script or a countdown with every GIL state change recorded.
use crate::domain::TimelineOutcome;
use crate::embed::{error::python_error, interpreter, modules, script};
use crate::measure::gil::{locate, registry, sampler, stats::GilStats, watch};
use crate::protocol::{Measured, Record, TimelineJob};
use crate::sim::Change;
use anyhow::{anyhow, Result};
use pyo3::prelude::*;
use std::time::Instant;

pub fn run(job: &TimelineJob) -> Result<(Record, i32)> {
    interpreter::start()?;
    let gil = Python::attach(|py| -> Result<_> {
        if let Some(interval) = job.switch_interval_s {
            py.import("sys")?
                .call_method1("setswitchinterval", (interval,))
                .map_err(|e| python_error(py, e))?;
        }
        let gil =
            locate::find(py).map_err(|reason| anyhow!("GIL figures unavailable: {reason}"))?;
        registry::clear();
        registry::register_thread("MainThread".into());
        Ok(gil)
    })?;
    let switch_interval = Python::attach(|py| -> PyResult<f64> {
        py.import("sys")?
            .call_method0("getswitchinterval")?
            .extract()
    })?;
    let before = gil.read().switch_number;
    let start = Instant::now();
    sampler::start(gil, watch::SAMPLE_PERIOD, true);
    let exit_code = match &job.script {
        Some(script_job) => script::run(script_job)?.exit_code,
        None => {
            Python::attach(|py| -> Result<()> {
                modules::load(py, "gilsim_countdown")?
                    .call_method1("run_threads", (job.count, job.threads))
                    .map_err(|e| python_error(py, e))?;
                Ok(())
            })?;
            0
        }
    };
    let data = sampler::stop().ok_or_else(|| anyhow!("the GIL sampler did not run"))?;
    let wall_s = start.elapsed().as_secs_f64();
    let switches = gil.read().switch_number.wrapping_sub(before);
    let threads = registry::snapshot();
    let stats = GilStats::build(&gil, switches, wall_s, &data, &threads);
    let holders: Vec<usize> = threads.iter().map(|t| t.tstate).collect();
    // The sampler's raw transitions name a holder by its thread state; the picture by index
    // (None: a thread state gilsim did not see registered).
    let changes = data
        .transitions
        .iter()
        .map(|t| Change {
            t: t.t,
            locked: t.locked,
            holder: holders.iter().position(|&h| h == t.holder),
            running: t.running,
        })
        .collect();
    let record = Record::Measured {
        wall_s,
        usage: Default::default(),
        gil: Some(stats.clone()),
        data: Measured::Timeline(TimelineOutcome {
            gil: stats,
            switch_interval_s: switch_interval,
            threads: threads.iter().map(|t| t.name.clone()).collect(),
            changes,
            exit_code,
        }),
    };
    Ok((record, exit_code))
}
