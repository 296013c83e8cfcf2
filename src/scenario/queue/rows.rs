//! One row per sender/receiver configuration.
use crate::domain::QueueOutcome;
use crate::domain::{QueueRuntime, QueueVariant};
use crate::measure::gil::stats::GilStats;
use crate::measure::gil::watch;
use crate::protocol::QueueTrial;
use crate::report::render::csv_fields;
use crate::report::units::{opt_seconds, status_cell, thousands};
use crate::report::{field, Cell, Row};
use crate::scenario::{all_runs, Outcome};
use crate::stats::{median, percentile};
use serde::Serialize;

/// Values are listed in full up to this many messages.
const RECEIVED_LISTED: usize = 100;

#[derive(Clone, Debug, Serialize)]
pub struct QueueRow {
    pub runtime: QueueRuntime,
    /// The study note's variant this row runs (Rust rows: the one they are the twin of).
    pub variant: QueueVariant,
    pub start_method: Option<&'static str>,
    pub messages: usize,
    pub interval_s: f64,
    pub messages_received: Option<usize>,
    /// The received values (first run), for small runs.
    pub received: Option<Vec<u64>>,
    /// put → get, over every message of every run.
    pub latency_s: Option<Latency>,
    /// Messages per second between the first and the last arrival (median over runs).
    pub messages_per_s: Option<f64>,
    /// Each run's messages per second, in the order the runs were made.
    #[serde(skip)]
    pub rates: Vec<f64>,
    /// Sender started → first message received (median).
    pub first_message_s: Option<f64>,
    /// Stop requested → sender gone: terminate()+join(), event+join(), kill (median).
    pub shutdown_s: Option<f64>,
    pub total_s: Option<f64>,
    /// The parent interpreter's exact GIL hand-offs (Python rows; medians over runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil: Option<GilStats>,
    pub status: &'static str,
    pub error: Option<String>,
    /// CPUs' worth of other processes' work during the runs (median over runs).
    pub other_load: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

pub fn build(trial: &QueueTrial, outcomes: &[Outcome<QueueOutcome>]) -> QueueRow {
    let mut row = QueueRow {
        runtime: trial.runtime,
        variant: trial.variant,
        start_method: trial.start_method.map(|m| m.name()),
        messages: trial.messages,
        interval_s: trial.interval_s,
        messages_received: None,
        received: None,
        latency_s: None,
        messages_per_s: None,
        rates: Vec::new(),
        first_message_s: None,
        shutdown_s: None,
        total_s: None,
        gil: None,
        status: "error",
        error: None,
        other_load: None,
    };
    let Some(runs) = all_runs(outcomes, &mut row.error) else {
        return row;
    };
    let first = runs[0];
    let med = |f: fn(&QueueOutcome) -> Option<f64>| {
        let v: Vec<f64> = runs.iter().filter_map(|r| f(&r.data)).collect();
        (!v.is_empty()).then(|| median(&v))
    };
    let received = first.data.received.clone();
    row.messages_received = Some(received.len());
    if received.len() <= RECEIVED_LISTED {
        row.received = Some(received);
    }
    let latencies: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.data.latencies_s.iter().copied())
        .collect();
    if !latencies.is_empty() {
        row.latency_s = Some(Latency {
            p50: percentile(&latencies, 50.0),
            p99: percentile(&latencies, 99.0),
            max: percentile(&latencies, 100.0),
        });
    }
    let rates: Vec<f64> = runs
        .iter()
        .filter_map(|r| Some((trial.messages - 1) as f64 / r.data.stream_s?))
        .collect();
    row.messages_per_s = (!rates.is_empty()).then(|| median(&rates));
    row.rates = rates;
    row.other_load = crate::scenario::other_load(&runs);
    row.first_message_s = med(|d| d.first_message_s);
    row.shutdown_s = med(|d| Some(d.shutdown_s));
    row.total_s = med(|d| Some(d.total_s));
    row.gil = watch::from_runs(runs.iter().map(|r| &r.gil));
    row.status = "ok";
    row
}

impl QueueRow {
    /// "0, 1, 2, …, 9" for the table.
    fn received_text(&self) -> String {
        match (&self.received, self.messages_received) {
            (Some(v), _) if v.len() <= 6 => v
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            (Some(v), _) => format!("{}, {}, {}, …, {}", v[0], v[1], v[2], v[v.len() - 1]),
            (None, Some(n)) => format!("{n} messages"),
            _ => "–".into(),
        }
    }
}

impl Row for QueueRow {
    fn cells(&self) -> Vec<Cell> {
        let latency = self.latency_s.as_ref();
        vec![
            Cell::new("runtime", self.runtime.name()),
            Cell::new("variant", self.variant.name()),
            Cell::new("start", self.start_method.unwrap_or("–")),
            Cell::wide("received", self.received_text()),
            Cell::new(
                "msgs/s",
                self.messages_per_s
                    .map_or("–".into(), |r| thousands(r.round() as u64)),
            ),
            Cell::new("latency p50", opt_seconds(latency.map(|l| l.p50))),
            Cell::wide("p99", opt_seconds(latency.map(|l| l.p99))),
            Cell::wide("first msg", opt_seconds(self.first_message_s)),
            Cell::new("shutdown", opt_seconds(self.shutdown_s)),
            Cell::wide("total", opt_seconds(self.total_s)),
            Cell::wide(
                "other load",
                crate::report::units::load_cell(self.other_load, None),
            ),
            Cell::new("status", status_cell(self.error.as_deref())),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let latency = self.latency_s.as_ref();
        csv_fields!(self;
            "runtime" = self.runtime.name().into(),
            "variant" = self.variant.name().into(),
            ?start_method, messages, interval_s, ?messages_received, ?messages_per_s,
            "latency_p50_s" = field(latency.map(|l| l.p50)),
            "latency_p99_s" = field(latency.map(|l| l.p99)),
            ?first_message_s, ?shutdown_s, ?total_s, status, ?error, ?other_load,
        )
    }
}
