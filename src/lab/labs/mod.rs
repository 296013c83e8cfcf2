//! The labs, one per file, in course order, and what they share: running the countdown with
//! plain specs and finding its rows.
mod c_code;
mod convoy;
mod no_gil;
mod not_a_lock;
mod old_gil;
mod one_vs_two;
mod process_cost;
mod queues;
mod shared;
mod speedup;
mod switch_interval;

use super::Lab;
use crate::domain::Runtime;
use crate::measure::gil::watch::GilSampling;
use crate::scenario::countdown::CountdownRow;
use crate::scenario::spec::CountdownSpec;

pub fn all() -> Vec<Lab> {
    vec![
        one_vs_two::lab(),
        old_gil::lab(),
        speedup::lab(),
        process_cost::lab(),
        c_code::lab(),
        convoy::lab(),
        switch_interval::lab(),
        not_a_lock::lab(),
        queues::lab(),
        shared::lab(),
        no_gil::lab(),
    ]
}

/// A countdown spec with the exact hand-off counter only (no sampler), no warm-up.
fn countdown(
    count: u64,
    threads: &[usize],
    processes: &[usize],
    runtimes: &[Runtime],
    repeat: usize,
    timeout: f64,
) -> CountdownSpec {
    CountdownSpec {
        count,
        threads: threads.to_vec(),
        processes: processes.to_vec(),
        runtimes: runtimes.to_vec(),
        repeat,
        warmup: 0,
        switch_interval: None,
        gil_sampling: GilSampling::Counter,
        sampled_count: None,
        sampled_runs: 0,
        probe_interval: None,
        python: Vec::new(),
        cpus: Vec::new(),
        timeout,
    }
}

/// The fastest run's wall time (noise on a shared machine only slows runs down) of the
/// (runtime, workers) row of the embedded interpreter on all CPUs.
fn wall(rows: &[CountdownRow], runtime: Runtime, workers: usize) -> Option<f64> {
    rows.iter()
        .find(|r| {
            r.runtime == runtime && r.workers == workers && r.python.is_none() && r.cpus.is_none()
        })
        .map(|r| r.wall_s.min)
}

/// `a / b` when both are there.
fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    a.zip(b).map(|(a, b)| a / b).filter(|r| r.is_finite())
}

/// "×1.02", or "not measured".
fn times(v: Option<f64>) -> String {
    v.map_or("not measured".into(), |v| format!("×{v:.2}"))
}

/// The check two labs share: 2 processes at least ×1.4 as fast as 2 threads (`ratio`: the
/// processes' speed over the threads').
fn processes_beat_threads(m: &mut super::Measured, ctx: &super::Context, ratio: Option<f64>) {
    m.check(
        "processes_beat_threads",
        "2 processes are at least ×1.4 as fast as 2 threads",
        super::needs_two_cpus(ctx),
        ratio.map(|r| r >= 1.4),
        format!("{} on {} CPUs", times(ratio), ctx.cpus),
    );
}
