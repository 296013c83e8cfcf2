//! A timeline trial: a script or a countdown with every GIL state change recorded.
use super::on_python::{self, Target};
use crate::domain::{ExternalPython, TimelineOutcome, DEFAULT_SWITCH_INTERVAL_S};
use crate::embed::{error::python_error, interpreter, modules, script};
use crate::measure::gil::sampler::Transition;
use crate::measure::gil::stats::{GilStats, ThreadGil};
use crate::measure::gil::{locate, registry, sampler, watch};
use crate::measure::outside::recorder::{Recorder, Recording};
use crate::measure::tasks;
use crate::protocol::{Measured, Record, TimelineJob};
use crate::sim::Change;
use anyhow::{anyhow, Result};
use pyo3::prelude::*;
use std::time::Instant;

pub fn run(job: &TimelineJob) -> Result<(Record, i32)> {
    if let Some(python) = &job.python {
        return outside(job, python);
    }
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
    let names = threads.iter().map(|t| t.name.clone()).collect();
    let changes = changes(&data.transitions, &holders);
    let outcome = TimelineOutcome {
        gil: stats,
        switch_interval_s: switch_interval,
        threads: names,
        changes,
        exit_code,
    };
    Ok((record(wall_s, outcome), exit_code))
}

/// The timeline of a run under another interpreter, its GIL recorded from outside.
fn outside(job: &TimelineJob, python: &ExternalPython) -> Result<(Record, i32)> {
    let countdown_args = serde_json::json!([job.count, job.threads]);
    let target = match &job.script {
        Some(script) => Target::Script {
            path: &script.path,
            args: &script.args,
        },
        None => Target::Function {
            module: "gilsim_countdown",
            function: "run_threads",
            args: countdown_args,
        },
    };
    let (called, (recorded, interval_us, threads, pid)) = on_python::call(
        python,
        &target,
        job.switch_interval_s,
        |pid, gil| {
            let recorder =
                gil.map(|g| (Recorder::start(g.clone(), watch::SAMPLE_PERIOD), g.clone()));
            (recorder, tasks::Poller::start(pid), pid)
        },
        |(recorder, poller, pid)| {
            let interval_us = recorder
                .as_ref()
                .and_then(|(_, g)| g.read().ok())
                .map(|r| r.interval_us);
            let recorded = recorder.and_then(|(r, _)| r.stop());
            (recorded, interval_us, poller.stop(), pid)
        },
    )?;
    let exit_code = match &job.script {
        Some(_) => called.value.as_i64().unwrap_or(1) as i32,
        None => 0,
    };
    let name = |tid: u64| {
        if tid == pid as u64 {
            "MainThread".to_string()
        } else {
            format!("thread {tid}")
        }
    };
    let wall_s = called.wall_s;
    // Without figures (a free-threaded build that ended the run without its GIL, or a GIL not
    // found) there is nothing to draw: the reason stands.
    let recorded = recorded.filter(|_| called.gil.switches.is_some());
    let (stats, lanes, changes) = match recorded {
        None => {
            let mut stats = called.gil;
            stats.threads = threads
                .iter()
                .map(|(tid, times)| thread_gil(name(*tid), None, Some(times), wall_s))
                .collect();
            (stats, Vec::new(), Vec::new())
        }
        Some(Recording { data, lanes }) => {
            let held = |tstate: usize| {
                let s: f64 = data
                    .by_holder
                    .iter()
                    .filter(|((a, _), _)| *a == tstate)
                    .map(|(_, s)| s)
                    .sum();
                s / data.observed_s.max(1e-9)
            };
            let mut per_thread: Vec<ThreadGil> = lanes
                .iter()
                .map(|lane| {
                    let times = threads
                        .iter()
                        .find(|(tid, _)| Some(*tid as i32) == lane.tid)
                        .map(|(_, t)| t);
                    thread_gil(
                        lane.tid.map_or_else(
                            || format!("thread state {:#x}", lane.tstate),
                            |tid| name(tid as u64),
                        ),
                        Some(held(lane.tstate)),
                        times,
                        wall_s,
                    )
                })
                .collect();
            // Threads that never held the GIL while sampled.
            for (tid, times) in &threads {
                if !lanes.iter().any(|l| l.tid == Some(*tid as i32)) {
                    per_thread.push(thread_gil(name(*tid), Some(0.0), Some(times), wall_s));
                }
            }
            // Kept only with the exact count (above).
            let switches = called.gil.switches.unwrap_or_default();
            let mut stats =
                GilStats::sampled(&called.gil.source, switches, wall_s, &data, per_thread);
            stats.note = called.gil.note.clone();
            let tstates: Vec<usize> = lanes.iter().map(|l| l.tstate).collect();
            let changes = changes(&data.transitions, &tstates);
            (stats, lanes, changes)
        }
    };
    let lane_names = stats
        .threads
        .iter()
        .take(lanes.len())
        .map(|t| t.name.clone())
        .collect();
    let switch_interval_s = interval_us.map_or(
        job.switch_interval_s.unwrap_or(DEFAULT_SWITCH_INTERVAL_S),
        |us| us as f64 * 1e-6,
    );
    let outcome = TimelineOutcome {
        gil: stats,
        switch_interval_s,
        threads: lane_names,
        changes,
        exit_code,
    };
    Ok((record(wall_s, outcome), exit_code))
}

/// One thread's figures over the run, from the kernel's counters for it (where it was seen).
fn thread_gil(
    name: String,
    held_fraction: Option<f64>,
    times: Option<&tasks::TaskTimes>,
    wall_s: f64,
) -> ThreadGil {
    let cpu_s = times.map_or(0.0, |t| t.cpu_ns as f64 * 1e-9);
    let queued = times.map_or(0.0, |t| t.runqueue_ns as f64 * 1e-9);
    ThreadGil {
        name,
        held_fraction,
        // Over the whole run: a thread that lived shorter shows its absence as waiting.
        wait_s: (wall_s - cpu_s - queued).max(0.0),
        cpu_s,
        wall_s,
    }
}

/// The sampler's raw transitions name a holder by its thread state; the picture by index in
/// `holders` (None: a thread state not among them).
fn changes(transitions: &[Transition], holders: &[usize]) -> Vec<Change> {
    transitions
        .iter()
        .map(|t| Change {
            t: t.t,
            locked: t.locked,
            holder: holders.iter().position(|&h| h == t.holder),
            running: t.running,
        })
        .collect()
}

fn record(wall_s: f64, outcome: TimelineOutcome) -> Record {
    Record::Measured {
        wall_s,
        usage: Default::default(),
        gil: Some(outcome.gil.clone()),
        data: Measured::Timeline(outcome),
    }
}
