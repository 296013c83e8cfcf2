//! One simulated run as a table row.
use crate::report::render::csv_fields;
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell, Row};
use crate::sim::{Extrapolation, Outcome, Params, Policy, Scenario};
use crate::stats::Summary;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct SimRow {
    pub policy: Policy,
    pub threads: usize,
    pub io_threads: u32,
    pub cores: usize,
    pub switch_interval_s: f64,
    pub count: u64,
    pub predicted_wall_s: f64,
    pub predicted_switches: u64,
    pub switches_per_s: f64,
    pub gil_held_fraction: Option<f64>,
    pub threads_detail: Vec<SimThread>,
    pub requests_per_s: Option<f64>,
    pub events: u64,
    /// How long the simulation itself took.
    pub simulated_in_s: f64,
    /// False when the event limit stopped the run: `predicted_wall_s` is then only the
    /// simulated time reached (`simulated_to_s`), not a prediction.
    pub complete: bool,
    pub simulated_to_s: f64,
    pub event_limit: u64,
    /// Set when part of the run was fast-forwarded at its steady rates (`--exact` turns it off).
    pub extrapolated: Option<Extrapolation>,
    /// The work itself, one thread at a time: the least wall time any GIL policy can take.
    pub serial_floor_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SimThread {
    pub name: String,
    pub held_fraction: f64,
    pub wait_s: f64,
}

pub(super) fn row(p: &Params, s: &Scenario, o: &Outcome, took: f64) -> SimRow {
    SimRow {
        policy: s.policy,
        threads: s.cpu_threads,
        io_threads: s.io_threads as u32,
        cores: s.cores,
        switch_interval_s: s.switch_interval_s,
        count: s.count,
        predicted_wall_s: o.wall_s,
        predicted_switches: o.switches,
        switches_per_s: o.switches as f64 / o.wall_s.max(1e-12),
        gil_held_fraction: (s.policy != Policy::None).then(|| o.gil_held_s / o.wall_s.max(1e-12)),
        threads_detail: o
            .threads
            .iter()
            .map(|t| SimThread {
                name: t.name.clone(),
                held_fraction: t.held_s / o.wall_s.max(1e-12),
                wait_s: t.wait_s,
            })
            .collect(),
        requests_per_s: (s.io_threads > 0).then(|| o.requests as f64 / o.wall_s.max(1e-12)),
        events: o.events,
        simulated_in_s: took,
        complete: o.complete,
        simulated_to_s: o.wall_s,
        event_limit: o.event_limit,
        extrapolated: o.extrapolated.clone(),
        serial_floor_s: if s.cpu_threads > 0 && s.count < u64::MAX / 8 {
            s.count as f64 * p.iteration_s
        } else {
            0.0
        },
    }
}

impl Row for SimRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("gil", format!("{:?}", self.policy).to_lowercase()),
            Cell::new("threads", self.threads.to_string()),
            Cell::wide("io", self.io_threads.to_string()),
            Cell::new("cores", self.cores.to_string()),
            Cell::new("interval", seconds(self.switch_interval_s)),
            Cell::new(
                "predicted wall",
                match (&self.extrapolated, self.complete) {
                    (_, false) => format!("≥ {} (cut)", seconds(self.predicted_wall_s)),
                    (Some(x), true) if x.wall_bound_s > 0.0 => format!(
                        "{} ± {}",
                        seconds(self.predicted_wall_s),
                        seconds(x.wall_bound_s.max(1e-6))
                    ),
                    (_, true) => seconds(self.predicted_wall_s),
                },
            ),
            Cell::new("hand-offs", thousands(self.predicted_switches)),
            Cell::wide("per s", thousands(self.switches_per_s.round() as u64)),
            Cell::new(
                "GIL held",
                self.gil_held_fraction
                    .map_or("–".into(), |h| format!("{:.1} %", h * 100.0)),
            ),
            Cell::wide("held per thread", shares_text(&self.threads_detail)),
            Cell::new(
                "req/s",
                self.requests_per_s
                    .map_or("–".into(), |r| thousands(r.round() as u64)),
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            "gil" = format!("{:?}", self.policy).to_lowercase(),
            threads, io_threads, cores, switch_interval_s, count, predicted_wall_s,
            predicted_switches, ?gil_held_fraction, ?requests_per_s, complete,
            "extrapolated_s" = field(self.extrapolated.as_ref().map(|x| x.skipped_s)),
            "wall_bound_s" = field(self.extrapolated.as_ref().map(|x| x.wall_bound_s)),
        )
    }
}

/// Each thread's held share in percent ("49 + 51"); with many threads, min / median / max.
fn shares_text(threads: &[SimThread]) -> String {
    let shares: Vec<f64> = threads.iter().map(|t| t.held_fraction * 100.0).collect();
    match shares.len() {
        0 => "–".into(),
        1..=4 => shares
            .iter()
            .map(|h| format!("{h:.0}"))
            .collect::<Vec<_>>()
            .join(" + "),
        _ => {
            let s = Summary::of(&shares);
            format!(
                "{:.0} / {:.0} / {:.0} (min / median / max)",
                s.min, s.median, s.max
            )
        }
    }
}
