//! `gilsim convoy --validate` by alternation: in one worker the echo server answers the client
//! in short segments that alternate between no CPU thread (the reference) and the cell's CPU
//! threads, parked between segments, so both meet the same minute and the same worker.
//!
//! A cell's requests/s is the interquartile mean of its segments' rates, with a 95 % bootstrap
//! interval (trials, then pairs within them). Resolved when the interval's half-width is within
//! half the ×1.25 target; unresolved cells get further trials until the budget ends. The
//! model's request times come from the reference segments of the same trials. The ratio to the
//! reference is reported too, but it is not what is judged: alone, the server and the client
//! wake each other on idle virtual CPUs, whose wake-up latency swings the reference's rate
//! within a second, noise that segments with busy CPU threads do not share.
use super::judged::{self, Judged, FACTOR_TARGET};
use super::{cell_name, predict};
use crate::domain::{Segment, SegmentsOutcome};
use crate::protocol::{Job, SegmentWorkload, SegmentsTrial, Setting};
use crate::report::progress::Progress;
use crate::report::units::{seconds, thousands};
use crate::report::{Cell, Document, Host, Row};
use crate::runner::rounds::{drive, Until};
use crate::scenario::spec::ConvoySpec;
use crate::scenario::validate::interval::relative_half_width;
use crate::scenario::{dedup, host, measure_job};
use crate::sim::Params;
use crate::stats::percentile;
use anyhow::{anyhow, Context, Result};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// One segment's length unless `--duration` sets it, and how long a trial measures.
pub const SEGMENT_S: f64 = 0.2;
const TRIAL_S: f64 = 2.0;
const MIN_PAIRS: usize = 5;
/// Trials a cell needs before it can be resolved: one trial says nothing of how much worker
/// processes differ.
const MIN_TRIALS: usize = 2;
const RESAMPLES: usize = 1000;
/// A cell is resolved when its interval's half-width is within half the target's tolerance.
const RESOLUTION: f64 = (FACTOR_TARGET - 1.0) / 2.0;

#[derive(Clone, Debug, Serialize)]
pub struct AlternatingCell {
    /// Requests/s of the cell's segments and its 95 % interval, the model and the judgement.
    #[serde(flatten)]
    pub judged: Judged,
    /// `alternating`: segments with and without the CPU threads in one worker.
    pub method: &'static str,
    pub trials: usize,
    pub pairs: usize,
    /// Each trial's requests/s.
    pub requests_per_trial: Vec<f64>,
    /// Requests/s of the reference segments (no CPU thread): the model's request times.
    pub reference_requests_per_s: f64,
    /// requests_per_s / reference_requests_per_s and its 95 % interval (reported, not judged).
    pub ratio: f64,
    pub ratio_interval: (f64, f64),
}

impl Row for AlternatingCell {
    fn cells(&self) -> Vec<Cell> {
        let mut cells = self.judged.measured_cells();
        cells.push(Cell::new(
            "alone",
            thousands(self.reference_requests_per_s.round() as u64),
        ));
        cells.push(self.judged.interval_cell());
        cells.push(Cell::wide("ratio", format!("{:.4}", self.ratio)));
        cells.extend(self.judged.model_cells());
        cells.push(Cell::wide("pairs", self.pairs.to_string()));
        cells
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = self.judged.setting_fields(self.method);
        fields.push(("trials", self.trials.to_string()));
        fields.push(("pairs", self.pairs.to_string()));
        fields.extend(self.judged.measured_fields());
        fields.push((
            "reference_requests_per_s",
            self.reference_requests_per_s.to_string(),
        ));
        fields.push(("ratio", self.ratio.to_string()));
        fields.push(("ratio_interval_low", self.ratio_interval.0.to_string()));
        fields.push(("ratio_interval_high", self.ratio_interval.1.to_string()));
        fields.extend(self.judged.model_fields());
        fields
    }
}

type Pair = (Segment, Segment);

/// Requests/s of the reference and of the point over some pairs: the interquartile mean of
/// their segments' rates. Robust to the odd segment or trial the host speeds up or slows down
/// several-fold (a descheduled CPU thread lets the server through), and smoother than a
/// median where segments hold only a few requests each.
fn rates(pairs: &[&Pair]) -> (f64, f64) {
    let rate = |pick: fn(&Pair) -> &Segment| {
        let per_segment: Vec<f64> = pairs
            .iter()
            .map(|p| pick(p).requests.unwrap_or(0) as f64 / pick(p).wall_s.max(1e-12))
            .collect();
        interquartile_mean(&per_segment)
    };
    (rate(|p| &p.0), rate(|p| &p.1))
}

/// The mean of the middle half of `values` (0 for none).
fn interquartile_mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let quarter = v.len() / 4;
    let middle = &v[quarter..v.len() - quarter];
    middle.iter().sum::<f64>() / middle.len() as f64
}

/// 95 % intervals of the cell's requests/s and of its ratio to the reference: trials
/// resampled, then pairs within them.
fn intervals(trials: &[Vec<Pair>], seed: u64) -> ((f64, f64), (f64, f64)) {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut points = Vec::with_capacity(RESAMPLES);
    let mut ratios = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        let mut picked = Vec::new();
        for _ in 0..trials.len() {
            let trial = &trials[rng.random_range(0..trials.len())];
            for _ in 0..trial.len() {
                picked.push(&trial[rng.random_range(0..trial.len())]);
            }
        }
        let (reference, point) = rates(&picked);
        points.push(point);
        if reference > 0.0 {
            ratios.push(point / reference);
        }
    }
    let range = |v: &[f64]| {
        if v.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (percentile(v, 2.5), percentile(v, 97.5))
        }
    };
    (range(&points), range(&ratios))
}

fn resolved(trials: &[Vec<Pair>], seed: u64) -> bool {
    if trials.len() < MIN_TRIALS {
        return false;
    }
    let all: Vec<&Pair> = trials.iter().flatten().collect();
    is_resolved(trials.len(), rates(&all).1, intervals(trials, seed).0)
}

/// At least `MIN_TRIALS` trials and the interval's half-width within `RESOLUTION`.
fn is_resolved(trials: usize, rate: f64, interval: (f64, f64)) -> bool {
    trials >= MIN_TRIALS && rate > 0.0 && relative_half_width(interval, rate) <= RESOLUTION
}

pub fn validate(
    spec: &ConvoySpec,
    budget: Duration,
    segment_s: f64,
) -> Result<Document<AlternatingCell>> {
    let mut cpu = dedup(&spec.cpu_threads);
    cpu.sort_unstable();
    cpu.retain(|&k| k > 0);
    if cpu.is_empty() {
        crate::usage_bail!("--validate needs a cell with CPU threads: --cpu-threads 1 or more");
    }
    let intervals = dedup(&spec.switch_interval);
    let cells: Vec<(usize, f64)> = intervals
        .iter()
        .flat_map(|&i| cpu.iter().map(move |&k| (k, i)))
        .collect();
    // A budget too small for two full trials of every cell gets shorter trials.
    let trial_s = TRIAL_S.min(budget.as_secs_f64() / (cells.len() * MIN_TRIALS) as f64);
    let pairs = ((trial_s / (2.0 * segment_s)).round() as usize).max(MIN_PAIRS);
    let timeout = spec.timeout + Duration::from_secs_f64(2.0 * segment_s * (pairs + 1) as f64);
    let started = Instant::now();
    let mut progress = Progress::new(0);
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;
    let base = spec.model.params.clone();
    let mut trials: Vec<Vec<Vec<Pair>>> = vec![Vec::new(); cells.len()];
    let until = Until::Resolved {
        deadline: started + budget,
        min_rounds: 0,
        whole_rounds: false,
    };
    let open = |trials: &Vec<Vec<Vec<Pair>>>, _| {
        (0..cells.len())
            .filter(|&k| !resolved(&trials[k], k as u64))
            .collect()
    };
    let driven = drive(&mut trials, cells.len(), 1, until, open, |trials, turn| {
        let k = turn.setting;
        let (threads, interval) = cells[k];
        progress.start(&format!(
            "round {}: {} against none, {pairs} pairs",
            turn.round + 1,
            cell_name(threads, interval)
        ));
        let trial = SegmentsTrial {
            workload: SegmentWorkload::Convoy {
                duration_s: segment_s,
            },
            reference: Setting {
                threads: 0,
                switch_interval_s: interval,
            },
            point: Setting {
                threads,
                switch_interval_s: interval,
            },
            pairs,
            seed: (turn.round * cells.len() + k) as u64 + 1,
            cpus: None,
        };
        let run = measure_job::<SegmentsOutcome>(&Job::Segments(trial), timeout)?
            .map_err(|e| anyhow!("a convoy cell failed: {e}"))?;
        trials[k].push(run.data.pairs());
        Ok(())
    })?;
    let (rounds, stopped_by) = (driven.rounds, driven.stopped_by.as_str());
    progress.finish();
    let rows: Vec<AlternatingCell> = cells
        .iter()
        .enumerate()
        .filter(|(k, _)| !trials[*k].is_empty())
        .map(|(k, &(threads, interval))| cell(&base, threads, interval, &trials[k], k as u64))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let verdict = verdict(&rows, stopped_by, elapsed, segment_s);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "convoy-validate".into(),
        params: json!({
            "method": "alternating",
            "cpu_threads": cpu,
            "switch_interval_s": intervals,
            "segment_s": segment_s,
            "pairs_per_trial": pairs,
            "rounds": rounds,
            "budget_s": budget.as_secs_f64(),
            "stopped_by": stopped_by,
            "elapsed_s": elapsed,
            "resolution": RESOLUTION,
            "factor_target": FACTOR_TARGET,
            "model": base,
        }),
        host: Host::new(Some(&python)),
        results: rows,
        verdict,
    })
}

fn cell(
    base: &Params,
    threads: usize,
    interval: f64,
    trials: &[Vec<Pair>],
    seed: u64,
) -> AlternatingCell {
    let all: Vec<&Pair> = trials.iter().flatten().collect();
    let (reference, point) = rates(&all);
    let predicted = predict(base, Some(reference), threads, interval);
    let (requests_interval, ratio_interval) = intervals(trials, seed);
    let resolved = is_resolved(trials.len(), point, requests_interval);
    AlternatingCell {
        judged: Judged::new(
            (threads, interval),
            (point, requests_interval),
            predicted,
            resolved,
        ),
        method: "alternating",
        trials: trials.len(),
        pairs: all.len(),
        requests_per_trial: trials
            .iter()
            .map(|t| rates(&t.iter().collect::<Vec<_>>()).1)
            .collect(),
        reference_requests_per_s: reference,
        ratio: point / reference.max(1e-12),
        ratio_interval,
    }
}

fn verdict(rows: &[AlternatingCell], stopped_by: &str, elapsed_s: f64, segment_s: f64) -> String {
    let cells: Vec<&Judged> = rows.iter().map(|r| &r.judged).collect();
    let text = judged::text(&cells, RESOLUTION);
    let trials: usize = rows.iter().map(|r| r.trials).sum();
    text + &format!(
        " Each cell alternated with the server alone in {} segments inside one worker (CPU \
         threads parked between segments); the model's request times come from the segments \
         without CPU threads. {trials} trials in {elapsed_s:.0} s, stopped by {stopped_by}.",
        seconds(segment_s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interquartile_mean_ignores_the_odd_outlier() {
        assert_eq!(interquartile_mean(&[]), 0.0);
        assert_eq!(interquartile_mean(&[3.0]), 3.0);
        // 8 values: the middle four (2, 2, 2, 3) remain.
        let v = [2.0, 3.0, 1.0, 2.0, 3.0, 100.0, 0.0, 2.0];
        assert_eq!(interquartile_mean(&v), (2.0 + 2.0 + 2.0 + 3.0) / 4.0);
    }
}
