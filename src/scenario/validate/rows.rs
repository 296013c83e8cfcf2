//! One validation grid point as a table row.
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell, Row};
use serde::Serialize;

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
