//! One row per pool configuration: medians over the runs, or the error that stopped it.
use crate::domain::PoolOutcome;
use crate::domain::PoolRuntime;
use crate::measure::gil::stats::GilStats;
use crate::measure::gil::watch;
use crate::protocol::PoolTrial;
use crate::report::render::csv_fields;
use crate::report::units::{opt_seconds, seconds, status_cell, thousands};
use crate::report::{field, Cell, Row};
use crate::scenario::{all_runs, Outcome};
use crate::stats::{median, Summary};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct PoolRow {
    pub runtime: PoolRuntime,
    /// The study note's method 1 (`close-join`) or 2 (`with`); Python rows only.
    pub method: Option<&'static str>,
    pub start_method: Option<&'static str>,
    pub workers: usize,
    pub items: usize,
    pub chunksize: Option<usize>,
    pub work: u64,
    /// Pool created → last worker ready (median).
    pub startup_s: Option<f64>,
    /// map() called → results back (median).
    pub map_s: Option<f64>,
    /// Pool created → pool shut down, over the runs.
    pub total_s: Option<Summary>,
    /// items / map_s.
    pub items_per_s: Option<f64>,
    /// The same calls made one after another in the parent (median).
    pub sequential_s: Option<f64>,
    /// Every run returned exactly [f(x) for x in range(items)].
    pub results_ok: bool,
    /// The parent interpreter's exact GIL hand-offs (Python rows; medians over runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil: Option<GilStats>,
    pub status: &'static str,
    pub error: Option<String>,
    /// CPUs' worth of other processes' work during the runs (median over runs).
    pub other_load: Option<f64>,
}

pub fn build(trial: &PoolTrial, outcomes: &[Outcome<PoolOutcome>]) -> PoolRow {
    let mut row = PoolRow {
        runtime: trial.runtime,
        method: trial.method.map(|m| m.name()),
        start_method: trial.start_method.map(|m| m.name()),
        workers: trial.workers,
        items: trial.items,
        chunksize: None,
        work: trial.work,
        startup_s: None,
        map_s: None,
        total_s: None,
        items_per_s: None,
        sequential_s: None,
        results_ok: false,
        gil: None,
        status: "error",
        error: None,
        other_load: None,
    };
    let Some(runs) = all_runs(outcomes, &mut row.error) else {
        return row;
    };
    let first = runs[0];
    let of =
        |f: fn(&PoolOutcome) -> f64| median(&runs.iter().map(|r| f(&r.data)).collect::<Vec<_>>());
    let totals: Vec<f64> = runs.iter().map(|r| r.data.total_s).collect();
    row.total_s = Some(Summary::of(&totals));
    let startups: Vec<f64> = runs.iter().filter_map(|r| r.data.startup_s).collect();
    row.startup_s = (startups.len() == runs.len()).then(|| median(&startups));
    row.map_s = Some(of(|d| d.map_s));
    row.sequential_s = Some(of(|d| d.sequential_s));
    row.items_per_s = row.map_s.map(|m| trial.items as f64 / m);
    row.chunksize = Some(first.data.chunksize);
    row.results_ok = runs.iter().all(|r| r.data.results_ok);
    row.gil = watch::from_runs(runs.iter().map(|r| &r.gil));
    row.other_load = crate::scenario::other_load(&runs);
    row.status = "ok";
    row
}

impl Row for PoolRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("runtime", self.runtime.name()),
            Cell::new("method", self.method.unwrap_or("–")),
            Cell::new("start", self.start_method.unwrap_or("–")),
            Cell::wide("workers", self.workers.to_string()),
            Cell::wide(
                "chunk",
                self.chunksize.map_or("–".into(), |c| thousands(c as u64)),
            ),
            Cell::new("start-up", opt_seconds(self.startup_s)),
            Cell::new("map", opt_seconds(self.map_s)),
            Cell::new(
                "total",
                opt_seconds(self.total_s.as_ref().map(|t| t.median)),
            ),
            Cell::wide(
                "min – max",
                self.total_s.as_ref().map_or("–".into(), |t| {
                    format!("{} – {}", seconds(t.min), seconds(t.max))
                }),
            ),
            Cell::wide(
                "items/s",
                self.items_per_s
                    .map_or("–".into(), |r| thousands(r.round() as u64)),
            ),
            Cell::wide("sequential", opt_seconds(self.sequential_s)),
            Cell::wide(
                "other load",
                crate::report::units::load_cell(self.other_load, None),
            ),
            Cell::new(
                "status",
                if self.status == "ok" && !self.results_ok {
                    "WRONG results".into()
                } else {
                    status_cell(self.error.as_deref())
                },
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let total = self.total_s.as_ref();
        csv_fields!(self;
            "runtime" = self.runtime.name().into(),
            ?method, ?start_method, workers, items, ?chunksize, work, ?startup_s, ?map_s,
            "total_median_s" = field(total.map(|t| t.median)),
            "total_min_s" = field(total.map(|t| t.min)),
            "total_max_s" = field(total.map(|t| t.max)),
            ?items_per_s, ?sequential_s, results_ok, status, ?error, ?other_load,
        )
    }
}
