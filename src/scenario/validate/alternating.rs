//! `gilsim simulate --validate` by alternation: each point and the 1-thread reference take
//! turns in short segments inside one worker, so both meet the same vCPU, the same neighbours
//! and the same minute, and their ratio cancels most of a noisy host's per-run swings.
//!
//! - **Segments.** A trial runs one warm-up pair and then pairs of the reference and the
//!   point in a random order within each pair, for about `TRIAL_S`; each segment counts a
//!   fixed number of iterations (a reference segment lasts ~`SEGMENT_S`, longer at long
//!   intervals so a segment spans several of them). Both settings count in the same parked
//!   threads while the main thread waits (thread start-up stays out of the segments), a lone
//!   thread once pinned to each CPU (their mean: virtual CPUs differ in speed, and a lone
//!   thread would stay on one); each segment's hand-offs are read exactly around it.
//! - **What is validated.** Per point: the median per-pair ratio T_point / T_reference and the
//!   hand-off rate of its segments, each with a 95 % bootstrap interval (trials, then pairs
//!   within them). Resolved when the ratio's half-width is within half its 5 % target and the
//!   rate's within half its 10 % target. Unresolved points get further trials until the
//!   budget ends.
//! - **The model** is fitted on the training points of these same trials (walls expressed in
//!   reference segments), with the GIL's free gap from separate sampled runs (the sampler would
//!   slow the timed segments), and predicts each point's ratio and rate; the reference's own
//!   cost cancels in the ratio.
use super::grid::{self, Point, Role};
use super::interval::relative_half_width;
use crate::domain::{Runtime, Segment, SegmentsOutcome};
use crate::measure::gil::watch::GilSampling;
use crate::protocol::{CountdownTrial, Job, SegmentWorkload, SegmentsTrial, Setting};
use crate::report::progress::Progress;
use crate::report::render::csv_fields;
use crate::report::units::{seconds, thousands};
use crate::report::{Cell, Document, Host, Row};
use crate::runner::rounds::{drive, Until};
use crate::scenario::calibrate::free_gap_per_switch;
use crate::scenario::countdown::measure;
use crate::scenario::spec::SimulateSpec;
use crate::scenario::validate::rows::verdict_word;
use crate::scenario::{host, measure_job};
use crate::sim::params::CalibrationPoint;
use crate::sim::{self, Params, Policy, Scenario};
use crate::stats::{median, percentile};
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use serde_json::json;
use std::time::Instant;

/// Targets at resolved held-out points at 1 ms or more: the ratio to the reference and the
/// hand-off rate, relative.
pub const RATIO_TARGET: f64 = 0.05;
pub const RATE_TARGET: f64 = 0.10;
/// A reference segment's length; a segment also spans at least `INTERVALS_PER_SEGMENT` of
/// its point's switch intervals. Short segments because the host's speed swings within a
/// fraction of a second: the closer a pair's segments, the more of a swing they share.
const SEGMENT_S: f64 = 0.02;
const INTERVALS_PER_SEGMENT: f64 = 4.0;
/// How long one trial measures, and the bounds on its pairs (after one warm-up pair).
const TRIAL_S: f64 = 4.0;
const MIN_PAIRS: usize = 10;
/// Trials a point needs before it can be resolved: one trial says nothing of how much worker
/// processes differ.
pub(crate) const MIN_TRIALS: usize = 2;
const MAX_PAIRS: usize = 400;

/// The segment's main thread hands the GIL to the crew and takes it back when the crew is done.
const MAIN_HAND_OFFS: u64 = 2;

/// The reference every point is paired with: the study note's single thread at 5 ms.
const REFERENCE: Setting = Setting {
    threads: 1,
    switch_interval_s: 0.005,
};

#[derive(Clone, Debug, Serialize)]
pub struct AlternatingRow {
    pub threads: usize,
    pub switch_interval_s: f64,
    /// CPUs the trial (both settings) was limited to (None: all).
    pub cpus: Option<usize>,
    /// `train` (the model is fitted on it) or `held-out` (predicted).
    pub role: &'static str,
    /// `alternating`: segments of the point and the reference in one worker.
    pub method: &'static str,
    /// Worker processes (trials) and measured pairs over them.
    pub trials: usize,
    pub pairs: usize,
    /// Countdown iterations per segment.
    pub count: u64,
    /// Median of the per-pair ratios T_point / T_reference, its 95 % interval, every pair's.
    pub measured_ratio: f64,
    pub ratio_interval: (f64, f64),
    pub measured_ratios: Vec<f64>,
    pub predicted_ratio: f64,
    /// (predicted − measured) / measured.
    pub ratio_error: f64,
    /// Median hand-offs per second of the point's segments and its 95 % interval.
    pub measured_switch_rate: f64,
    pub switch_rate_interval: (f64, f64),
    pub predicted_switch_rate: f64,
    pub switch_rate_error: f64,
    /// Median CPU/wall of the point's segments.
    pub measured_parallelism: f64,
    /// The ratio's half-width within half its target, and the rate's within half its (the
    /// rate is not judged for 1 thread).
    pub resolved: bool,
    /// Resolved held-out points at ≥ 1 ms: both errors within their targets; null otherwise.
    pub meets_target: Option<bool>,
}

impl Row for AlternatingRow {
    fn cells(&self) -> Vec<Cell> {
        let mut point = format!("{}×{}", self.threads, seconds(self.switch_interval_s));
        if let Some(c) = self.cpus {
            point += &format!(" {c} CPU");
        }
        let half = |interval: (f64, f64), centre: f64| {
            if centre > 0.0 {
                format!("±{:.1} %", relative_half_width(interval, centre) * 100.0)
            } else {
                "–".into()
            }
        };
        vec![
            Cell::new("point", point),
            Cell::new("role", self.role),
            Cell::new("ratio", format!("{:.3}", self.measured_ratio)),
            Cell::new("CI 95 %", half(self.ratio_interval, self.measured_ratio)),
            Cell::new("model", format!("{:.3}", self.predicted_ratio)),
            Cell::new("err", format!("{:+.1} %", self.ratio_error * 100.0)),
            Cell::new("h-o/s", thousands(self.measured_switch_rate.round() as u64)),
            Cell::wide(
                "h-o/s CI",
                half(self.switch_rate_interval, self.measured_switch_rate),
            ),
            Cell::wide(
                "model h-o/s",
                thousands(self.predicted_switch_rate.round() as u64),
            ),
            Cell::new(
                "err h-o/s",
                if self.threads == 1 {
                    "–".into()
                } else {
                    format!("{:+.1} %", self.switch_rate_error * 100.0)
                },
            ),
            Cell::new("verdict", verdict_word(self.resolved, self.meets_target)),
            Cell::wide("pairs", self.pairs.to_string()),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            threads, switch_interval_s, ?cpus, role, method, trials, pairs, count, measured_ratio,
            ratio_interval.., predicted_ratio, ratio_error, measured_switch_rate,
            switch_rate_interval.., predicted_switch_rate, switch_rate_error, measured_parallelism,
            resolved, ?meets_target,
        )
    }
}

/// One point's pairs, trial by trial: (reference, point) segments of each pair.
#[derive(Default)]
pub(crate) struct Pairs {
    pub(crate) trials: Vec<Vec<(Segment, Segment)>>,
}

impl Pairs {
    pub(crate) fn add(&mut self, outcome: &SegmentsOutcome) {
        self.trials.push(outcome.pairs());
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &(Segment, Segment)> {
        self.trials.iter().flatten()
    }

    pub(crate) fn count(&self) -> usize {
        self.all().count()
    }

    pub(crate) fn ratios(&self) -> Vec<f64> {
        self.all().map(|(r, p)| p.wall_s / r.wall_s).collect()
    }
}

/// The median per-pair ratio and the hand-off rate (all the point segments' hand-offs over
/// their time) of some pairs.
pub(crate) fn figures(pairs: &[&(Segment, Segment)]) -> (f64, f64) {
    let ratios: Vec<f64> = pairs.iter().map(|(r, p)| p.wall_s / r.wall_s).collect();
    let switches: f64 = pairs
        .iter()
        .map(|(_, p)| p.switches.unwrap_or(0) as f64)
        .sum();
    let wall: f64 = pairs.iter().map(|(_, p)| p.wall_s).sum();
    (median(&ratios), switches / wall.max(1e-12))
}

/// 95 % intervals of both figures by a two-level bootstrap: trials resampled, then pairs
/// within each, so a difference between worker processes widens the interval as it should.
pub(crate) fn intervals(pairs: &Pairs, seed: u64) -> ((f64, f64), (f64, f64)) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let (mut ratios, mut rates) = (Vec::new(), Vec::new());
    let n = pairs.trials.len();
    for _ in 0..RESAMPLES {
        let mut picked = Vec::new();
        for _ in 0..n {
            let trial = &pairs.trials[rng.random_range(0..n)];
            for _ in 0..trial.len() {
                picked.push(&trial[rng.random_range(0..trial.len())]);
            }
        }
        if picked.is_empty() {
            continue;
        }
        let (ratio, rate) = figures(&picked);
        ratios.push(ratio);
        rates.push(rate);
    }
    let range = |v: &[f64]| (percentile(v, 2.5), percentile(v, 97.5));
    (range(&ratios), range(&rates))
}

const RESAMPLES: usize = 1000;

/// A point's figures and whether they are resolved.
struct Estimate {
    ratio: f64,
    ratio_interval: (f64, f64),
    rate: f64,
    rate_interval: (f64, f64),
    resolved: bool,
}

fn estimate(point: &Point, pairs: &Pairs, seed: u64) -> Estimate {
    let all: Vec<&(Segment, Segment)> = pairs.all().collect();
    let (ratio, rate) = figures(&all);
    let (ratio_interval, rate_interval) = intervals(pairs, seed);
    let ratio_ok = pairs.trials.len() >= MIN_TRIALS
        && relative_half_width(ratio_interval, ratio) <= RATIO_TARGET / 2.0;
    let rate_ok = point.threads == 1
        || (rate > 0.0 && relative_half_width(rate_interval, rate) <= RATE_TARGET / 2.0);
    Estimate {
        ratio,
        ratio_interval,
        rate,
        rate_interval,
        resolved: ratio_ok && rate_ok,
    }
}

/// How many base counts a point's segments count: enough for `INTERVALS_PER_SEGMENT` of its
/// switch intervals.
fn segment_scale(p: &Point) -> u64 {
    (INTERVALS_PER_SEGMENT * p.interval / SEGMENT_S)
        .ceil()
        .max(1.0) as u64
}

/// Pairs per trial: a trial lasts about `trial_s` (a 1-thread segment runs once per CPU).
fn pairs_for(p: &Point, cpus: usize, trial_s: f64) -> usize {
    let segments_per_pair = if p.threads == 1 { 2 * cpus } else { 1 + cpus };
    let pair_s = SEGMENT_S * segment_scale(p) as f64 * segments_per_pair as f64;
    ((trial_s / pair_s).round() as usize).clamp(MIN_PAIRS, MAX_PAIRS)
}

pub fn validate(spec: &SimulateSpec) -> Result<Document<AlternatingRow>> {
    let cores = spec
        .cores
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let points = grid::points(&spec.threads, &spec.switch_interval, cores)?;
    let timeout = spec.timeout;
    let started = Instant::now();
    let mut progress = Progress::new(0);
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout)?;
    // The GIL's free gap per hand-off needs the sampler, which would slow the timed segments:
    // one sampled countdown per 2-thread training point on every CPU, its wall unused.
    let mut free_per_switch = Vec::new();
    for p in points
        .iter()
        .filter(|p| p.role == Role::Train && p.threads == 2 && p.cpus.is_none())
    {
        progress.start(&format!("{}, sampled", p.describe()));
        let trial = CountdownTrial {
            runtime: Runtime::PythonThreads,
            workers: p.threads,
            count: 20_000_000,
            switch_interval_s: Some(p.interval),
            gil: GilSampling::Continuous,
            probe_interval_s: None,
            python: None,
            cpus: None,
        };
        free_per_switch.extend(free_gap_per_switch(&measure(&trial, timeout)?));
    }
    if free_per_switch.is_empty() {
        bail!("validation needs exact GIL figures, and they are unavailable here");
    }
    // Point 0 is the reference itself: it is in every trial.
    let measured: Vec<usize> = (1..points.len()).collect();
    // A budget too small for two full trials of every point gets shorter trials.
    let trial_s =
        TRIAL_S.min(spec.budget.as_secs_f64() / (measured.len() * MIN_TRIALS).max(1) as f64);
    let pooled: Vec<Pairs> = points.iter().map(|_| Pairs::default()).collect();
    let until = Until::Resolved {
        deadline: started + spec.budget,
        min_rounds: 0,
        whole_rounds: false,
    };
    // Setting i is point i + 1.
    let open = |(pooled, _): &(Vec<Pairs>, Option<u64>), _| {
        measured
            .iter()
            .filter(|&&k| {
                pooled[k].trials.len() < MIN_TRIALS
                    || !estimate(&points[k], &pooled[k], spec.seed).resolved
            })
            .map(|k| k - 1)
            .collect()
    };
    let mut state = (pooled, spec.count);
    let driven = drive(
        &mut state,
        measured.len(),
        spec.seed,
        until,
        open,
        |state, turn| {
            let (pooled, base_count) = state;
            let k = measured[turn.setting];
            let p = &points[k];
            let scale = segment_scale(p);
            let pairs = pairs_for(p, p.cpus.unwrap_or(cores), trial_s);
            progress.start(&format!(
                "round {}: {} against 1 thread, {pairs} pairs",
                turn.round + 1,
                p.describe()
            ));
            let trial = SegmentsTrial {
                workload: SegmentWorkload::Countdown {
                    count: base_count.map(|c| c * scale),
                    target_s: SEGMENT_S * scale as f64,
                },
                reference: REFERENCE,
                point: Setting {
                    threads: p.threads,
                    switch_interval_s: p.interval,
                },
                pairs,
                seed: spec
                    .seed
                    .wrapping_add((turn.round * points.len() + k) as u64),
                cpus: p.cpus,
            };
            let run = measure_job::<SegmentsOutcome>(&Job::Segments(trial), timeout)?
                .map_err(|e| anyhow!("an alternating trial of {} failed: {e}", p.describe()))?;
            if run.data.segments.iter().any(|s| s.switches.is_none()) {
                bail!("validation needs exact hand-off counts, and they are unavailable here");
            }
            if base_count.is_none() {
                *base_count = run.data.count.map(|c| (c / scale).max(1));
            }
            pooled[k].add(&run.data);
            Ok(())
        },
    )?;
    let (pooled, base_count) = state;
    let (rounds, stopped_by) = (driven.rounds, driven.stopped_by.as_str());
    progress.finish();
    let count = base_count.unwrap_or(0);
    let estimates: Vec<Option<Estimate>> = points
        .iter()
        .zip(&pooled)
        .map(|(p, pairs)| (pairs.count() > 0).then(|| estimate(p, pairs, spec.seed)))
        .collect();
    let reference_wall = median(
        &pooled
            .iter()
            .zip(&points)
            .filter(|(_, p)| p.cpus.is_none() && segment_scale(p) == 1)
            .flat_map(|(pairs, _)| pairs.all().map(|(r, _)| r.wall_s))
            .collect::<Vec<_>>(),
    );
    let params = fit(
        &points,
        &pooled,
        &estimates,
        reference_wall,
        &free_per_switch,
        count,
    );
    let mut rows = Vec::new();
    for (k, p) in points.iter().enumerate().skip(1) {
        let Some(e) = &estimates[k] else { continue };
        let pairs = &pooled[k];
        let p_count = count * segment_scale(p);
        let model = |threads: usize, interval: f64| {
            sim::simulate(
                &params,
                &Scenario {
                    cpu_threads: threads,
                    count: p_count,
                    io_threads: 0,
                    cores: p.cpus.unwrap_or(cores),
                    switch_interval_s: interval,
                    policy: Policy::New,
                    seed: spec.seed,
                    duration_s: None,
                    record: false,
                    // Parked threads, all woken at once; the main thread's own two hand-offs
                    // (to the crew and back) are added below.
                    main_thread: false,
                    exact: true,
                },
            )
        };
        let point = model(p.threads, p.interval);
        let reference = model(REFERENCE.threads, REFERENCE.switch_interval_s);
        let predicted_ratio = point.wall_s / reference.wall_s;
        let predicted_rate = (point.switches + MAIN_HAND_OFFS) as f64 / point.wall_s;
        let ratio_error = (predicted_ratio - e.ratio) / e.ratio;
        let rate_error = if e.rate > 0.0 {
            (predicted_rate - e.rate) / e.rate
        } else {
            0.0
        };
        let meets_target =
            (p.role == Role::HeldOut && e.resolved && p.interval >= 0.001).then(|| {
                ratio_error.abs() <= RATIO_TARGET
                    && (p.threads == 1 || rate_error.abs() <= RATE_TARGET)
            });
        let parallelism: Vec<f64> = pairs.all().map(|(_, s)| s.cpu_s / s.wall_s).collect();
        rows.push(AlternatingRow {
            threads: p.threads,
            switch_interval_s: p.interval,
            cpus: p.cpus,
            role: p.role.name(),
            method: "alternating",
            trials: pairs.trials.len(),
            pairs: pairs.count(),
            count: p_count,
            measured_ratio: e.ratio,
            ratio_interval: e.ratio_interval,
            measured_ratios: pairs.ratios(),
            predicted_ratio,
            ratio_error,
            measured_switch_rate: e.rate,
            switch_rate_interval: e.rate_interval,
            predicted_switch_rate: predicted_rate,
            switch_rate_error: rate_error,
            measured_parallelism: median(&parallelism),
            resolved: e.resolved,
            meets_target,
        });
    }
    let elapsed = started.elapsed().as_secs_f64();
    let verdict = verdict(&rows, &params, stopped_by, elapsed, reference_wall, count);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "simulate-validate".into(),
        params: json!({
            "method": "alternating",
            "points": points.len(),
            "count": count,
            "segment_s": SEGMENT_S,
            "trial_s": TRIAL_S,
            "rounds": rounds,
            "budget_s": spec.budget.as_secs_f64(),
            "stopped_by": stopped_by,
            "elapsed_s": elapsed,
            "cores": cores,
            "ratio_target": RATIO_TARGET,
            "switch_rate_target": RATE_TARGET,
            "reference_segment_s": reference_wall,
            "sampled_free_gap_s": free_per_switch,
            "model": params,
        }),
        host: Host::new(Some(&python)),
        results: rows,
        verdict,
    })
}

/// A segment's hand-offs between the counting threads: its count less the main thread's.
fn gil_switches(s: &Segment) -> f64 {
    s.switches.unwrap_or(0).saturating_sub(MAIN_HAND_OFFS) as f64
}

/// The model's parameters from the training points of these trials, their walls expressed as
/// ratio × the reference segment's median wall.
fn fit(
    points: &[Point],
    pooled: &[Pairs],
    estimates: &[Option<Estimate>],
    reference_wall: f64,
    free_per_switch: &[f64],
    count: u64,
) -> Params {
    let reference_switches = median(
        &pooled
            .iter()
            .flat_map(|p| p.all().map(|(r, _)| gil_switches(r)))
            .collect::<Vec<_>>(),
    );
    let mut measured = vec![CalibrationPoint {
        threads: 1,
        switch_interval_s: REFERENCE.switch_interval_s,
        wall_s: reference_wall,
        switches: reference_switches,
        walls_s: vec![reference_wall],
    }];
    let mut beyond = Vec::new();
    for (k, p) in points.iter().enumerate().skip(1) {
        let Some(e) = &estimates[k] else { continue };
        if p.role != Role::Train || p.cpus.is_some() {
            continue;
        }
        let switches: Vec<f64> = pooled[k].all().map(|(_, s)| gil_switches(s)).collect();
        measured.push(CalibrationPoint {
            threads: p.threads,
            switch_interval_s: p.interval,
            wall_s: e.ratio * reference_wall,
            switches: median(&switches),
            walls_s: pooled[k]
                .ratios()
                .iter()
                .map(|r| r * reference_wall)
                .collect(),
        });
        if p.threads == 2 {
            beyond.extend(
                pooled[k]
                    .all()
                    .filter(|(_, s)| gil_switches(s) > 0.0)
                    .map(|(_, s)| s.wall_s / gil_switches(s) - p.interval),
            );
        }
    }
    let trials: usize = pooled.iter().map(|p| p.trials.len()).sum();
    let source =
        format!("fitted on this validation's training points ({trials} alternating trials)");
    let one_cpu = points
        .iter()
        .position(|p| p.role == Role::Train && p.cpus == Some(1))
        .map(|k| {
            pooled[k]
                .all()
                .map(|(_, s)| (s.wall_s, gil_switches(s)))
                .unzip()
        });
    super::fit_validation(count, measured, &beyond, free_per_switch, source, one_cpu)
}

fn name(r: &AlternatingRow) -> String {
    super::verdict::point_name(r.threads, r.switch_interval_s, r.cpus)
}

/// "k of n resolved held-out points meet the targets (m unresolved)", the misses, the
/// unresolved points with their intervals, the training residuals, and how the trials ended.
fn verdict(
    rows: &[AlternatingRow],
    params: &Params,
    stopped_by: &str,
    elapsed_s: f64,
    reference_s: f64,
    count: u64,
) -> String {
    let held: Vec<&AlternatingRow> = rows
        .iter()
        .filter(|r| r.role == "held-out" && r.switch_interval_s >= 0.001)
        .collect();
    let resolved: Vec<&&AlternatingRow> = held.iter().filter(|r| r.resolved).collect();
    let met = resolved
        .iter()
        .filter(|r| r.meets_target == Some(true))
        .count();
    let mut verdict = format!(
        "{met} of {} resolved held-out points meet the targets ({} unresolved): the ratio to the \
         1-thread reference within {:.0} % and the hand-off rate within {:.0} % of the \
         measurement, at switch intervals of 1 ms or more.",
        resolved.len(),
        held.len() - resolved.len(),
        RATIO_TARGET * 100.0,
        RATE_TARGET * 100.0
    );
    let misses: Vec<String> = resolved
        .iter()
        .filter(|r| r.meets_target == Some(false))
        .map(|r| {
            format!(
                "{}: ratio {:.3} measured, {:.3} model ({:+.1} %), hand-off rate {:+.1} %",
                name(r),
                r.measured_ratio,
                r.predicted_ratio,
                r.ratio_error * 100.0,
                r.switch_rate_error * 100.0
            )
        })
        .collect();
    if !misses.is_empty() {
        verdict += &format!(" Misses: {}.", misses.join("; "));
    }
    let unresolved: Vec<String> = rows
        .iter()
        .filter(|r| !r.resolved)
        .map(|r| {
            let rate = if r.threads > 1 && r.measured_switch_rate > 0.0 {
                format!(
                    ", hand-off rate ±{:.1} %",
                    relative_half_width(r.switch_rate_interval, r.measured_switch_rate) * 100.0
                )
            } else {
                String::new()
            };
            format!(
                "{} (ratio ±{:.1} %{rate})",
                name(r),
                relative_half_width(r.ratio_interval, r.measured_ratio) * 100.0
            )
        })
        .collect();
    if !unresolved.is_empty() {
        verdict += &format!(
            " Not resolved to half their targets (ratio ±{:.1} %, rate ±{:.1} %): {}; they \
             neither pass nor miss.",
            RATIO_TARGET * 50.0,
            RATE_TARGET * 50.0,
            unresolved.join(", ")
        );
    }
    let train: Vec<String> = rows
        .iter()
        .filter(|r| r.role == "train")
        .map(|r| format!("{} {:+.1} %", name(r), r.ratio_error * 100.0))
        .collect();
    let trials: usize = rows.iter().map(|r| r.trials).sum();
    verdict += &format!(
        " Each point alternated with the 1-thread reference in short segments inside one worker \
         ({} iterations, a reference segment {}); the model was fitted on the training points of \
         these same trials (residuals: {}). {trials} trials in {elapsed_s:.0} s, stopped by \
         {stopped_by}. Parameters: {}.",
        thousands(count),
        seconds(reference_s),
        if train.is_empty() {
            "none measured".into()
        } else {
            train.join(", ")
        },
        params.source
    );
    verdict
}
