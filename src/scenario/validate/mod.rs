//! `gilsim simulate --validate`: the real embedded countdown at every grid point beside the
//! model, with the error of each.
mod rows;
mod verdict;

pub use rows::ValidateRow;

use crate::domain::Runtime;
use crate::measure::gil::watch::GilSampling;
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::runner::order::shuffled_rounds;
use crate::scenario::countdown::measure;
use crate::scenario::host;
use crate::scenario::simulate::parameters;
use crate::scenario::spec::SimulateSpec;
use crate::sim::{self, Policy, Scenario};
use crate::stats::{fast_half, fast_half_mean, median};
use crate::worker::protocol::CountdownTrial;
use anyhow::Result;
use serde_json::json;
use std::time::Duration;

/// Targets at every grid point with an interval of at least 1 ms.
pub const WALL_TARGET: f64 = 0.05;

pub const SWITCH_TARGET: f64 = 0.10;

pub fn validate(spec: &SimulateSpec) -> Result<Document<ValidateRow>> {
    let (params, note) = parameters(spec)?;
    let threads = if spec.threads.is_empty() {
        vec![1, 2, 4]
    } else {
        spec.threads.clone()
    };
    let intervals = if spec.switch_interval.is_empty() {
        vec![0.0001, 0.001, 0.005, 0.05]
    } else {
        spec.switch_interval.clone()
    };
    if threads.contains(&0) {
        crate::usage_bail!(
            "--validate runs the countdown on each --threads value: they must be at least 1"
        );
    }
    let count = spec.count.unwrap_or(20_000_000);
    let cores = spec
        .cores
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let timeout = Duration::from_secs_f64(spec.timeout);
    // Grid points take turns in a fresh random order each round (see `runner::order`).
    let points: Vec<(usize, f64)> = threads
        .iter()
        .flat_map(|&n| intervals.iter().map(move |&i| (n, i)))
        .collect();
    let mut progress = Progress::new(1 + points.len() * spec.repeat);
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout)?;
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); points.len()];
    let mut counted: Vec<Vec<Option<f64>>> = vec![Vec::new(); points.len()];
    for (i, k) in shuffled_rounds(points.len(), spec.repeat, spec.seed)
        .into_iter()
        .enumerate()
    {
        let (n, interval) = points[k];
        let round = i / points.len() + 1;
        progress.start(&format!(
            "{n} thread{} at {interval} s, run {round}/{}",
            if n == 1 { "" } else { "s" },
            spec.repeat
        ));
        let m = measure(
            &CountdownTrial {
                runtime: Runtime::PythonThreads,
                workers: n,
                count,
                switch_interval_s: Some(interval),
                // Only hand-offs are compared: no sampler to slow the measured run.
                gil: GilSampling::Counter,
                probe_interval_s: None,
                python: None,
                cpus: None,
            },
            timeout,
        )?;
        walls[k].push(m.wall_s);
        counted[k].push(m.gil.and_then(|g| g.switches).map(|s| s as f64));
    }
    progress.finish();
    let scenario = |n: usize, interval: f64| Scenario {
        cpu_threads: n,
        count,
        io_threads: 0,
        cores,
        switch_interval_s: interval,
        policy: Policy::New,
        seed: spec.seed,
        duration_s: None,
        record: false,
        // As the measured countdown: N > 1 threads started and joined by the main one.
        main_thread: n > 1,
        exact: true,
    };
    let mut rows = Vec::new();
    for (k, &(n, interval)) in points.iter().enumerate() {
        let (walls_k, switches) = (&walls[k], &counted[k]);
        let predicted = sim::simulate(&params, &scenario(n, interval));
        // The runs compared: the fastest half (see `stats::fast_half`), hand-offs from the
        // same runs, so both describe the machine in its undisturbed state.
        let picked = fast_half(walls_k);
        let measured_wall = fast_half_mean(walls_k);
        let picked_switches: Vec<f64> = picked.iter().filter_map(|&i| switches[i]).collect();
        let measured_switches = (picked_switches.len() == picked.len())
            .then(|| median(&picked_switches).round() as u64);
        let wall_error = (predicted.wall_s - measured_wall) / measured_wall;
        let switch_error = measured_switches.map(|m| {
            if m == 0 {
                if predicted.switches == 0 {
                    0.0
                } else {
                    1.0
                }
            } else {
                (predicted.switches as f64 - m as f64) / m as f64
            }
        });
        let meets_target = (interval >= 0.001).then(|| {
            wall_error.abs() <= WALL_TARGET
                && switch_error.is_some_and(|e| {
                    e.abs() <= SWITCH_TARGET || (n == 1 && predicted.switches <= 2)
                })
        });
        rows.push(ValidateRow {
            threads: n,
            switch_interval_s: interval,
            measured_wall_s: measured_wall,
            measured_wall_median_s: median(walls_k),
            measured_walls_s: walls_k.clone(),
            predicted_wall_s: predicted.wall_s,
            wall_error,
            measured_switches,
            predicted_switches: predicted.switches,
            switch_error,
            meets_target,
        });
    }
    let verdict = verdict::write(&rows, spec.repeat, &params, &note);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "simulate-validate".into(),
        params: json!({
            "threads": threads,
            "switch_interval_s": intervals,
            "count": count,
            "repeat": spec.repeat,
            "cores": cores,
            "model": params,
        }),
        host: Host::new(Some(&python)),
        results: rows,
        verdict,
    })
}
