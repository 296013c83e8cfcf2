//! The validation verdict, from the grid's own numbers.
use super::{ValidateRow, SWITCH_TARGET, WALL_TARGET};
use crate::report::units::seconds;
use crate::sim::params::CalibrationPoint;
use crate::sim::Params;
use crate::stats::{median, Summary};

/// What the grid says: how many points meet the targets, the misses, what the machine could
/// resolve, and where the parameters came from.
pub fn write(rows: &[ValidateRow], repeat: usize, params: &Params, note: &str) -> String {
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
    verdict += &noise_sentence(rows, repeat);
    verdict += &two_thread_drift_sentence(rows, params);
    verdict += &format!(" {note}");
    verdict
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
