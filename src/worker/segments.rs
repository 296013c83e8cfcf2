//! One alternating trial inside the worker: pairs of short segments, the reference and the
//! point in a random order within each pair, with the exact hand-offs of each segment read
//! around it. Threads are started once and parked between segments.
use crate::domain::{Segment, SegmentsOutcome};
use crate::embed::{error::python_error, interpreter, modules};
use crate::measure::affinity;
use crate::measure::gil::locate::{self, GilState};
use crate::native::echo_client;
use crate::protocol::{Measured, Record, SegmentWorkload, SegmentsTrial, Setting};
use anyhow::Result;
use pyo3::prelude::*;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::os::fd::BorrowedFd;
use std::time::Duration;

/// Iterations timed to pick a segment's count when the parent leaves it to the worker.
const PROBE_COUNT: u64 = 1_000_000;

pub fn run(trial: &SegmentsTrial) -> Result<Record> {
    if let Some(n) = trial.cpus {
        crate::measure::affinity::limit_to(n)?;
    }
    interpreter::start()?;
    Python::attach(|py| -> Result<Record> {
        // Found before any other Python thread starts (see `locate::find`).
        let gil = locate::find(py).ok();
        let outcome = match trial.workload {
            SegmentWorkload::Countdown { count, target_s } => {
                countdown(py, trial, gil, count, target_s)?
            }
            SegmentWorkload::Convoy { duration_s } => convoy(py, trial, gil, duration_s)?,
        };
        let wall_s = outcome.segments.iter().map(|s| s.wall_s).sum();
        Ok(Record::Measured {
            wall_s,
            usage: Default::default(),
            gil: None,
            data: Measured::Segments(outcome),
        })
    })
}

/// The settings of each pair in the order they run: `pairs + 1` pairs, the first a warm-up.
fn order(trial: &SegmentsTrial) -> Vec<(usize, bool)> {
    let mut rng = Pcg64Mcg::seed_from_u64(trial.seed);
    let mut out = Vec::with_capacity(2 * (trial.pairs + 1));
    for pair in 0..=trial.pairs {
        let point_first = rng.random_bool(0.5);
        out.push((pair, point_first));
        out.push((pair, !point_first));
    }
    out
}

fn switches(gil: Option<GilState>) -> Option<u64> {
    gil.map(|g| g.read().switch_number)
}

fn countdown(
    py: Python<'_>,
    trial: &SegmentsTrial,
    gil: Option<GilState>,
    count: Option<u64>,
    target_s: f64,
) -> Result<SegmentsOutcome> {
    let crew_size = trial.reference.threads.max(trial.point.threads);
    let crew = modules::load(py, "gilsim_segments")?
        .getattr("Crew")?
        .call1((crew_size,))
        .map_err(|e| python_error(py, e))?;
    let once = |s: &Setting, count: u64, cpu: Option<usize>| -> Result<(f64, f64, Option<u64>)> {
        let before = switches(gil);
        let (wall, used): (f64, f64) = crew
            .call_method1("segment", (s.threads, count, s.switch_interval_s, cpu))
            .map_err(|e| python_error(py, e))?
            .extract()?;
        let after = switches(gil);
        Ok((wall, used, before.zip(after).map(|(b, a)| a - b)))
    };
    // A lone thread stays on the CPU it starts on, and virtual CPUs differ in speed for
    // seconds at a time: a 1-thread setting runs once pinned to each CPU and counts their
    // mean, as threads that take turns spread over all of them.
    let allowed = affinity::allowed()?;
    let segment = |s: &Setting, count: u64| -> Result<(f64, f64, Option<u64>)> {
        if s.threads > 1 || allowed.len() < 2 {
            return once(s, count, None);
        }
        let (mut wall, mut used, mut switched) = (0.0, 0.0, Some(0));
        for &c in &allowed {
            let (w, u, n) = once(s, count, Some(c))?;
            wall += w;
            used += u;
            switched = switched.zip(n).map(|(a, b)| a + b);
        }
        let k = allowed.len() as f64;
        Ok((
            wall / k,
            used / k,
            switched.map(|n| n / allowed.len() as u64),
        ))
    };
    let count = match count {
        Some(c) => c,
        None => {
            // The fastest of three probes: noise only slows a run down.
            let mut fastest = f64::INFINITY;
            for _ in 0..3 {
                fastest = fastest.min(segment(&trial.reference, PROBE_COUNT)?.0);
            }
            let per_iteration = fastest / PROBE_COUNT as f64;
            ((target_s / per_iteration / 100_000.0).round().max(1.0) * 100_000.0) as u64
        }
    };
    let mut segments = Vec::new();
    for (pair, is_point) in order(trial) {
        let setting = if is_point {
            &trial.point
        } else {
            &trial.reference
        };
        let (wall_s, cpu_s, switches) = segment(setting, count)?;
        if pair > 0 {
            segments.push(Segment {
                pair: pair - 1,
                point: is_point,
                wall_s,
                cpu_s,
                switches,
                requests: None,
            });
        }
    }
    crew.call_method0("close")
        .map_err(|e| python_error(py, e))?;
    Ok(SegmentsOutcome {
        count: Some(count),
        segments,
    })
}

fn convoy(
    py: Python<'_>,
    trial: &SegmentsTrial,
    gil: Option<GilState>,
    duration_s: f64,
) -> Result<SegmentsOutcome> {
    let cpu_threads = trial.reference.threads.max(trial.point.threads);
    let convoy = modules::load(py, "gilsim_convoy")?
        .getattr("ParkedConvoy")?
        .call1((cpu_threads,))
        .map_err(|e| python_error(py, e))?;
    let fd: i32 = convoy.call_method0("client_fd")?.extract()?;
    let sys = py.import("sys")?;
    let duration = Duration::from_secs_f64(duration_s);
    let mut segments = Vec::new();
    let mut failed = None;
    for (pair, is_point) in order(trial) {
        let setting = if is_point {
            &trial.point
        } else {
            &trial.reference
        };
        sys.call_method1("setswitchinterval", (setting.switch_interval_s,))
            .map_err(|e| python_error(py, e))?;
        if setting.threads > 0 {
            convoy.call_method0("start_cpu")?;
        }
        let before = switches(gil);
        let cpu_before = crate::measure::rusage::Usage::process_tree();
        // The client must not hold the GIL, and neither may we while it runs.
        let result = py.detach(|| {
            // SAFETY: the socket stays open (owned by the convoy object) until finish().
            echo_client::run(unsafe { BorrowedFd::borrow_raw(fd) }, duration)
        });
        let cpu_s = crate::measure::rusage::Usage::process_tree()
            .since(&cpu_before)
            .cpu_s();
        let after = switches(gil);
        if setting.threads > 0 {
            convoy
                .call_method0("park_cpu")
                .map_err(|e| python_error(py, e))?;
        }
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        if pair > 0 {
            segments.push(Segment {
                pair: pair - 1,
                point: is_point,
                wall_s: result.elapsed_s,
                cpu_s,
                switches: before.zip(after).map(|(b, a)| a - b),
                requests: Some(result.requests),
            });
        }
    }
    convoy
        .call_method0("finish")
        .map_err(|e| python_error(py, e))?;
    if let Some(e) = failed {
        return Err(anyhow::Error::from(e).context("the echo client failed"));
    }
    Ok(SegmentsOutcome {
        count: None,
        segments,
    })
}
