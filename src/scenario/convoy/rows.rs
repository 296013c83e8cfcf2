//! One convoy cell as a table row.
use crate::domain::Percentiles;
use crate::report::render::csv_fields;
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell, Row};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ConvoyRow {
    pub cpu_threads: usize,
    pub switch_interval_s: f64,
    pub requests_per_s: Option<f64>,
    pub latency_s: Option<Percentiles>,
    pub predicted_requests_per_s: Option<f64>,
    pub status: &'static str,
    pub error: Option<String>,
}

impl Row for ConvoyRow {
    fn cells(&self) -> Vec<Cell> {
        let lat = |f: fn(&Percentiles) -> f64| {
            self.latency_s
                .as_ref()
                .map_or("–".into(), |l| seconds(f(l)))
        };
        let rate = |r: Option<f64>| r.map_or("–".into(), |r| thousands(r.round() as u64));
        vec![
            Cell::new("CPU threads", self.cpu_threads.to_string()),
            Cell::new("interval", seconds(self.switch_interval_s)),
            Cell::new("req/s", rate(self.requests_per_s)),
            Cell::new("latency p50", lat(|l| l.p50)),
            Cell::new("p99", lat(|l| l.p99)),
            Cell::new("model req/s", rate(self.predicted_requests_per_s)),
            Cell::new(
                "status",
                crate::report::units::status_cell(self.error.as_deref()),
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let lat = |f: fn(&Percentiles) -> f64| field(self.latency_s.as_ref().map(f));
        csv_fields!(self;
            cpu_threads, switch_interval_s, ?requests_per_s,
            "latency_p50_s" = lat(|l| l.p50),
            "latency_p99_s" = lat(|l| l.p99),
            ?predicted_requests_per_s, status,
        )
    }
}
