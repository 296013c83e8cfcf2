//! The validation verdict, from the points' own figures and intervals.
use super::interval::relative_half_width;
use super::{ValidateRow, RESOLUTION, SWITCH_TARGET, WALL_TARGET};
use crate::report::units::seconds;
use crate::sim::Params;

fn name(r: &ValidateRow) -> String {
    point_name(r.threads, r.switch_interval_s, r.cpus)
}

/// "2 threads at 5.0 ms on 1 CPU".
pub(crate) fn point_name(threads: usize, interval: f64, cpus: Option<usize>) -> String {
    let mut text = format!(
        "{} thread{} at {}",
        threads,
        if threads == 1 { "" } else { "s" },
        seconds(interval)
    );
    if let Some(c) = cpus {
        text += &format!(" on {c} CPU{}", if c == 1 { "" } else { "s" });
    }
    text
}

/// "k of n resolved held-out points meet the targets (m unresolved)", the misses, the
/// unresolved points with their intervals, the training fit, and how the rounds ended.
pub fn write(
    rows: &[ValidateRow],
    params: &Params,
    stopped_by: &str,
    elapsed_s: f64,
    reference_s: f64,
) -> String {
    let held: Vec<&ValidateRow> = rows
        .iter()
        .filter(|r| r.role == "held-out" && r.switch_interval_s >= 0.001)
        .collect();
    let resolved: Vec<&&ValidateRow> = held.iter().filter(|r| r.resolved).collect();
    let met = resolved
        .iter()
        .filter(|r| r.meets_target == Some(true))
        .count();
    let rounds = rows.first().map_or(0, |r| r.rounds);
    let mut verdict = format!(
        "{met} of {} resolved held-out points meet the targets ({} unresolved): wall time within \
         {:.0} % and hand-offs within {:.0} % of the measurement, at switch intervals of 1 ms or \
         more.",
        resolved.len(),
        held.len() - resolved.len(),
        WALL_TARGET * 100.0,
        SWITCH_TARGET * 100.0
    );
    let misses: Vec<String> = resolved
        .iter()
        .filter(|r| r.meets_target == Some(false))
        .map(|r| {
            format!(
                "{}: wall {:+.1} %, hand-offs {:+.1} %",
                name(r),
                r.wall_error * 100.0,
                r.switch_error * 100.0
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
            let switches = if r.measured_switches > 0.0 {
                format!(
                    ", hand-offs ±{:.1} %",
                    relative_half_width(r.switches_interval, r.measured_switches) * 100.0
                )
            } else {
                String::new()
            };
            format!(
                "{} (wall ±{:.1} %{switches})",
                name(r),
                relative_half_width(r.wall_interval_s, r.measured_wall_s) * 100.0
            )
        })
        .collect();
    if !unresolved.is_empty() {
        verdict += &format!(
            " Not resolved to ±{:.1} %: {}; they neither pass nor miss.",
            RESOLUTION * 100.0,
            unresolved.join(", ")
        );
    }
    let train: Vec<String> = rows
        .iter()
        .filter(|r| r.role == "train")
        .map(|r| format!("{} {:+.1} %", name(r), r.wall_error * 100.0))
        .collect();
    let fitted = if train.is_empty() {
        "No training point was measured, so the model kept its parameters; the 1-thread \
         reference was at"
            .to_string()
    } else {
        format!(
            "The model was fitted on the training points of these same rounds (residuals: {}), \
             with the 1-thread reference at",
            train.join(", ")
        )
    };
    verdict += &format!(
        " {fitted} {}; each wall is the mean of the fastest quarter of its rounds, and its \
         interval a bootstrap over rounds.",
        seconds(reference_s)
    );
    verdict += &format!(
        " {rounds} round{} in {elapsed_s:.0} s, stopped by {stopped_by}. Parameters: {}.",
        if rounds == 1 { "" } else { "s" },
        params.source
    );
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(threads: usize, interval: f64, role: &'static str) -> ValidateRow {
        ValidateRow {
            threads,
            switch_interval_s: interval,
            cpus: None,
            role,
            method: "alternating",
            rounds: 12,
            measured_wall_s: 1.0,
            wall_interval_s: (0.995, 1.005),
            relative_to_reference: 1.02,
            measured_walls_s: vec![],
            predicted_wall_s: 1.01,
            wall_error: 0.01,
            measured_switches: 200.0,
            switches_interval: (198.0, 202.0),
            measured_switches_per_round: vec![],
            predicted_switches: 204,
            switch_error: 0.02,
            resolved: true,
            meets_target: (role == "held-out").then_some(true),
        }
    }

    #[test]
    fn met_missed_unresolved_and_the_training_fit() {
        let rows = [
            point(2, 0.005, "train"),
            point(2, 0.001, "held-out"),
            ValidateRow {
                wall_error: -0.08,
                switch_error: 0.21,
                meets_target: Some(false),
                cpus: Some(1),
                ..point(2, 0.005, "held-out")
            },
            ValidateRow {
                resolved: false,
                meets_target: None,
                wall_interval_s: (0.9, 1.1),
                switches_interval: (150.0, 260.0),
                ..point(4, 0.005, "held-out")
            },
            // Below 1 ms a point is shown but not judged.
            point(2, 0.000_1, "held-out"),
        ];
        let params = Params {
            source: "fitted on this run's training points".into(),
            ..Params::default()
        };
        insta::assert_snapshot!(
            "met_missed_unresolved",
            write(&rows, &params, "the budget", 148.2, 0.52)
        );
    }

    #[test]
    fn one_round_says_round() {
        let rows = [ValidateRow {
            rounds: 1,
            resolved: false,
            meets_target: None,
            measured_switches: 0.0,
            ..point(2, 0.005, "held-out")
        }];
        insta::assert_snapshot!(
            "one_round",
            write(&rows, &Params::default(), "Ctrl-C", 3.0, 0.5)
        );
    }
}
