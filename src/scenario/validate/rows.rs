//! One validation point as a table row.
use super::interval::relative_half_width;
use crate::report::render::csv_fields;
use crate::report::units::{seconds, thousands};
use crate::report::{Cell, Row};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ValidateRow {
    pub threads: usize,
    pub switch_interval_s: f64,
    /// CPUs the trial was limited to (None: all).
    pub cpus: Option<usize>,
    /// `train` (the model is fitted on it) or `held-out` (predicted).
    pub role: &'static str,
    /// `rounds`: each point a worker of its own, every point once per round.
    pub method: &'static str,
    pub rounds: usize,
    /// The mean of the fastest quarter of its rounds' walls.
    pub measured_wall_s: f64,
    /// Its 95 % bootstrap interval over rounds.
    pub wall_interval_s: (f64, f64),
    /// Its wall over the 1-thread reference's (1 for the reference).
    pub relative_to_reference: f64,
    /// Every round's wall, in round order.
    pub measured_walls_s: Vec<f64>,
    pub predicted_wall_s: f64,
    /// (predicted − measured) / measured.
    pub wall_error: f64,
    /// Median hand-offs, its 95 % interval, and every round's count.
    pub measured_switches: f64,
    pub switches_interval: (f64, f64),
    pub measured_switches_per_round: Vec<f64>,
    pub predicted_switches: u64,
    pub switch_error: f64,
    /// Both intervals within ±2.5 % (hand-offs: or ±1).
    pub resolved: bool,
    /// Resolved held-out points at ≥ 1 ms: both errors within the targets; null otherwise.
    pub meets_target: Option<bool>,
}

/// A judged row's verdict column: unresolved, met, MISSED, or – where nothing is judged.
pub(crate) fn verdict_word(resolved: bool, meets_target: Option<bool>) -> &'static str {
    match (resolved, meets_target) {
        (false, _) => "unresolved",
        (true, Some(true)) => "met",
        (true, Some(false)) => "MISSED",
        (true, None) => "–",
    }
}

fn half_width(interval: (f64, f64), centre: f64) -> String {
    if centre > 0.0 {
        format!("±{:.1} %", relative_half_width(interval, centre) * 100.0)
    } else {
        "–".into()
    }
}

impl Row for ValidateRow {
    fn cells(&self) -> Vec<Cell> {
        let mut point = format!("{}×{}", self.threads, seconds(self.switch_interval_s));
        if let Some(c) = self.cpus {
            point += &format!(" {c} CPU");
        }
        vec![
            Cell::new("point", point),
            Cell::new("role", self.role),
            Cell::new("wall", seconds(self.measured_wall_s)),
            Cell::new(
                "CI 95 %",
                half_width(self.wall_interval_s, self.measured_wall_s),
            ),
            Cell::new("model", seconds(self.predicted_wall_s)),
            Cell::new("err", format!("{:+.1} %", self.wall_error * 100.0)),
            Cell::new("h-o", thousands(self.measured_switches.round() as u64)),
            Cell::wide("model h-o", thousands(self.predicted_switches)),
            Cell::new("err h-o", format!("{:+.1} %", self.switch_error * 100.0)),
            Cell::new("verdict", verdict_word(self.resolved, self.meets_target)),
            Cell::wide("rounds", self.rounds.to_string()),
            Cell::wide(
                "h-o CI",
                half_width(self.switches_interval, self.measured_switches),
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            threads, switch_interval_s, ?cpus, role, method, rounds, measured_wall_s,
            "wall_interval_low_s" = self.wall_interval_s.0.to_string(),
            "wall_interval_high_s" = self.wall_interval_s.1.to_string(),
            predicted_wall_s, wall_error, measured_switches, switches_interval..,
            predicted_switches, switch_error, resolved, ?meets_target,
        )
    }
}
