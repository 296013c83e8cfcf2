//! `gilsim simulate --validate --gil old` by alternation: Python 2.7 runs the segment runner
//! as an outside interpreter (it needs only `threading`, `time`, `resource` and `ctypes`), 2
//! threads alternating with 1 thread in short segments, on all CPUs and with the process pinned
//! to one. The old GIL has no hand-off counter, so the ratio alone is judged. The model's time
//! per iteration comes from the 1-thread segments; its other old-GIL figures are documented
//! defaults.
use crate::domain::{Segment, SegmentsOutcome};
use crate::report::progress::Progress;
use crate::report::render::csv_fields;
use crate::report::units::thousands;
use crate::report::{Cell, Document, Host, Row};
use crate::runner::external;
use crate::runner::rounds::{drive, Until};
use crate::scenario::spec::SimulateSpec;
use crate::scenario::validate::alternating::{intervals, Pairs, MIN_TRIALS, RATIO_TARGET};
use crate::scenario::validate::interval::relative_half_width;
use crate::scenario::validate::rows::verdict_word;
use crate::sim::Params;
use crate::stats::median;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

const RUNNER: &str = include_str!("../../../python/scenarios/segments.py");
/// Iterations per segment: the old GIL's battle needs segments long enough to settle.
const COUNT: u64 = 5_000_000;
const PAIRS: usize = 8;

#[derive(Clone, Debug, Serialize)]
pub struct OldAlternatingRow {
    pub python: String,
    pub threads: usize,
    pub cpus: usize,
    pub role: &'static str,
    pub method: &'static str,
    pub trials: usize,
    pub pairs: usize,
    pub count: u64,
    /// Median per-pair ratio T(2 threads) / T(1 thread), its 95 % interval, every pair's.
    pub measured_ratio: f64,
    pub ratio_interval: (f64, f64),
    pub measured_ratios: Vec<f64>,
    pub predicted_ratio: f64,
    pub ratio_error: f64,
    /// Median CPU/wall of the 2-thread segments.
    pub measured_parallelism: f64,
    pub resolved: bool,
    pub meets_target: Option<bool>,
}

impl Row for OldAlternatingRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("Python", self.python.clone()),
            Cell::new(
                "point",
                format!("{} threads on {} CPU", self.threads, self.cpus),
            ),
            Cell::new("ratio", format!("{:.3}", self.measured_ratio)),
            Cell::new(
                "CI 95 %",
                format!(
                    "±{:.1} %",
                    relative_half_width(self.ratio_interval, self.measured_ratio) * 100.0
                ),
            ),
            Cell::new("model", format!("{:.3}", self.predicted_ratio)),
            Cell::new("err", format!("{:+.1} %", self.ratio_error * 100.0)),
            Cell::new("CPU/wall", format!("{:.2}", self.measured_parallelism)),
            Cell::new("verdict", verdict_word(self.resolved, self.meets_target)),
            Cell::wide("pairs", self.pairs.to_string()),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            python, threads, cpus, role, method, trials, pairs, count, measured_ratio,
            ratio_interval.., predicted_ratio, ratio_error, measured_parallelism, resolved,
            ?meets_target,
        )
    }
}

/// One trial: `python` runs PAIRS pairs of 1 and 2 threads on `cpus` CPUs (None: all).
fn trial(
    python: &str,
    count: u64,
    cpus: Option<usize>,
    seed: u64,
    timeout: Duration,
) -> Result<SegmentsOutcome> {
    let args = [1, 2, count, PAIRS as u64, seed].map(|n| n.to_string());
    let out = external::run_python(python, RUNNER, &args, cpus, timeout, "the segments")?;
    let segments = out
        .stdout
        .lines()
        .map(serde_json::from_str::<Segment>)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{python} printed no segments: {:?}", out.stdout))?;
    Ok(SegmentsOutcome {
        count: Some(count),
        segments,
    })
}

pub fn validate(spec: &SimulateSpec) -> Result<Document<OldAlternatingRow>> {
    let Some(found) = &spec.old_gil_python else {
        bail!("the old GIL is validated against a real Python 2.7, and none was given");
    };
    let python = found.path.clone();
    let count = spec.count.unwrap_or(COUNT);
    let timeout = spec.timeout;
    let (all_cpus, cpu_counts) = super::cpu_counts(spec.cores);
    let started = Instant::now();
    let mut progress = Progress::new(0);
    let mut pooled: Vec<Pairs> = cpu_counts.iter().map(|_| Pairs::default()).collect();
    let resolved = |p: &Pairs, seed: u64| {
        if p.trials.len() < MIN_TRIALS {
            return false;
        }
        let all: Vec<&(Segment, Segment)> = p.all().collect();
        let ratio = crate::scenario::validate::alternating::figures(&all).0;
        relative_half_width(intervals(p, seed).0, ratio) <= RATIO_TARGET / 2.0
    };
    let until = Until::Resolved {
        deadline: started + spec.budget,
        min_rounds: 0,
        whole_rounds: false,
    };
    let open = |pooled: &Vec<Pairs>, _| {
        (0..cpu_counts.len())
            .filter(|&k| !resolved(&pooled[k], spec.seed))
            .collect()
    };
    let driven = drive(
        &mut pooled,
        cpu_counts.len(),
        spec.seed,
        until,
        open,
        |pooled, turn| {
            let c = cpu_counts[turn.setting];
            progress.start(&format!(
                "round {}: Python 2.7, 2 threads against 1 on {c} CPU{}",
                turn.round + 1,
                if c == 1 { "" } else { "s" }
            ));
            let limit = (c < all_cpus).then_some(c);
            let seed = spec.seed + turn.round as u64;
            let outcome =
                trial(&python, count, limit, seed, timeout).context("running Python 2.7")?;
            pooled[turn.setting].add(&outcome);
            Ok(())
        },
    )?;
    let stopped_by = driven.stopped_by.as_str();
    progress.finish();
    let reference_wall = median(&pooled[0].all().map(|(r, _)| r.wall_s).collect::<Vec<_>>());
    let params = Params {
        source: "old-GIL defaults, time per iteration from Python 2.7's own 1-thread segments"
            .into(),
        iteration_s: reference_wall / count as f64,
        ..Params::default()
    };
    let rows: Vec<OldAlternatingRow> = cpu_counts
        .iter()
        .zip(&pooled)
        .map(|(&c, pairs)| {
            let model = |threads: usize| super::old_gil_wall(&params, threads, count, c, spec.seed);
            let all: Vec<&(Segment, Segment)> = pairs.all().collect();
            let ratio = crate::scenario::validate::alternating::figures(&all).0;
            let predicted = model(2) / model(1);
            let is_resolved = resolved(pairs, spec.seed);
            let error = (predicted - ratio) / ratio;
            OldAlternatingRow {
                python: found.version.clone(),
                threads: 2,
                cpus: c,
                role: "held-out",
                method: "alternating",
                trials: pairs.trials.len(),
                pairs: pairs.count(),
                count,
                measured_ratio: ratio,
                ratio_interval: intervals(pairs, spec.seed).0,
                measured_ratios: pairs.ratios(),
                predicted_ratio: predicted,
                ratio_error: error,
                measured_parallelism: median(
                    &all.iter()
                        .map(|(_, p)| p.cpu_s / p.wall_s)
                        .collect::<Vec<_>>(),
                ),
                resolved: is_resolved,
                meets_target: is_resolved.then_some(error.abs() <= RATIO_TARGET),
            }
        })
        .collect();
    let verdict = verdict(&rows, stopped_by, started.elapsed().as_secs_f64(), count);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "simulate-validate-old".into(),
        params: json!({
            "method": "alternating",
            "count": count,
            "cpus": cpu_counts,
            "pairs_per_trial": PAIRS,
            "budget_s": spec.budget.as_secs_f64(),
            "stopped_by": stopped_by,
            "python": python,
            "model": params,
        }),
        host: Host::new(None),
        results: rows,
        verdict,
    })
}

fn verdict(rows: &[OldAlternatingRow], stopped_by: &str, elapsed_s: f64, count: u64) -> String {
    let resolved: Vec<&OldAlternatingRow> = rows.iter().filter(|r| r.resolved).collect();
    let met = resolved
        .iter()
        .filter(|r| r.meets_target == Some(true))
        .count();
    let mut text = format!(
        "{met} of {} resolved points meet the target ({} unresolved): the old-GIL model's ratio \
         of 2 threads to 1 within {:.0} % of Python 2.7's.",
        resolved.len(),
        rows.len() - resolved.len(),
        RATIO_TARGET * 100.0
    );
    for r in rows {
        text += &format!(
            " 2 threads on {} CPU{}: ×{:.3} one thread measured (±{:.1} %), ×{:.3} in the \
             model ({:+.1} %), CPU/wall {:.2}.",
            r.cpus,
            if r.cpus == 1 { "" } else { "s" },
            r.measured_ratio,
            relative_half_width(r.ratio_interval, r.measured_ratio) * 100.0,
            r.predicted_ratio,
            r.ratio_error * 100.0,
            r.measured_parallelism
        );
    }
    let trials: usize = rows.iter().map(|r| r.trials).sum();
    text + &format!(
        " Each point alternated with 1 thread in segments of {} iterations inside one Python 2.7 \
         process; {trials} trials in {elapsed_s:.0} s, stopped by {stopped_by}.",
        thousands(count)
    )
}
