//! One Python 2.7 setting as a table row.
use crate::report::units::{seconds, thousands};
use crate::report::{Cell, Row};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct OldRow {
    pub python: String,
    pub threads: usize,
    /// The CPUs the trial ran on.
    pub cpus: usize,
    pub measured_wall_s: f64,
    pub measured_cpu_s: f64,
    pub ctx_switches: (i64, i64),
    pub predicted_wall_s: f64,
    pub wall_error: f64,
    /// Measured wall / the 1-thread wall on as many CPUs.
    pub slowdown: f64,
    /// The same in the model.
    pub predicted_slowdown: f64,
}

impl Row for OldRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("python", self.python.clone()),
            Cell::new("threads", self.threads.to_string()),
            Cell::new("CPUs", self.cpus.to_string()),
            Cell::new("measured wall", seconds(self.measured_wall_s)),
            Cell::new("CPU", seconds(self.measured_cpu_s)),
            Cell::wide(
                "ctx vol/invol",
                format!(
                    "{} / {}",
                    thousands(self.ctx_switches.0.max(0) as u64),
                    thousands(self.ctx_switches.1.max(0) as u64)
                ),
            ),
            Cell::new("× 1 thread", format!("×{:.2}", self.slowdown)),
            Cell::new("predicted", seconds(self.predicted_wall_s)),
            Cell::new("model × 1", format!("×{:.2}", self.predicted_slowdown)),
            Cell::new("error", format!("{:+.1} %", self.wall_error * 100.0)),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("python", self.python.clone()),
            ("threads", self.threads.to_string()),
            ("measured_wall_s", self.measured_wall_s.to_string()),
            ("measured_cpu_s", self.measured_cpu_s.to_string()),
            ("predicted_wall_s", self.predicted_wall_s.to_string()),
            ("wall_error", self.wall_error.to_string()),
            ("slowdown", self.slowdown.to_string()),
            // Columns added later go last, so every column keeps its place.
            ("ctx_voluntary", self.ctx_switches.0.to_string()),
            ("ctx_involuntary", self.ctx_switches.1.to_string()),
            ("cpus", self.cpus.to_string()),
            ("predicted_slowdown", self.predicted_slowdown.to_string()),
        ]
    }
}
