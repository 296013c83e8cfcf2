//! One row per pool configuration: medians over the runs, or the error that stopped it.
use crate::measure::gil::stats::GilStats;
use crate::measure::gil::watch;
use crate::report::units::{opt_seconds, seconds, status_cell};
use crate::report::Row;
use crate::scenario::Outcome;
use crate::stats::{median, Summary};
use crate::worker::protocol::{PoolRuntime, PoolTrial};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct PoolRow {
    pub runtime: PoolRuntime,
    /// The seed's method 1 (`close-join`) or 2 (`with`); Python rows only.
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
}

pub fn build(trial: &PoolTrial, outcomes: &[Outcome]) -> PoolRow {
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
    };
    let mut data = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok((_, d)) => data.push(d),
            Err(message) => {
                row.error = Some(message.clone());
                return row;
            }
        }
    }
    let field = |name: &str| -> Vec<f64> { data.iter().filter_map(|d| d[name].as_f64()).collect() };
    let med = |name: &str| {
        let values = field(name);
        (values.len() == data.len() && !values.is_empty()).then(|| median(&values))
    };
    let totals = field("total_s");
    row.total_s = (!totals.is_empty()).then(|| Summary::of(&totals));
    row.startup_s = med("startup_s");
    row.map_s = med("map_s");
    row.sequential_s = med("sequential_s");
    row.items_per_s = row.map_s.map(|m| trial.items as f64 / m);
    row.chunksize = data
        .first()
        .and_then(|d| d["chunksize"].as_u64())
        .map(|c| c as usize);
    row.results_ok = !data.is_empty() && data.iter().all(|d| d["results_ok"] == true);
    row.gil = watch::from_runs(data.iter().copied());
    row.status = "ok";
    row
}

impl Row for PoolRow {
    fn headers() -> Vec<&'static str> {
        vec![
            "runtime",
            "method",
            "start",
            "workers",
            "chunk",
            "start-up",
            "map",
            "total (median)",
            "min – max",
            "items/s",
            "sequential",
            "results",
            "status",
        ]
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.runtime.name().into(),
            self.method.unwrap_or("–").into(),
            self.start_method.unwrap_or("–").into(),
            self.workers.to_string(),
            self.chunksize.map_or("–".into(), |c| c.to_string()),
            opt_seconds(self.startup_s),
            opt_seconds(self.map_s),
            opt_seconds(self.total_s.as_ref().map(|t| t.median)),
            self.total_s.as_ref().map_or("–".into(), |t| {
                format!("{} – {}", seconds(t.min), seconds(t.max))
            }),
            self.items_per_s.map_or("–".into(), |r| format!("{r:.0}")),
            opt_seconds(self.sequential_s),
            if self.status != "ok" {
                "–".into()
            } else if self.results_ok {
                "ok".into()
            } else {
                "WRONG".into()
            },
            status_cell(self.error.as_deref()),
        ]
    }

    fn csv_headers() -> Vec<&'static str> {
        vec![
            "runtime",
            "method",
            "start_method",
            "workers",
            "items",
            "chunksize",
            "work",
            "startup_s",
            "map_s",
            "total_median_s",
            "total_min_s",
            "total_max_s",
            "items_per_s",
            "sequential_s",
            "results_ok",
            "status",
            "error",
        ]
    }

    fn csv_cells(&self) -> Vec<String> {
        let num = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
        vec![
            self.runtime.name().into(),
            self.method.unwrap_or("").into(),
            self.start_method.unwrap_or("").into(),
            self.workers.to_string(),
            self.items.to_string(),
            self.chunksize.map_or(String::new(), |c| c.to_string()),
            self.work.to_string(),
            num(self.startup_s),
            num(self.map_s),
            num(self.total_s.as_ref().map(|t| t.median)),
            num(self.total_s.as_ref().map(|t| t.min)),
            num(self.total_s.as_ref().map(|t| t.max)),
            num(self.items_per_s),
            num(self.sequential_s),
            self.results_ok.to_string(),
            self.status.into(),
            self.error.clone().unwrap_or_default(),
        ]
    }
}
