//! `scale` rows: each runtime and worker count's wall times, speed-up over the serial run with
//! its range, CPU/wall, start-up and, for threads, the GIL's exact hand-offs.
use super::{ScalePython, Setting, Trial};
use crate::domain::ScaleRuntime;
use crate::report::render::csv_fields;
use crate::report::units::{opt_seconds, seconds, status_cell, thousands};
use crate::report::{field, Cell, Row};
use crate::stats::{fastest_ratio, median, Summary};
use serde::Serialize;

/// The GIL over a threads row's runs.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleGil {
    /// Exact hand-offs over the trial's process (median over runs).
    pub switches: Option<f64>,
    /// Hand-offs per second of the map.
    pub switches_per_s: Option<f64>,
    /// How the count was read: `outside` (the process's memory), or why it is missing.
    pub source: String,
    /// Share of the trial's samples with the GIL held (median over runs), sampled from outside
    /// over the whole trial process.
    pub held_fraction: Option<f64>,
    /// Each thread's share of the samples holding it, largest first (medians over runs).
    pub held_by_thread: Vec<f64>,
    /// A free-threaded build ran every one of the row's runs without its GIL, as read from
    /// its memory before and after each run.
    pub no_gil: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScaleRow {
    pub runtime: ScaleRuntime,
    pub workers: usize,
    /// Another interpreter's version; absent for the embedded build's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// The map's wall time over the runs (start-up included: what a user waits for).
    pub wall_s: Option<Summary>,
    /// The serial run's fastest wall over this row's fastest.
    pub speedup: Option<f64>,
    /// The speed-up's 95 % bootstrap interval over rounds.
    pub speedup_interval: Option<[f64; 2]>,
    /// CPU time of the process and its children over the map, per second of wall (median).
    pub cpu_per_wall: Option<f64>,
    /// Until the workers were ready to take inputs (median).
    pub startup_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil: Option<ScaleGil>,
    pub status: &'static str,
    pub error: Option<String>,
}

pub fn build(
    settings: &[Setting],
    trials: &[Vec<Trial>],
    failed: &[Option<String>],
    pythons: &[ScalePython],
) -> Vec<ScaleRow> {
    let walls = |k: usize| -> Option<Summary> {
        let w: Vec<f64> = trials[k].iter().filter_map(|t| t.answer.wall_s).collect();
        (!w.is_empty() && failed[k].is_none()).then(|| Summary::of(&w))
    };
    settings
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let serial = settings
                .iter()
                .position(|o| o.python == s.python && o.runtime == ScaleRuntime::Serial)
                .and_then(walls);
            let wall = walls(k);
            let (speedup, speedup_interval) = match (&serial, &wall) {
                // The baseline against itself: ×1, with no range to speak of.
                (Some(_), Some(_)) if s.runtime == ScaleRuntime::Serial => (Some(1.0), None),
                (Some(a), Some(b)) => fastest_ratio(a, b),
                _ => (None, None),
            };
            let med = |f: &dyn Fn(&Trial) -> Option<f64>| {
                let v: Vec<f64> = trials[k].iter().filter_map(f).collect();
                (!v.is_empty()).then(|| median(&v))
            };
            let cpu_per_wall = med(&|t| Some(t.answer.cpu_s? / t.answer.wall_s?));
            let gil = (s.runtime == ScaleRuntime::Threads && failed[k].is_none()).then(|| {
                let switches = med(&|t| t.switches.map(|n| n as f64));
                let no_gil = !trials[k].is_empty() && trials[k].iter().all(|t| t.without_gil);
                // Without a GIL, samples of its `locked` word say nothing.
                let held: Vec<&crate::scenario::external_script::Held> = trials[k]
                    .iter()
                    .filter(|_| !no_gil)
                    .filter_map(|t| t.held.as_ref())
                    .collect();
                let threads = held.iter().map(|h| h.by_thread.len()).min().unwrap_or(0);
                ScaleGil {
                    no_gil,
                    held_fraction: (!held.is_empty())
                        .then(|| median(&held.iter().map(|h| h.fraction).collect::<Vec<_>>())),
                    held_by_thread: (0..threads)
                        .map(|i| median(&held.iter().map(|h| h.by_thread[i]).collect::<Vec<_>>()))
                        .collect(),
                    switches,
                    switches_per_s: med(&|t| Some(t.switches? as f64 / t.answer.wall_s?)),
                    source: match (&switches, trials[k].iter().find_map(|t| t.gil_note.clone())) {
                        (Some(_), _) => "outside".into(),
                        (None, Some(note)) => format!("unavailable: {note}"),
                        (None, None) => "unavailable".into(),
                    },
                }
            });
            ScaleRow {
                runtime: s.runtime,
                workers: s.workers,
                python: pythons[s.python].label.clone(),
                wall_s: wall,
                speedup,
                speedup_interval,
                cpu_per_wall,
                startup_s: med(&|t| t.answer.startup_s).filter(|_| s.runtime.is_parallel()),
                gil,
                status: if failed[k].is_some() { "error" } else { "ok" },
                error: failed[k].clone(),
            }
        })
        .collect()
}

impl Row for ScaleRow {
    fn cells(&self) -> Vec<Cell> {
        let mut cells = vec![Cell::new("runtime", self.runtime.name())];
        if let Some(p) = &self.python {
            cells.push(Cell::new("python", p.clone()));
        }
        cells.extend([
            Cell::new("workers", self.workers.to_string()),
            Cell::new(
                "wall",
                self.wall_s.as_ref().map_or("–".into(), |w| seconds(w.min)),
            ),
            Cell::new(
                "speed-up",
                self.speedup.map_or("–".into(), |s| format!("×{s:.2}")),
            ),
            Cell::new(
                "range",
                self.speedup_interval
                    .map_or("–".into(), |[lo, hi]| format!("×{lo:.2}–{hi:.2}")),
            ),
            Cell::new(
                "CPU/wall",
                self.cpu_per_wall.map_or("–".into(), |c| format!("{c:.2}")),
            ),
            Cell::wide("start-up", opt_seconds(self.startup_s)),
            Cell::new(
                "hand-offs",
                self.gil
                    .as_ref()
                    .and_then(|g| g.switches)
                    .map_or("–".into(), |n| thousands(n.round() as u64)),
            ),
            Cell::new(
                "GIL held",
                self.gil
                    .as_ref()
                    .and_then(|g| g.held_fraction)
                    .map_or("–".into(), |h| format!("{:.0} %", h * 100.0)),
            ),
            Cell::wide(
                "held per thread",
                self.gil.as_ref().map_or("–".into(), |g| {
                    if g.held_by_thread.is_empty() {
                        "–".into()
                    } else {
                        g.held_by_thread
                            .iter()
                            .map(|h| format!("{:.0}", h * 100.0))
                            .collect::<Vec<_>>()
                            .join(" + ")
                            + " %"
                    }
                }),
            ),
            Cell::wide(
                "wall median",
                self.wall_s
                    .as_ref()
                    .map_or("–".into(), |w| seconds(w.median)),
            ),
            Cell::new("status", status_cell(self.error.as_deref())),
        ]);
        cells
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let wall = self.wall_s.as_ref();
        csv_fields!(self;
            "runtime" = self.runtime.name().into(),
            workers, ?python,
            "wall_min_s" = field(wall.map(|w| w.min)),
            "wall_median_s" = field(wall.map(|w| w.median)),
            ?speedup,
            "speedup_low" = field(self.speedup_interval.map(|i| i[0])),
            "speedup_high" = field(self.speedup_interval.map(|i| i[1])),
            ?cpu_per_wall, ?startup_s,
            "gil_switches" = field(self.gil.as_ref().and_then(|g| g.switches)),
            "gil_held_fraction" = field(self.gil.as_ref().and_then(|g| g.held_fraction)),
            status, ?error,
        )
    }
}
