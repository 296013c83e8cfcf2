//! `gilsim convoy --validate`: the convoy model against the measurement, cell by cell, with
//! the precision rules of `simulate --validate`: every round measures every cell (0/1/2/4 CPU
//! threads × 5 ms, 1 ms, 0.1 ms by default) in a fresh random order; a cell's requests/s is the
//! median of its rounds with a 95 % bootstrap interval; rounds continue until every interval is
//! within ±2.5 % or the budget runs out. The model's per-request times come from the measured
//! cell with no CPU thread at the same interval; a resolved cell meets the target when the model
//! is within ×1.25 of the measurement. Published anchors are named beside the cells they match.
use super::{cell_name, predict};
use crate::domain::ConvoyOutcome;
use crate::protocol::{ConvoyTrial, Job};
use crate::report::progress::Progress;
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell, Document, Host, Row};
use crate::runner::rounds::{drive, Until};
use crate::scenario::spec::ConvoySpec;
use crate::scenario::validate::interval::{bootstrap, median_at, relative_half_width};
use crate::scenario::validate::rows::verdict_word;
use crate::scenario::validate::RESOLUTION;
use crate::scenario::{dedup, host, measure_job};
use crate::sim::Params;
use crate::stats::median;
use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// The model may be this factor away from a resolved cell's measurement.
pub const FACTOR_TARGET: f64 = 1.25;
const MIN_ROUNDS: usize = 3;

/// Published figures (Skvortsov 2021: an echo server beside CPU-bound threads), by (CPU
/// threads, interval).
pub(crate) const ANCHORS: [(usize, f64, f64); 6] = [
    (1, 0.005, 100.0),
    (2, 0.005, 50.0),
    (4, 0.005, 30.0),
    (1, 0.000_01, 11_000.0),
    (2, 0.000_01, 5_500.0),
    (4, 0.000_01, 2_800.0),
];

#[derive(Clone, Debug, Serialize)]
pub struct ConvoyCell {
    pub cpu_threads: usize,
    pub switch_interval_s: f64,
    /// `rounds`: each cell a worker of its own, every cell once per round.
    pub method: &'static str,
    pub rounds: usize,
    /// Median requests/s over the rounds, its 95 % interval, and every round's figure.
    pub requests_per_s: f64,
    pub requests_interval: (f64, f64),
    pub requests_per_round: Vec<f64>,
    pub predicted_requests_per_s: f64,
    /// model / measured.
    pub model_factor: f64,
    pub resolved: bool,
    /// Resolved cells with a CPU thread: the model within ×1.25; null otherwise.
    pub meets_target: Option<bool>,
    /// The published figure for this cell, where there is one.
    pub published_requests_per_s: Option<f64>,
}

impl Row for ConvoyCell {
    fn cells(&self) -> Vec<Cell> {
        let half = relative_half_width(self.requests_interval, self.requests_per_s.max(1e-9));
        vec![
            Cell::new("CPU threads", self.cpu_threads.to_string()),
            Cell::new("interval", seconds(self.switch_interval_s)),
            Cell::new("req/s", thousands(self.requests_per_s.round() as u64)),
            Cell::new("CI 95 %", format!("±{:.1} %", half * 100.0)),
            Cell::new(
                "model",
                thousands(self.predicted_requests_per_s.round() as u64),
            ),
            Cell::new("model ×", format!("×{:.2}", self.model_factor)),
            Cell::new("verdict", verdict_word(self.resolved, self.meets_target)),
            Cell::wide("rounds", self.rounds.to_string()),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cpu_threads", self.cpu_threads.to_string()),
            ("switch_interval_s", self.switch_interval_s.to_string()),
            ("method", self.method.to_string()),
            ("rounds", self.rounds.to_string()),
            ("requests_per_s", self.requests_per_s.to_string()),
            (
                "requests_interval_low",
                self.requests_interval.0.to_string(),
            ),
            (
                "requests_interval_high",
                self.requests_interval.1.to_string(),
            ),
            (
                "predicted_requests_per_s",
                self.predicted_requests_per_s.to_string(),
            ),
            ("model_factor", self.model_factor.to_string()),
            ("resolved", self.resolved.to_string()),
            ("meets_target", field(self.meets_target)),
            (
                "published_requests_per_s",
                field(self.published_requests_per_s),
            ),
        ]
    }
}

pub fn validate(
    spec: &ConvoySpec,
    budget: Duration,
    min_rounds: usize,
) -> Result<Document<ConvoyCell>> {
    let timeout = spec.timeout + Duration::from_secs_f64(spec.duration);
    let mut cpu = dedup(&spec.cpu_threads);
    cpu.sort_unstable();
    if !cpu.contains(&0) {
        crate::usage_bail!(
            "--validate needs a cell with 0 CPU threads: it sets the model's request times"
        );
    }
    let intervals = dedup(&spec.switch_interval);
    let cells: Vec<(usize, f64)> = intervals
        .iter()
        .flat_map(|&i| cpu.iter().map(move |&k| (k, i)))
        .collect();
    let started = Instant::now();
    let mut progress = Progress::new(0);
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;
    let base = spec.model.params.clone();
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); cells.len()];
    let until = Until::Resolved {
        deadline: started + budget,
        min_rounds: min_rounds.max(MIN_ROUNDS),
        whole_rounds: true,
    };
    let open = |rates: &Vec<Vec<f64>>, _| {
        (0..cells.len())
            .filter(|&k| !is_resolved(&rates[k], median_interval(&rates[k])))
            .collect()
    };
    let driven = drive(&mut rates, cells.len(), 1, until, open, |rates, turn| {
        let (threads, interval) = cells[turn.setting];
        progress.start(&format!(
            "round {}: {}",
            turn.round + 1,
            cell_name(threads, interval)
        ));
        let trial = ConvoyTrial {
            cpu_threads: threads,
            switch_interval_s: interval,
            duration_s: spec.duration,
        };
        let run = measure_job::<ConvoyOutcome>(&Job::Convoy(trial), timeout)?
            .map_err(|e| anyhow::anyhow!("a convoy cell failed: {e}"))?;
        rates[turn.setting].push(run.data.requests_per_s);
        Ok(())
    })?;
    let (rounds, stopped_by) = (driven.rounds, driven.stopped_by.as_str());
    progress.finish();
    let rows: Vec<ConvoyCell> = cells
        .iter()
        .enumerate()
        .map(|(k, &(threads, interval))| {
            let alone = cells
                .iter()
                .position(|&(t, i)| t == 0 && i == interval)
                .map(|a| median(&rates[a]));
            cell(&base, threads, interval, &rates[k], alone, rounds)
        })
        .collect();
    let verdict = verdict(&rows, stopped_by, rounds, started.elapsed().as_secs_f64());
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "convoy-validate".into(),
        params: json!({
            "method": "rounds",
            "cpu_threads": cpu,
            "switch_interval_s": intervals,
            "duration_s": spec.duration,
            "rounds": rounds,
            "budget_s": budget.as_secs_f64(),
            "stopped_by": stopped_by,
            "resolution": RESOLUTION,
            "factor_target": FACTOR_TARGET,
            "model": base,
        }),
        host: Host::new(Some(&python)),
        results: rows,
        verdict,
    })
}

/// The 95 % interval of a cell's median requests/s (None before its first round).
fn median_interval(rates: &[f64]) -> Option<(f64, f64)> {
    (!rates.is_empty()).then(|| bootstrap(rates.len(), 1, |idx| median_at(rates, idx)))
}

/// Whether that interval is within ±2.5 % of the median.
fn is_resolved(rates: &[f64], interval: Option<(f64, f64)>) -> bool {
    interval.is_some_and(|(lo, hi)| (hi - lo) / 2.0 <= RESOLUTION * median(rates))
}

fn cell(
    base: &Params,
    threads: usize,
    interval: f64,
    rates: &[f64],
    alone: Option<f64>,
    rounds: usize,
) -> ConvoyCell {
    let measured = median(rates);
    let predicted = predict(base, alone, threads, interval);
    let factor = predicted / measured.max(1e-9);
    let requests_interval = median_interval(rates);
    let resolved = rates.len() == rounds && is_resolved(rates, requests_interval);
    ConvoyCell {
        cpu_threads: threads,
        switch_interval_s: interval,
        method: "rounds",
        rounds,
        requests_per_s: measured,
        requests_interval: requests_interval.unwrap_or((f64::NAN, f64::NAN)),
        requests_per_round: rates.to_vec(),
        predicted_requests_per_s: predicted,
        model_factor: factor,
        resolved,
        meets_target: (resolved && threads > 0)
            .then(|| (1.0 / FACTOR_TARGET..=FACTOR_TARGET).contains(&factor)),
        published_requests_per_s: ANCHORS
            .iter()
            .find(|(t, i, _)| *t == threads && (i - interval).abs() < 1e-12)
            .map(|a| a.2),
    }
}

fn verdict(rows: &[ConvoyCell], stopped_by: &str, rounds: usize, elapsed_s: f64) -> String {
    let cells: Vec<Judged> = rows
        .iter()
        .map(|r| Judged {
            cpu_threads: r.cpu_threads,
            switch_interval_s: r.switch_interval_s,
            requests_per_s: r.requests_per_s,
            requests_interval: r.requests_interval,
            predicted_requests_per_s: r.predicted_requests_per_s,
            model_factor: r.model_factor,
            resolved: r.resolved,
            meets_target: r.meets_target,
            published_requests_per_s: r.published_requests_per_s,
        })
        .collect();
    judged(&cells, RESOLUTION)
        + &format!(
            " {rounds} round{} in {elapsed_s:.0} s, stopped by {stopped_by}; the model's request \
             times come from the measured cell with no CPU thread.",
            if rounds == 1 { "" } else { "s" }
        )
}

/// What a convoy verdict says of one cell.
pub(crate) struct Judged {
    pub cpu_threads: usize,
    pub switch_interval_s: f64,
    pub requests_per_s: f64,
    pub requests_interval: (f64, f64),
    pub predicted_requests_per_s: f64,
    pub model_factor: f64,
    pub resolved: bool,
    pub meets_target: Option<bool>,
    pub published_requests_per_s: Option<f64>,
}

/// "k of n resolved cells with CPU threads have the model within ×1.25 (m unresolved)", the
/// misses, the unresolved cells with their intervals (resolution: the half-width asked for),
/// and the published figures beside the measured ones.
pub(crate) fn judged(cells: &[Judged], resolution: f64) -> String {
    let judged: Vec<&Judged> = cells.iter().filter(|r| r.cpu_threads > 0).collect();
    let resolved: Vec<&&Judged> = judged.iter().filter(|r| r.resolved).collect();
    let met = resolved
        .iter()
        .filter(|r| r.meets_target == Some(true))
        .count();
    let name = |r: &Judged| cell_name(r.cpu_threads, r.switch_interval_s);
    let mut text = format!(
        "{met} of {} resolved cells with CPU threads have the model within ×{FACTOR_TARGET} of \
         the measurement ({} unresolved).",
        resolved.len(),
        judged.len() - resolved.len()
    );
    let misses: Vec<String> = resolved
        .iter()
        .filter(|r| r.meets_target == Some(false))
        .map(|r| {
            format!(
                "{}: {} req/s, model {} (×{:.2})",
                name(r),
                thousands(r.requests_per_s.round() as u64),
                thousands(r.predicted_requests_per_s.round() as u64),
                r.model_factor
            )
        })
        .collect();
    if !misses.is_empty() {
        text += &format!(" Misses: {}.", misses.join("; "));
    }
    let unresolved: Vec<String> = judged
        .iter()
        .filter(|r| !r.resolved)
        .map(|r| {
            format!(
                "{} (±{:.1} %)",
                name(r),
                relative_half_width(r.requests_interval, r.requests_per_s.max(1e-9)) * 100.0
            )
        })
        .collect();
    if !unresolved.is_empty() {
        text += &format!(
            " Not resolved to ±{:.1} %: {}; they neither pass nor miss.",
            resolution * 100.0,
            unresolved.join(", ")
        );
    }
    let published: Vec<String> = cells
        .iter()
        .filter_map(|r| {
            r.published_requests_per_s.map(|p| {
                format!(
                    "{}: {} measured here, {} published",
                    name(r),
                    thousands(r.requests_per_s.round() as u64),
                    thousands(p as u64)
                )
            })
        })
        .collect();
    if !published.is_empty() {
        text += &format!(
            " Beside Victor Skvortsov's published figures (2021): {}.",
            published.join("; ")
        );
    }
    text
}
