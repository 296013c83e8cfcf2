//! The convoy effect: an echo server thread's requests/s beside K CPU-bound threads, measured
//! and predicted by the model. The model's per-request times come from the measured cell with
//! no CPU thread at the same switch interval (split between GIL work and time outside it in
//! the documented default proportion), so what it predicts is the collapse, not the baseline.
use crate::domain::{ConvoyOutcome, Percentiles};
use crate::report::progress::Progress;
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell, Document, Host, Row};
use crate::scenario::spec::ConvoySpec;
use crate::scenario::{dedup, host, measure_job};
use crate::sim::{self, Params, Policy, Scenario};
use crate::worker::protocol::{ConvoyTrial, Job};
use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;

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

pub fn run(spec: &ConvoySpec) -> Result<Document<ConvoyRow>> {
    let timeout = Duration::from_secs_f64(spec.timeout + spec.duration);
    let mut cpu = dedup(&spec.cpu_threads);
    cpu.sort_unstable();
    let intervals = dedup(&spec.switch_interval);
    let mut progress = Progress::new(1 + cpu.len() * intervals.len());
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;
    let (base, note) = match crate::paths::load_calibration(spec.calibration.as_deref())? {
        Some(p) => {
            let note = format!("Model parameters: {}.", p.source);
            (p, note)
        }
        None => (
            Params::default(),
            "Model parameters: documented defaults (no calibration; run `gilsim calibrate`)."
                .into(),
        ),
    };
    let mut rows = Vec::new();
    for &interval in &intervals {
        let mut alone: Option<f64> = None;
        for &k in &cpu {
            progress.start(&format!(
                "{k} CPU thread{} at {}",
                if k == 1 { "" } else { "s" },
                seconds(interval)
            ));
            let trial = ConvoyTrial {
                cpu_threads: k,
                switch_interval_s: interval,
                duration_s: spec.duration,
            };
            let mut row = ConvoyRow {
                cpu_threads: k,
                switch_interval_s: interval,
                requests_per_s: None,
                latency_s: None,
                predicted_requests_per_s: None,
                status: "error",
                error: None,
            };
            match measure_job::<ConvoyOutcome>(&Job::Convoy(trial), timeout)? {
                Ok(run) => {
                    row.requests_per_s = Some(run.data.requests_per_s);
                    row.latency_s = run.data.latency_s;
                    row.status = "ok";
                    if k == 0 {
                        alone = row.requests_per_s;
                    }
                }
                Err(e) => row.error = Some(e),
            }
            row.predicted_requests_per_s = Some(predict(&base, alone, k, interval, spec.duration));
            rows.push(row);
        }
    }
    progress.finish();
    let verdict = verdict(&rows, &note);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "convoy".into(),
        params: json!({
            "cpu_threads": cpu,
            "switch_interval_s": intervals,
            "duration_s": spec.duration,
            "model": base,
        }),
        host: Host::new(Some(&python)),
        results: rows,
        verdict,
    })
}

/// The model's requests/s for k CPU threads, with request times from the measured `alone`.
fn predict(base: &Params, alone: Option<f64>, k: usize, interval: f64, duration: f64) -> f64 {
    let mut p = base.clone();
    if let Some(rps) = alone.filter(|r| *r > 0.0) {
        let per_request = 1.0 / rps;
        let share = base.io_request_cpu_s / (base.io_request_cpu_s + base.io_outside_s);
        p.io_request_cpu_s = per_request * share;
        p.io_outside_s = per_request * (1.0 - share);
    }
    let s = Scenario {
        cpu_threads: k,
        count: u64::MAX / 4,
        io_threads: 1,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        switch_interval_s: interval,
        policy: Policy::New,
        seed: 1,
        duration_s: Some(duration),
        record: false,
        main_thread: false,
    };
    let o = sim::simulate(&p, &s);
    o.requests as f64 / o.wall_s.max(1e-12)
}

/// A model figure further than this factor from the measurement is named as a miss.
const MODEL_MISS: f64 = 1.5;

fn verdict(rows: &[ConvoyRow], note: &str) -> String {
    let mut out = Vec::new();
    let intervals = dedup(&rows.iter().map(|r| r.switch_interval_s).collect::<Vec<_>>());
    for interval in intervals {
        let cells: Vec<&ConvoyRow> = rows
            .iter()
            .filter(|r| r.switch_interval_s == interval)
            .collect();
        let alone = cells
            .iter()
            .find(|r| r.cpu_threads == 0)
            .and_then(|r| r.requests_per_s);
        let parts: Vec<String> = cells
            .iter()
            .filter_map(|r| {
                Some(format!(
                    "{} CPU thread{}: {} req/s (model {})",
                    r.cpu_threads,
                    if r.cpu_threads == 1 { "" } else { "s" },
                    thousands(r.requests_per_s?.round() as u64),
                    r.predicted_requests_per_s
                        .map_or("–".into(), |p| thousands(p.round() as u64))
                ))
            })
            .collect();
        let mut text = format!(
            "At a {} switch interval: {}",
            seconds(interval),
            parts.join("; ")
        );
        if let (Some(a), Some(one)) = (
            alone,
            cells
                .iter()
                .find(|r| r.cpu_threads == 1)
                .and_then(|r| r.requests_per_s),
        ) {
            text += &format!(
                " — one CPU thread cut the server's throughput ×{:.0}",
                a / one.max(1e-9)
            );
        }
        out.push(text + ".");
    }
    let misses: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let factor = r.predicted_requests_per_s? / r.requests_per_s.filter(|m| *m > 0.0)?;
            (factor.max(1.0 / factor) > MODEL_MISS).then(|| {
                format!(
                    "{} CPU thread{} at {} (model ×{factor:.1} the measured rate)",
                    r.cpu_threads,
                    if r.cpu_threads == 1 { "" } else { "s" },
                    seconds(r.switch_interval_s)
                )
            })
        })
        .collect();
    if !misses.is_empty() {
        out.push(format!(
            "The model misses the measurement by more than ×{MODEL_MISS} at {}: read its figures there as the model's error, not as a prediction.",
            misses.join(", ")
        ));
    }
    out.push("Why: each request's recv and send release the GIL; getting it back beside a CPU-bound thread means waiting for that thread's forced hand-off, up to a switch interval each time. This is the \"convoy effect\" reported to CPython as bpo-7946 (2010) and closed without a fix. A shorter interval helps the server and costs the CPU threads more hand-offs.".into());
    for r in rows.iter().filter(|r| r.status != "ok") {
        out.push(format!(
            "{} CPU threads at {}: {}",
            r.cpu_threads,
            seconds(r.switch_interval_s),
            r.error.as_deref().unwrap_or("failed")
        ));
    }
    out.push(note.to_string());
    out.join("\n")
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
        vec![
            ("cpu_threads", self.cpu_threads.to_string()),
            ("switch_interval_s", self.switch_interval_s.to_string()),
            ("requests_per_s", field(self.requests_per_s)),
            ("latency_p50_s", lat(|l| l.p50)),
            ("latency_p99_s", lat(|l| l.p99)),
            (
                "predicted_requests_per_s",
                field(self.predicted_requests_per_s),
            ),
            ("status", self.status.into()),
        ]
    }
}
