//! `gilsim calibrate`: this machine's parameters for the GIL model, from real runs of the
//! embedded countdown with exact hand-off counts.
//!
//! Walls are the mean of each setting's fastest half of runs, as `simulate --validate`
//! measures them (noise on a shared host only slows runs down).
//! - time per iteration: one thread, wall / count; with two threads, the intercept of the fit
//!   below (their wall with no hand-offs);
//! - wake-up (the GIL free at a hand-off): the share of time the GIL was free × the slice, from
//!   extra runs with the sampler (their walls are not used: the sampler slows a run);
//! - the slice beyond the switch interval (wall / hand-offs − interval) = the timer's lateness
//!   + wake-up + the dropped thread's own wake-up to wait again (taken equal to the wake-up);
//! - extra cost per hand-off: slope of wall time against hand-offs across switch intervals
//!   (2 threads, 0.1 to 20 ms), less the wake-up gap already counted;
//! - the holder's time slice on one core (with 2 CPUs or more): 2 threads at 0.1 ms pinned to
//!   one CPU, wall / hand-offs less the wake-up (see `single_core_slice`).
mod fit;

use crate::domain::Runtime;
use crate::measure::gil::watch::GilSampling;
use crate::protocol::{CountdownTrial, TrialMeasurement};
use crate::report::progress::Progress;
use crate::runner::rounds;
use crate::scenario::countdown::measure;
use crate::scenario::spec::CalibrateSpec;
use crate::sim::params::{CalibrationPoint, Params};
use crate::stats::{fast_half, fast_half_mean, median};
use anyhow::{bail, Result};
use fit::fit_wall_against_hand_offs;

const INTERVALS: [f64; 5] = [0.0001, 0.0005, 0.001, 0.005, 0.02];

pub fn run(spec: &CalibrateSpec) -> Result<(Params, std::path::PathBuf)> {
    let timeout = spec.timeout;
    let pinned_setting = std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2;
    let settings = 1 + INTERVALS.len() + usize::from(pinned_setting);
    let mut progress = Progress::new(settings * spec.repeat + INTERVALS.len());
    let trial = |workers, interval, gil| CountdownTrial {
        runtime: Runtime::PythonThreads,
        workers,
        count: spec.count,
        switch_interval_s: Some(interval),
        gil,
        probe_interval_s: None,
        python: None,
        cpus: None,
    };
    // Settings take turns in a fresh random order each round (see `runner::rounds`): setting
    // 0 is one thread, setting 1 + k two threads at INTERVALS[k], and with 2 CPUs or more the
    // last one 2 threads at SLICE_INTERVAL on one CPU.
    let mut single = Vec::new();
    let mut runs: Vec<Vec<TrialMeasurement>> = vec![Vec::new(); INTERVALS.len()];
    let mut pinned: Vec<TrialMeasurement> = Vec::new();
    rounds::fixed(settings, 1, spec.repeat, |turn| {
        let (k, round) = (turn.setting, turn.round + 1);
        if k == 0 {
            progress.start(&format!("1 thread, run {round}/{}", spec.repeat));
            single.push(measure(&trial(1, 0.005, GilSampling::Counter), timeout)?.wall_s);
        } else if k > INTERVALS.len() {
            progress.start(&format!(
                "2 threads at {SLICE_INTERVAL} s on 1 CPU, run {round}/{}",
                spec.repeat
            ));
            let on_one = CountdownTrial {
                cpus: Some(1),
                ..trial(2, SLICE_INTERVAL, GilSampling::Counter)
            };
            pinned.push(measure(&on_one, timeout)?);
        } else {
            let interval = INTERVALS[k - 1];
            progress.start(&format!(
                "2 threads at {interval} s, run {round}/{}",
                spec.repeat
            ));
            runs[k - 1].push(measure(&trial(2, interval, GilSampling::Counter), timeout)?);
        }
        Ok(())
    })?;
    // The GIL-free gap at each hand-off needs the sampler, which slows a run: it gets runs of
    // its own whose walls are not used.
    let mut free_per_switch = Vec::new();
    for interval in INTERVALS {
        progress.start(&format!("2 threads at {interval} s, sampled"));
        let m = measure(&trial(2, interval, GilSampling::Continuous), timeout)?;
        free_per_switch.extend(free_gap_per_switch(&m));
    }
    progress.finish();
    // Walls as `simulate --validate` measures them: the fastest half of each setting's runs
    // (see `stats::fast_half`), hand-offs from the same runs.
    let switches =
        |m: &TrialMeasurement| m.gil.as_ref().and_then(|g| g.switches).unwrap_or(0) as f64;
    if runs.iter().flatten().any(|m| switches(m) == 0.0) || free_per_switch.is_empty() {
        bail!("calibration needs exact hand-off counts, and the GIL figures are unavailable here");
    }
    let mut measured = vec![CalibrationPoint {
        threads: 1,
        switch_interval_s: 0.005,
        wall_s: fast_half_mean(&single),
        switches: 0.0,
        walls_s: single.clone(),
    }];
    let mut beyond = Vec::new();
    for (interval, ms) in INTERVALS.into_iter().zip(&runs) {
        let walls: Vec<f64> = ms.iter().map(|m| m.wall_s).collect();
        let picked = fast_half(&walls);
        let counts: Vec<f64> = picked.iter().map(|&i| switches(&ms[i])).collect();
        beyond.extend(ms.iter().map(|m| m.wall_s / switches(m) - interval));
        measured.push(CalibrationPoint {
            threads: 2,
            switch_interval_s: interval,
            wall_s: fast_half_mean(&walls),
            switches: median(&counts),
            walls_s: walls,
        });
    }
    let source = format!(
        "calibrated {} (count {}, {} runs per setting)",
        date_now(),
        spec.count,
        spec.repeat
    );
    let mut params = fit_params(
        spec.count,
        measured,
        &beyond,
        &free_per_switch,
        true,
        source,
        crate::sim::FieldSource::Calibrated,
    );
    let walls: Vec<f64> = pinned.iter().map(|m| m.wall_s).collect();
    let counts: Vec<f64> = pinned.iter().map(switches).collect();
    params.single_core_slice_s = single_core_slice(&walls, &counts, params.wakeup_s);
    if params.single_core_slice_s > 0.0 {
        params.mark(
            &["single_core_slice_s"],
            crate::sim::FieldSource::Calibrated,
        );
    }
    // The interpreter the figures belong to: version, library and its build id.
    params.python = crate::scenario::host::python_info(timeout)
        .ok()
        .map(|info| {
            let library = info.libpython.clone().unwrap_or(info.executable.clone());
            let build = crate::measure::outside::memory::build_id(std::path::Path::new(&library))
                .map_or(String::new(), |id| format!(", build id {id}"));
            format!(
                "{} {} ({library}{build})",
                info.implementation, info.version
            )
        });
    let path = match &spec.output {
        Some(p) => p.clone(),
        None => crate::paths::default_calibration()?,
    };
    Ok((params, path))
}

/// The switch interval at which the 1-CPU slice is measured: far shorter than a slice, so that
/// every hand-off waits for one.
pub const SLICE_INTERVAL: f64 = 0.0001;

/// The holder's time slice on one CPU from runs of 2 threads at `SLICE_INTERVAL` pinned to
/// one CPU: the median time per hand-off, less the GIL's free gap. 0 without such runs.
pub fn single_core_slice(walls: &[f64], switches: &[f64], wakeup_s: f64) -> f64 {
    let per_hand_off: Vec<f64> = walls
        .iter()
        .zip(switches)
        .filter(|(_, s)| **s > 0.0)
        .map(|(w, s)| w / s)
        .collect();
    if per_hand_off.is_empty() {
        return 0.0;
    }
    (median(&per_hand_off) - wakeup_s).max(0.0)
}

/// The GIL's free time per hand-off in a sampled 2-thread run: the free share of its wall over
/// its hand-offs (None without the sampler's figures or without hand-offs).
pub fn free_gap_per_switch(m: &TrialMeasurement) -> Option<f64> {
    let g = m.gil.as_ref()?;
    let (held, switches) = (g.held_fraction?, g.switches?);
    (switches > 0).then(|| (1.0 - held) * m.wall_s / switches as f64)
}

/// The model's parameters from measured points: `measured[0]` one thread (at 5 ms), the rest
/// two threads at several switch intervals (wall and hand-offs each); `beyond`: each 2-thread
/// run's wall per hand-off less the interval; `free_per_switch`: the GIL-free time per
/// hand-off seen by the sampler. `floor_at_one_thread`: keep two threads' wall without
/// hand-offs at or above one thread's (see `fit_wall_against_hand_offs`).
pub fn fit_params(
    count: u64,
    measured: Vec<CalibrationPoint>,
    beyond: &[f64],
    free_per_switch: &[f64],
    floor_at_one_thread: bool,
    source: String,
    how: crate::sim::FieldSource,
) -> Params {
    let single_wall = measured[0].wall_s;
    let iteration_s = single_wall / count as f64;
    let wakeup_s = median(free_per_switch).max(1e-6);
    // Beyond the interval a slice spends: the waiter's timer waking late, the GIL free while the
    // signalled waiter wakes, and the dropped thread woken (also a condvar signal) to wait
    // again. The two signals are taken to cost the same.
    let rewait_s = wakeup_s;
    let timeout_latency_s = (median(beyond) - 2.0 * wakeup_s).max(0.0);
    // Extra wall per hand-off: the slope of wall time against hand-offs across the 2-thread
    // settings (see `fit_wall_against_hand_offs`).
    let points: Vec<(f64, f64)> = measured[1..]
        .iter()
        .map(|p| (p.switches, p.wall_s))
        .collect();
    let (intercept, per_switch) =
        fit_wall_against_hand_offs(&points, floor_at_one_thread.then_some(single_wall));
    // The intercept: 2 threads' wall with no hand-offs at all.
    let threaded_iteration_s = intercept / count as f64;
    let switch_cost_s = (per_switch - wakeup_s).max(0.0);
    let mut params = Params {
        source,
        iteration_s,
        threaded_iteration_s: Some(threaded_iteration_s),
        switch_cost_s,
        wakeup_s,
        rewait_s,
        timeout_latency_s,
        measured,
        ..Params::default()
    };
    params.mark(&crate::sim::params::COUNTDOWN_FIELDS, how);
    params
}

/// YYYY-MM-DD from the system clock (UTC).
fn date_now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slice_is_the_median_time_per_hand_off_less_the_free_gap() {
        // 4 ms per hand-off in two runs of three (one run without hand-offs is left out).
        let walls = [0.5, 0.6, 0.48, 0.5];
        let switches = [125.0, 150.0, 0.0, 100.0];
        let slice = single_core_slice(&walls, &switches, 20e-6);
        assert!((slice - (4e-3 - 20e-6)).abs() < 1e-12, "{slice}");
        assert_eq!(single_core_slice(&[], &[], 20e-6), 0.0);
        assert_eq!(single_core_slice(&[0.5], &[0.0], 20e-6), 0.0);
    }
}
