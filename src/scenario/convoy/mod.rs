//! The convoy effect: an echo server thread's requests/s beside K CPU-bound threads, measured
//! and predicted by the model. The model's per-request times come from the measured cell with
//! no CPU thread at the same switch interval (split between GIL work and time outside it in
//! the documented default proportion), so what it predicts is the collapse, not the baseline.
pub mod alternating;
mod judged;
mod rows;
pub mod validate;
mod verdict;

pub use rows::ConvoyRow;

use crate::domain::ConvoyOutcome;
use crate::protocol::{ConvoyTrial, Job};
use crate::report::progress::Progress;
use crate::report::units::seconds;
use crate::report::{Document, Host};
use crate::scenario::spec::ConvoySpec;
use crate::scenario::{dedup, host, measure_job};
use crate::sim::{self, Params, Policy, Scenario};
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Duration;

pub fn run(spec: &ConvoySpec) -> Result<Document<ConvoyRow>> {
    let timeout = spec.timeout + Duration::from_secs_f64(spec.duration);
    let mut cpu = dedup(&spec.cpu_threads);
    cpu.sort_unstable();
    let intervals = dedup(&spec.switch_interval);
    let mut progress = Progress::new(1 + cpu.len() * intervals.len());
    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;
    let base = spec.model.params.clone();
    let note = if spec.model.calibrated {
        format!("Model parameters: {}.", base.source)
    } else {
        "Model parameters: documented defaults (no calibration; run `gilsim calibrate`).".into()
    };
    let mut rows = Vec::new();
    for &interval in &intervals {
        let mut alone: Option<f64> = None;
        for &k in &cpu {
            progress.start(&cell_name(k, interval));
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
            row.predicted_requests_per_s = Some(predict(&base, alone, k, interval));
            rows.push(row);
        }
    }
    progress.finish();
    let verdict = verdict::write(&rows, &note);
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

/// "1 CPU thread", "4 CPU threads".
pub(crate) fn cpu_threads(k: usize) -> String {
    format!("{k} CPU thread{}", if k == 1 { "" } else { "s" })
}

/// A cell: "2 CPU threads at 5.0 ms".
pub(crate) fn cell_name(k: usize, interval: f64) -> String {
    format!("{} at {}", cpu_threads(k), seconds(interval))
}

/// Simulated seconds behind each prediction: the model's steady rate, not the luck of a few
/// hundred hand-offs (a half-second cell at 5 ms has only about a hundred).
const MODEL_SECONDS: f64 = 30.0;

/// The model's requests/s for k CPU threads, with request times from the measured `alone`.
pub(crate) fn predict(base: &Params, alone: Option<f64>, k: usize, interval: f64) -> f64 {
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
        duration_s: Some(MODEL_SECONDS),
        record: false,
        main_thread: false,
        exact: true,
    };
    let o = sim::simulate(&p, &s);
    o.requests as f64 / o.wall_s.max(1e-12)
}
