//! `gilsim convoy --validate`: the convoy model against the measurement, cell by cell, with
//! the precision rules of `simulate --validate`: every round measures every cell (0/1/2/4 CPU
//! threads × 5 ms, 1 ms, 0.1 ms by default) in a fresh random order; a cell's requests/s is the
//! median of its rounds with a 95 % bootstrap interval; rounds continue until every interval is
//! within ±2.5 % or the budget runs out. The model's per-request times come from the measured
//! cell with no CPU thread at the same interval; a resolved cell meets the target when the model
//! is within ×1.25 of the measurement. Published anchors are named beside the cells they match.
use super::judged::{self, Judged, FACTOR_TARGET};
use super::{cell_name, predict};
use crate::domain::ConvoyOutcome;
use crate::protocol::{ConvoyTrial, Job};
use crate::report::progress::Progress;
use crate::report::{Cell, Document, Host, Row};
use crate::runner::rounds::{drive, Until};
use crate::scenario::spec::ConvoySpec;
use crate::scenario::validate::interval::{bootstrap, median_at};
use crate::scenario::validate::RESOLUTION;
use crate::scenario::{dedup, host, measure_job};
use crate::sim::Params;
use crate::stats::median;
use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

const MIN_ROUNDS: usize = 3;

#[derive(Clone, Debug, Serialize)]
pub struct ConvoyCell {
    /// The median over the rounds and its interval, the model and the judgement.
    #[serde(flatten)]
    pub judged: Judged,
    /// `rounds`: each cell a worker of its own, every cell once per round.
    pub method: &'static str,
    pub rounds: usize,
    /// Every round's requests/s.
    pub requests_per_round: Vec<f64>,
}

impl Row for ConvoyCell {
    fn cells(&self) -> Vec<Cell> {
        let mut cells = self.judged.measured_cells();
        cells.push(self.judged.interval_cell());
        cells.extend(self.judged.model_cells());
        cells.push(Cell::wide("rounds", self.rounds.to_string()));
        cells
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = self.judged.setting_fields(self.method);
        fields.push(("rounds", self.rounds.to_string()));
        fields.extend(self.judged.measured_fields());
        fields.extend(self.judged.model_fields());
        fields
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
    let requests_interval = median_interval(rates);
    let resolved = rates.len() == rounds && is_resolved(rates, requests_interval);
    let interval_or_none = requests_interval.unwrap_or((f64::NAN, f64::NAN));
    ConvoyCell {
        judged: Judged::new(
            (threads, interval),
            (measured, interval_or_none),
            predicted,
            resolved,
        ),
        method: "rounds",
        rounds,
        requests_per_round: rates.to_vec(),
    }
}

fn verdict(rows: &[ConvoyCell], stopped_by: &str, rounds: usize, elapsed_s: f64) -> String {
    let cells: Vec<&Judged> = rows.iter().map(|r| &r.judged).collect();
    judged::text(&cells, RESOLUTION)
        + &format!(
            " {rounds} round{} in {elapsed_s:.0} s, stopped by {stopped_by}; the model's request \
             times come from the measured cell with no CPU thread.",
            if rounds == 1 { "" } else { "s" }
        )
}
