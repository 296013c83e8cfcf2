//! The convoy verdict: requests/s per cell, the model's misses, and why.
use super::ConvoyRow;
use crate::report::units::{seconds, thousands};
use crate::scenario::dedup;

/// A model figure further than this factor from the measurement is named as a miss.
const MODEL_MISS: f64 = 1.5;

pub fn write(rows: &[ConvoyRow], note: &str) -> String {
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
                    "{}: {} req/s (model {})",
                    super::cpu_threads(r.cpu_threads),
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
                    "{} (model ×{} the measured rate)",
                    super::cell_name(r.cpu_threads, r.switch_interval_s),
                    crate::report::units::number(factor)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(cpu_threads: usize, interval: f64, measured: f64, model: f64) -> ConvoyRow {
        ConvoyRow {
            cpu_threads,
            switch_interval_s: interval,
            requests_per_s: Some(measured),
            latency_s: None,
            predicted_requests_per_s: Some(model),
            status: "ok",
            error: None,
        }
    }

    #[test]
    fn throughput_per_cell_and_the_models_misses() {
        let rows = [
            cell(0, 0.005, 9_000.0, 9_500.0),
            cell(1, 0.005, 190.0, 200.0),
            cell(2, 0.005, 95.0, 300.0),
            cell(0, 0.001, 9_000.0, 9_400.0),
            cell(1, 0.001, 900.0, 980.0),
            ConvoyRow {
                requests_per_s: None,
                predicted_requests_per_s: None,
                status: "timeout",
                error: Some("timed out after 60 s".into()),
                ..cell(2, 0.001, 0.0, 0.0)
            },
        ];
        insta::assert_snapshot!(
            "cells_and_misses",
            write(
                &rows,
                "The model's figures come from its default parameters."
            )
        );
    }
}
