//! What both convoy validations judge of a cell: its measured requests/s and interval, the
//! model's prediction and the published figure, with the table cells, CSV fields and verdict
//! text they share.
use super::cell_name;
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell};
use crate::scenario::validate::interval::relative_half_width;
use crate::scenario::validate::rows::verdict_word;
use serde::Serialize;

/// The model may be this factor away from a resolved cell's measurement.
pub const FACTOR_TARGET: f64 = 1.25;

/// Published figures (Skvortsov 2021: an echo server beside CPU-bound threads), by (CPU
/// threads, interval).
pub(crate) const ANCHORS: [(usize, f64, f64); 6] = [
    (1, 0.005, 100.0),
    (2, 0.005, 50.0),
    (4, 0.005, 30.0),
    (1, 0.000_01, 11_000.0),
    (2, 0.000_01, 5_500.0),
    (4, 0.000_01, 2_800.0),
];

/// A cell as a validation judges it (its JSON fields sit beside the method's own).
#[derive(Clone, Debug, Serialize)]
pub struct Judged {
    pub cpu_threads: usize,
    pub switch_interval_s: f64,
    /// The cell's requests/s and its 95 % interval.
    pub requests_per_s: f64,
    pub requests_interval: (f64, f64),
    pub predicted_requests_per_s: f64,
    /// model / measured.
    pub model_factor: f64,
    pub resolved: bool,
    /// Resolved cells with CPU threads: the model within ×1.25; null otherwise.
    pub meets_target: Option<bool>,
    /// The published figure for this cell, where there is one.
    pub published_requests_per_s: Option<f64>,
}

impl Judged {
    /// A cell measured at `requests_per_s` (interval given), judged if `resolved` and it has
    /// CPU threads.
    pub fn new(
        (threads, interval): (usize, f64),
        (requests_per_s, requests_interval): (f64, (f64, f64)),
        predicted: f64,
        resolved: bool,
    ) -> Judged {
        let factor = predicted / requests_per_s.max(1e-9);
        Judged {
            cpu_threads: threads,
            switch_interval_s: interval,
            requests_per_s,
            requests_interval,
            predicted_requests_per_s: predicted,
            model_factor: factor,
            resolved,
            meets_target: (resolved && threads > 0)
                .then(|| (1.0 / FACTOR_TARGET..=FACTOR_TARGET).contains(&factor)),
            published_requests_per_s: ANCHORS
                .iter()
                .find(|(t, i, _)| *t == threads && (i - interval).abs() < 1e-12)
                .map(|a| a.2),
        }
    }

    /// CPU threads, interval and req/s.
    pub fn measured_cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("CPU threads", self.cpu_threads.to_string()),
            Cell::new("interval", seconds(self.switch_interval_s)),
            Cell::new("req/s", thousands(self.requests_per_s.round() as u64)),
        ]
    }

    /// The interval's half-width, as a percentage.
    pub fn interval_cell(&self) -> Cell {
        let half = relative_half_width(self.requests_interval, self.requests_per_s.max(1e-9));
        Cell::new("CI 95 %", format!("±{:.1} %", half * 100.0))
    }

    /// The model's figure, its factor and the verdict word.
    pub fn model_cells(&self) -> Vec<Cell> {
        vec![
            Cell::new(
                "model",
                thousands(self.predicted_requests_per_s.round() as u64),
            ),
            Cell::new("model ×", format!("×{:.2}", self.model_factor)),
            Cell::new("verdict", verdict_word(self.resolved, self.meets_target)),
        ]
    }

    /// The cell's settings and the measuring method.
    pub fn setting_fields(&self, method: &str) -> Vec<(&'static str, String)> {
        vec![
            ("cpu_threads", self.cpu_threads.to_string()),
            ("switch_interval_s", self.switch_interval_s.to_string()),
            ("method", method.to_string()),
        ]
    }

    /// Requests/s and its interval.
    pub fn measured_fields(&self) -> Vec<(&'static str, String)> {
        let (low, high) = self.requests_interval;
        vec![
            ("requests_per_s", self.requests_per_s.to_string()),
            ("requests_interval_low", low.to_string()),
            ("requests_interval_high", high.to_string()),
        ]
    }

    /// The model, the judgement and the published figure.
    pub fn model_fields(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "predicted_requests_per_s",
                self.predicted_requests_per_s.to_string(),
            ),
            ("model_factor", self.model_factor.to_string()),
            ("resolved", self.resolved.to_string()),
            ("meets_target", field(self.meets_target)),
            (
                "published_requests_per_s",
                field(self.published_requests_per_s),
            ),
        ]
    }
}

/// "k of n resolved cells with CPU threads have the model within ×1.25 (m unresolved)", the
/// misses, the unresolved cells with their intervals (resolution: the half-width asked for),
/// and the published figures beside the measured ones.
pub fn text(cells: &[&Judged], resolution: f64) -> String {
    let judged: Vec<&Judged> = cells
        .iter()
        .copied()
        .filter(|r| r.cpu_threads > 0)
        .collect();
    let resolved: Vec<&&Judged> = judged.iter().filter(|r| r.resolved).collect();
    let met = resolved
        .iter()
        .filter(|r| r.meets_target == Some(true))
        .count();
    let name = |r: &Judged| cell_name(r.cpu_threads, r.switch_interval_s);
    let mut text = format!(
        "{met} of {} resolved cells with CPU threads have the model within ×{FACTOR_TARGET} of \
         the measurement ({} unresolved).",
        resolved.len(),
        judged.len() - resolved.len()
    );
    let misses: Vec<String> = resolved
        .iter()
        .filter(|r| r.meets_target == Some(false))
        .map(|r| {
            format!(
                "{}: {} req/s, model {} (×{:.2})",
                name(r),
                thousands(r.requests_per_s.round() as u64),
                thousands(r.predicted_requests_per_s.round() as u64),
                r.model_factor
            )
        })
        .collect();
    if !misses.is_empty() {
        text += &format!(" Misses: {}.", misses.join("; "));
    }
    let unresolved: Vec<String> = judged
        .iter()
        .filter(|r| !r.resolved)
        .map(|r| {
            format!(
                "{} (±{:.1} %)",
                name(r),
                relative_half_width(r.requests_interval, r.requests_per_s.max(1e-9)) * 100.0
            )
        })
        .collect();
    if !unresolved.is_empty() {
        text += &format!(
            " Not resolved to ±{:.1} %: {}; they neither pass nor miss.",
            resolution * 100.0,
            unresolved.join(", ")
        );
    }
    let published: Vec<String> = cells
        .iter()
        .filter_map(|r| {
            r.published_requests_per_s.map(|p| {
                format!(
                    "{}: {} measured here, {} published",
                    name(r),
                    thousands(r.requests_per_s.round() as u64),
                    thousands(p as u64)
                )
            })
        })
        .collect();
    if !published.is_empty() {
        text += &format!(
            " Beside Victor Skvortsov's published figures (2021): {}.",
            published.join("; ")
        );
    }
    text
}
