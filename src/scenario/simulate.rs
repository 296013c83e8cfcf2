//! `gilsim simulate`: the model's prediction for one scenario, and `--validate`: the model
//! against the real embedded countdown at every point of a grid.
use crate::domain::Runtime;
use crate::measure::gil::watch::GilSampling;
use crate::report::progress::Progress;
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell, Document, Host, Row};
use crate::runner::order::shuffled_rounds;
use crate::scenario::countdown::measure;
use crate::scenario::host;
use crate::scenario::spec::SimulateSpec;
use crate::sim::params::CalibrationPoint;
use crate::sim::{self, Outcome, Params, Policy, Scenario};
use crate::stats::{fast_half, fast_half_mean, median, Summary};
use crate::worker::protocol::CountdownTrial;
use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// Targets at every grid point with an interval of at least 1 ms.
pub const WALL_TARGET: f64 = 0.05;
pub const SWITCH_TARGET: f64 = 0.10;

#[derive(Clone, Debug, Serialize)]
pub struct SimRow {
    pub policy: Policy,
    pub threads: usize,
    pub io_threads: u32,
    pub cores: usize,
    pub switch_interval_s: f64,
    pub count: u64,
    pub predicted_wall_s: f64,
    pub predicted_switches: u64,
    pub switches_per_s: f64,
    pub gil_held_fraction: Option<f64>,
    pub threads_detail: Vec<SimThread>,
    pub requests_per_s: Option<f64>,
    pub events: u64,
    /// How long the simulation itself took.
    pub simulated_in_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SimThread {
    pub name: String,
    pub held_fraction: f64,
    pub wait_s: f64,
}

/// The parameters to use, and a sentence saying where they come from.
pub fn parameters(spec: &SimulateSpec) -> Result<(Params, String)> {
    match crate::paths::load_calibration(spec.calibration.as_deref())? {
        Some(p) => {
            let note = format!("Parameters: {}.", p.source);
            Ok((p, note))
        }
        None => Ok((
            Params::default(),
            format!(
                "No calibration found at {} (run `gilsim calibrate`): using documented defaults ({:.0} ns per iteration, {} wake-up, {} timer lateness, {} per hand-off).",
                crate::paths::default_calibration()?.display(),
                Params::default().iteration_s * 1e9,
                seconds(Params::default().wakeup_s),
                seconds(Params::default().timeout_latency_s),
                seconds(Params::default().switch_cost_s)
            ),
        )),
    }
}

pub fn one(spec: &SimulateSpec) -> Result<(Document<SimRow>, Outcome, Scenario)> {
    if spec.threads.len() > 1 || spec.switch_interval.len() > 1 {
        crate::usage_bail!("lists of --threads or --switch-interval go with --validate");
    }
    let (params, note) = parameters(spec)?;
    let threads = spec.threads.first().copied().unwrap_or(2);
    let cores = spec
        .cores
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let scenario = Scenario {
        cpu_threads: threads,
        count: spec.count.unwrap_or(50_000_000),
        io_threads: spec.io_threads as usize,
        cores,
        switch_interval_s: spec.switch_interval.first().copied().unwrap_or(0.005),
        policy: spec.gil,
        seed: spec.seed,
        duration_s: spec.duration,
        record: spec.record,
        // The seed's script: one thread runs in the main thread, several are started by it.
        main_thread: threads > 1 && spec.gil == Policy::New,
    };
    if threads == 0 && spec.io_threads == 0 {
        crate::usage_bail!("nothing to simulate: give --threads or --io-threads at least 1");
    }
    if threads == 0 && spec.io_threads > 0 && spec.duration.is_none() {
        crate::usage_bail!("with only I/O threads the run never ends by itself: give --duration");
    }
    let started = Instant::now();
    let outcome = sim::simulate(&params, &scenario);
    let took = started.elapsed().as_secs_f64();
    let row = row(&scenario, &outcome, took);
    let verdict = format!(
        "The model predicts {} for {} thread{} ({} policy, {} switch interval, {} cores): {} hand-offs ({:.0} per second){}. {note} Simulated {} events in {}.",
        seconds(row.predicted_wall_s),
        threads,
        if threads == 1 { "" } else { "s" },
        format!("{:?}", spec.gil).to_lowercase(),
        seconds(scenario.switch_interval_s),
        cores,
        thousands(row.predicted_switches),
        row.switches_per_s,
        row.requests_per_s.map_or(String::new(), |r| format!(
            "; the I/O threads served {} requests/s",
            thousands(r.round() as u64)
        )),
        thousands(row.events),
        seconds(took)
    );
    let doc = Document {
        schema: crate::report::document::SCHEMA,
        command: "simulate".into(),
        params: json!({
            "threads": threads,
            "cores": cores,
            "switch_interval_s": scenario.switch_interval_s,
            "count": scenario.count,
            "io_threads": spec.io_threads,
            "gil": spec.gil,
            "seed": spec.seed,
            "model": params,
        }),
        host: Host::new(None),
        results: vec![row],
        verdict,
    };
    Ok((doc, outcome, scenario))
}

fn row(s: &Scenario, o: &Outcome, took: f64) -> SimRow {
    SimRow {
        policy: s.policy,
        threads: s.cpu_threads,
        io_threads: s.io_threads as u32,
        cores: s.cores,
        switch_interval_s: s.switch_interval_s,
        count: s.count,
        predicted_wall_s: o.wall_s,
        predicted_switches: o.switches,
        switches_per_s: o.switches as f64 / o.wall_s.max(1e-12),
        gil_held_fraction: (s.policy != Policy::None).then(|| o.gil_held_s / o.wall_s.max(1e-12)),
        threads_detail: o
            .threads
            .iter()
            .map(|t| SimThread {
                name: t.name.clone(),
                held_fraction: t.held_s / o.wall_s.max(1e-12),
                wait_s: t.wait_s,
            })
            .collect(),
        requests_per_s: (s.io_threads > 0).then(|| o.requests as f64 / o.wall_s.max(1e-12)),
        events: o.events,
        simulated_in_s: took,
    }
}

impl Row for SimRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("gil", format!("{:?}", self.policy).to_lowercase()),
            Cell::new("threads", self.threads.to_string()),
            Cell::new("io", self.io_threads.to_string()),
            Cell::new("cores", self.cores.to_string()),
            Cell::new("interval", seconds(self.switch_interval_s)),
            Cell::new("predicted wall", seconds(self.predicted_wall_s)),
            Cell::new("hand-offs", thousands(self.predicted_switches)),
            Cell::new("per s", thousands(self.switches_per_s.round() as u64)),
            Cell::new(
                "GIL held",
                self.gil_held_fraction
                    .map_or("–".into(), |h| format!("{:.1} %", h * 100.0)),
            ),
            Cell::wide("held per thread", shares_text(&self.threads_detail)),
            Cell::new(
                "req/s",
                self.requests_per_s
                    .map_or("–".into(), |r| thousands(r.round() as u64)),
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("gil", format!("{:?}", self.policy).to_lowercase()),
            ("threads", self.threads.to_string()),
            ("io_threads", self.io_threads.to_string()),
            ("cores", self.cores.to_string()),
            ("switch_interval_s", self.switch_interval_s.to_string()),
            ("count", self.count.to_string()),
            ("predicted_wall_s", self.predicted_wall_s.to_string()),
            ("predicted_switches", self.predicted_switches.to_string()),
            ("gil_held_fraction", field(self.gil_held_fraction)),
            ("requests_per_s", field(self.requests_per_s)),
        ]
    }
}

/// Each thread's held share in percent ("49 + 51"); with many threads, min / median / max.
fn shares_text(threads: &[SimThread]) -> String {
    let shares: Vec<f64> = threads.iter().map(|t| t.held_fraction * 100.0).collect();
    match shares.len() {
        0 => "–".into(),
        1..=4 => shares
            .iter()
            .map(|h| format!("{h:.0}"))
            .collect::<Vec<_>>()
            .join(" + "),
        _ => {
            let s = Summary::of(&shares);
            format!(
                "{:.0} / {:.0} / {:.0} (min / median / max)",
                s.min, s.median, s.max
            )
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ValidateRow {
    pub threads: usize,
    pub switch_interval_s: f64,
    /// The mean of the fastest half of the runs (the estimate compared with the model).
    pub measured_wall_s: f64,
    /// The median of all runs, and every run, for the reader to judge the spread.
    pub measured_wall_median_s: f64,
    pub measured_walls_s: Vec<f64>,
    pub predicted_wall_s: f64,
    /// (predicted − measured) / measured.
    pub wall_error: f64,
    pub measured_switches: Option<u64>,
    pub predicted_switches: u64,
    pub switch_error: Option<f64>,
    /// Interval ≥ 1 ms and both errors within the targets (null below 1 ms: no target).
    pub meets_target: Option<bool>,
}

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
    let targeted: Vec<&ValidateRow> = rows.iter().filter(|r| r.meets_target.is_some()).collect();
    let met = targeted
        .iter()
        .filter(|r| r.meets_target == Some(true))
        .count();
    let misses: Vec<String> = targeted
        .iter()
        .filter(|r| r.meets_target == Some(false))
        .map(|r| {
            format!(
                "{} thread{} at {}: wall {:+.1} %, hand-offs {}",
                r.threads,
                if r.threads == 1 { "" } else { "s" },
                seconds(r.switch_interval_s),
                r.wall_error * 100.0,
                r.switch_error
                    .map_or("n/a".into(), |e| format!("{:+.1} %", e * 100.0))
            )
        })
        .collect();
    let mut verdict = format!(
        "{met} of {} grid points with a switch interval ≥ 1 ms meet the targets (wall time within {:.0} %, hand-offs within {:.0} %).",
        targeted.len(),
        WALL_TARGET * 100.0,
        SWITCH_TARGET * 100.0
    );
    if !misses.is_empty() {
        verdict += &format!(" Misses: {}.", misses.join("; "));
    }
    let below: Vec<&ValidateRow> = rows.iter().filter(|r| r.meets_target.is_none()).collect();
    if !below.is_empty() {
        let worst = below.iter().map(|r| r.wall_error.abs()).fold(0.0, f64::max);
        verdict += &format!(
            " Below 1 ms there is no target; the largest wall error there was {:.1} %.",
            worst * 100.0
        );
    }
    verdict += &noise_sentence(&rows, spec.repeat);
    verdict += &two_thread_drift_sentence(&rows, &params);
    verdict += &format!(" {note}");
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

/// Two threads with few hand-offs against one thread, at calibration and now: on a shared host
/// the ratio itself can move within minutes (a 2-thread run keeps two CPUs busy, a 1-thread run
/// mostly one), and every multi-thread wall moves with it.
fn two_thread_drift_sentence(rows: &[ValidateRow], params: &Params) -> String {
    let few_hand_offs = |p: &&CalibrationPoint| p.threads == 2 && p.switch_interval_s >= 0.02;
    let then = params
        .measured
        .iter()
        .find(|p| p.threads == 1)
        .zip(params.measured.iter().rfind(few_hand_offs))
        .map(|(one, two)| two.wall_s / one.wall_s);
    let single: Vec<f64> = rows
        .iter()
        .filter(|r| r.threads == 1)
        .map(|r| r.measured_wall_s)
        .collect();
    let now = rows
        .iter()
        .rfind(|r| r.threads == 2 && r.switch_interval_s >= 0.02)
        .filter(|_| !single.is_empty())
        .map(|r| r.measured_wall_s / (single.iter().sum::<f64>() / single.len() as f64));
    match (then, now) {
        (Some(then), Some(now)) => format!(
            " Two threads with few hand-offs took ×{then:.2} one thread's wall at calibration and ×{now:.2} in these runs{}",
            if (then - now).abs() > WALL_TARGET {
                ": the computer's speed with two CPUs busy, relative to one, moved by more than the wall target, and every multi-thread wall moves with it."
            } else {
                "."
            }
        ),
        _ => String::new(),
    }
}

/// What the measurement itself can tell apart: the run-to-run spread, and how far apart the
/// one-thread points land (the same experiment whatever the switch interval).
fn noise_sentence(rows: &[ValidateRow], repeat: usize) -> String {
    let mut text = format!(
        " Measured wall = mean of the fastest half of {repeat} run{} per point (on a shared host contention only slows a run; medians and every run are in the JSON).",
        if repeat == 1 { "" } else { "s" }
    );
    if repeat > 1 {
        let spreads: Vec<f64> = rows
            .iter()
            .map(|r| {
                let s = Summary::of(&r.measured_walls_s);
                s.max / s.min - 1.0
            })
            .collect();
        text += &format!(
            " Slowest over fastest run of a point: median +{:.0} %.",
            median(&spreads) * 100.0
        );
    }
    let single: Vec<f64> = rows
        .iter()
        .filter(|r| r.threads == 1)
        .map(|r| r.measured_wall_s)
        .collect();
    if single.len() > 1 {
        let s = Summary::of(&single);
        text += &format!(
            " The {} one-thread points, one experiment measured {} times, differ by {:.1} %: errors smaller than that are below what this machine can resolve.",
            single.len(),
            single.len(),
            (s.max / s.min - 1.0) * 100.0
        );
    }
    text
}

impl Row for ValidateRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("threads", self.threads.to_string()),
            Cell::new("interval", seconds(self.switch_interval_s)),
            Cell::new("wall", seconds(self.measured_wall_s)),
            Cell::new("model", seconds(self.predicted_wall_s)),
            Cell::new("err", format!("{:+.1} %", self.wall_error * 100.0)),
            Cell::new(
                "hand-offs",
                self.measured_switches.map_or("–".into(), thousands),
            ),
            Cell::new("model h-o", thousands(self.predicted_switches)),
            Cell::new(
                "err h-o",
                self.switch_error
                    .map_or("–".into(), |e| format!("{:+.1} %", e * 100.0)),
            ),
            Cell::new(
                "target",
                match self.meets_target {
                    Some(true) => "met",
                    Some(false) => "MISSED",
                    None => "–",
                },
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("threads", self.threads.to_string()),
            ("switch_interval_s", self.switch_interval_s.to_string()),
            ("measured_wall_s", self.measured_wall_s.to_string()),
            ("predicted_wall_s", self.predicted_wall_s.to_string()),
            ("wall_error", self.wall_error.to_string()),
            ("measured_switches", field(self.measured_switches)),
            ("predicted_switches", self.predicted_switches.to_string()),
            ("switch_error", field(self.switch_error)),
            ("meets_target", field(self.meets_target)),
        ]
    }
}
