//! `sharing` rows: each setting's wall over the runs, its throughput against 1 thread of the
//! same interpreter, workload and sharing (with the range its rounds allow), CPU/wall, the
//! share of the cores' time the threads spent off CPU, and the CPU time per operation.
use super::{Setting, SharingSpec, Trial};
use crate::report::render::csv_fields;
use crate::report::units::seconds;
use crate::report::{field, Cell, Row};
use crate::stats::{fastest_ratio, median, Summary};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct SharingRow {
    /// The interpreter, as rows name it ("3.13t PYTHON_GIL=0", "3.13").
    pub python: String,
    pub workload: &'static str,
    /// `own` or `shared`.
    pub sharing: &'static str,
    pub threads: usize,
    /// Each thread's operations.
    pub iterations: u64,
    pub wall_s: Summary,
    /// Operations per second against 1 thread's, of the same interpreter, workload and
    /// sharing: threads × the ratio of the fastest runs' walls (each thread does the same
    /// number of operations), with its 95 % bootstrap interval over rounds.
    pub speedup: Option<f64>,
    pub speedup_interval: Option<[f64; 2]>,
    /// The process's CPU time over the wall (median over runs).
    pub cpu_per_wall: f64,
    /// The share of the cores the threads could use (threads, at most the CPUs) that they left
    /// idle: off CPU, waiting (median over runs).
    pub idle_share: f64,
    /// CPU nanoseconds per operation (median over runs).
    pub cpu_ns_per_op: f64,
    /// Whether the interpreter had a GIL in use (read by the driver at the end).
    pub gil_enabled: bool,
}

pub fn build(
    settings: &[Setting],
    trials: &[Vec<Trial>],
    spec: &SharingSpec,
    cpus: usize,
) -> Vec<SharingRow> {
    let walls = |k: usize| Summary::of(&trials[k].iter().map(|t| t.wall_s).collect::<Vec<_>>());
    settings
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let wall = walls(k);
            let one = settings.iter().position(|o| {
                o.python == s.python
                    && o.workload == s.workload
                    && o.sharing == s.sharing
                    && o.threads == 1
            });
            let (speedup, speedup_interval) = match one {
                // The baseline against itself: ×1, with no range to speak of.
                Some(_) if s.threads == 1 => (Some(1.0), None),
                Some(j) => {
                    let (point, range) = fastest_ratio(&walls(j), &wall);
                    let n = s.threads as f64;
                    (point.map(|p| p * n), range.map(|[lo, hi]| [lo * n, hi * n]))
                }
                None => (None, None),
            };
            let usable = s.threads.min(cpus).max(1) as f64;
            let per_run =
                |f: &dyn Fn(&Trial) -> f64| median(&trials[k].iter().map(f).collect::<Vec<_>>());
            let ops = (s.threads as u64 * spec.iterations) as f64;
            SharingRow {
                python: spec.pythons[s.python].label(),
                workload: s.workload.name(),
                sharing: s.sharing.name(),
                threads: s.threads,
                iterations: spec.iterations,
                wall_s: wall,
                speedup,
                speedup_interval,
                cpu_per_wall: per_run(&|t| t.cpu_s / t.wall_s),
                idle_share: per_run(&|t| (1.0 - t.cpu_s / t.wall_s / usable).clamp(0.0, 1.0)),
                cpu_ns_per_op: per_run(&|t| t.cpu_s / ops * 1e9),
                gil_enabled: trials[k].iter().any(|t| t.gil_enabled),
            }
        })
        .collect()
}

/// "×1.85 (×1.70 – ×1.95)".
pub fn times(point: Option<f64>, range: Option<[f64; 2]>) -> String {
    match (point, range) {
        (Some(p), Some([lo, hi])) => format!("×{p:.2} (×{lo:.2} – ×{hi:.2})"),
        (Some(p), None) => format!("×{p:.2} (no range: fewer than 3 runs)"),
        _ => "unavailable".into(),
    }
}

impl Row for SharingRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("python", self.python.clone()),
            Cell::new("workload", self.workload),
            Cell::new("object", self.sharing),
            Cell::new("threads", self.threads.to_string()),
            Cell::new("wall", seconds(self.wall_s.min)),
            Cell::new(
                "speed-up",
                self.speedup.map_or("–".into(), |s| format!("×{s:.2}")),
            ),
            Cell::new(
                "range",
                self.speedup_interval
                    .map_or("–".into(), |[lo, hi]| format!("×{lo:.2}–{hi:.2}")),
            ),
            Cell::new("CPU/wall", format!("{:.2}", self.cpu_per_wall)),
            Cell::new("idle", format!("{:.0} %", self.idle_share * 100.0)),
            Cell::new("CPU/op", format!("{:.0} ns", self.cpu_ns_per_op)),
            Cell::wide("GIL", if self.gil_enabled { "enabled" } else { "none" }),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            python, workload, sharing, threads, iterations,
            "wall_s_min" = self.wall_s.min.to_string(),
            "wall_s_median" = self.wall_s.median.to_string(),
            ?speedup,
            "speedup_low" = field(self.speedup_interval.map(|[lo, _]| lo)),
            "speedup_high" = field(self.speedup_interval.map(|[_, hi]| hi)),
            cpu_per_wall, idle_share, cpu_ns_per_op, gil_enabled,
        )
    }
}
