//! `gilsim calibrate`: this machine's parameters for the GIL model, from real runs of the
//! embedded countdown with exact hand-off counts.
//!
//! - time per iteration: one thread, wall / count; with two threads, the intercept of the fit
//!   below (their wall with no hand-offs);
//! - wake-up (the GIL free at a hand-off): the share of time the GIL was free × the slice;
//! - the slice beyond the switch interval (wall / hand-offs − interval) = the timer's lateness
//!   + wake-up + the dropped thread's own wake-up to wait again (taken equal to the wake-up);
//! - extra cost per hand-off: slope of wall time against hand-offs across switch intervals
//!   (2 threads, 0.1 to 20 ms), less the wake-up gap already counted.
use crate::cli::CalibrateArgs;
use crate::measure::gil::watch::GilSampling;
use crate::report::progress::Progress;
use crate::scenario::countdown::measure;
use crate::sim::params::{default_path, Params};
use crate::stats::median;
use crate::worker::protocol::{CountdownTrial, Runtime, TrialMeasurement};
use anyhow::{bail, Result};
use std::time::Duration;

const INTERVALS: [f64; 5] = [0.0001, 0.0005, 0.001, 0.005, 0.02];

pub fn run(args: &CalibrateArgs) -> Result<(Params, std::path::PathBuf)> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut progress = Progress::new((1 + INTERVALS.len()) * args.repeat);
    let trial = |workers, interval| CountdownTrial {
        runtime: Runtime::PythonThreads,
        workers,
        count: args.count,
        switch_interval_s: Some(interval),
        // Only hand-offs are fitted: no sampler to slow the measured runs.
        gil: GilSampling::Counter,
        probe_interval_s: None,
    };
    // Settings take turns within each repetition, so drift of the machine does not land on
    // the 1-thread baseline alone.
    let mut single = Vec::new();
    let mut runs: Vec<(f64, TrialMeasurement)> = Vec::new();
    for r in 0..args.repeat {
        progress.start(&format!("1 thread, run {}/{}", r + 1, args.repeat));
        single.push(measure(&trial(1, 0.005), timeout)?);
        for interval in INTERVALS {
            progress.start(&format!(
                "2 threads at {interval} s, run {}/{}",
                r + 1,
                args.repeat
            ));
            runs.push((interval, measure(&trial(2, interval), timeout)?));
        }
    }
    let iteration_s =
        median(&single.iter().map(|m| m.wall_s).collect::<Vec<_>>()) / args.count as f64;
    progress.finish();
    let switches =
        |m: &TrialMeasurement| m.gil.as_ref().and_then(|g| g.switches).unwrap_or(0) as f64;
    if runs.iter().any(|(_, m)| switches(m) == 0.0) {
        bail!("calibration needs exact hand-off counts, and the GIL figures are unavailable here");
    }
    let free_per_switch: Vec<f64> = runs
        .iter()
        .map(|(_, m)| {
            let held = m.gil.as_ref().and_then(|g| g.held_fraction).unwrap_or(1.0);
            (1.0 - held) * m.wall_s / switches(m)
        })
        .collect();
    let wakeup_s = median(&free_per_switch).max(1e-6);
    let beyond: Vec<f64> = runs
        .iter()
        .map(|(interval, m)| m.wall_s / switches(m) - interval)
        .collect();
    // Beyond the interval a slice spends: the waiter's timer waking late, the GIL free while the
    // signalled waiter wakes, and the dropped thread woken (also a condvar signal) to wait
    // again. The two signals are taken to cost the same.
    let rewait_s = wakeup_s;
    let timeout_latency_s = (median(&beyond) - 2.0 * wakeup_s).max(0.0);
    // Extra wall per hand-off: the slope of wall time against hand-offs across the 2-thread
    // runs (least squares with an intercept, so the noisy 1-thread baseline does not bias it).
    let points: Vec<(f64, f64)> = runs.iter().map(|(_, m)| (switches(m), m.wall_s)).collect();
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let per_switch = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    // The intercept: 2 threads' wall with no hand-offs at all.
    let threaded_iteration_s = ((my - per_switch * mx) / args.count as f64).max(0.0);
    let switch_cost_s = (per_switch - wakeup_s).max(0.0);
    let params = Params {
        source: format!(
            "calibrated {} (count {}, {} runs per setting)",
            date_now(),
            args.count,
            args.repeat
        ),
        iteration_s,
        threaded_iteration_s: Some(threaded_iteration_s),
        switch_cost_s,
        wakeup_s,
        rewait_s,
        timeout_latency_s,
        ..Params::default()
    };
    let path = args.output.clone().unwrap_or_else(default_path);
    Ok((params, path))
}

/// YYYY-MM-DD from the system clock (UTC), without a date crate.
fn date_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    // Civil-from-days (H. Hinnant).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
