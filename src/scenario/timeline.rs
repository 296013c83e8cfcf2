//! A run with every GIL state change recorded (a script or the countdown, in a worker), and
//! its Beazley-style picture: used by `gilsim timeline` and the switch-interval lab.
use crate::domain::TimelineOutcome;
use crate::protocol::{Job, Measured, Record, TimelineJob};
use crate::report::timeline_svg::{self, Timeline};
use crate::runner::{self, RunOptions};
use anyhow::{bail, Result};

/// The recorded run: its wall time and what the worker saw.
pub struct Recorded {
    pub wall_s: f64,
    pub outcome: TimelineOutcome,
}

impl Recorded {
    /// The run's length: its wall time, or the last recorded change if later.
    pub fn run_s(&self) -> f64 {
        self.wall_s
            .max(self.outcome.changes.last().map_or(0.0, |c| c.t))
    }
}

pub fn record(job: TimelineJob, options: &RunOptions) -> Result<Recorded> {
    let finished = runner::run(&Job::Timeline(job), options)?;
    match finished.record {
        Some(Record::Measured {
            wall_s,
            data: Measured::Timeline(outcome),
            ..
        }) => Ok(Recorded { wall_s, outcome }),
        Some(Record::Error { message, traceback }) => {
            if let Some(tb) = traceback {
                eprint!("{tb}");
            }
            bail!("{message}");
        }
        _ => bail!(
            "the run ended (exit code {}) before the timeline was recorded",
            finished.exit_code
        ),
    }
}

/// The picture of `[from, from + window]` of the run.
pub fn picture(title: &str, rec: &Recorded, from: f64, window: f64) -> String {
    let o = &rec.outcome;
    let held: Vec<f64> = o
        .gil
        .threads
        .iter()
        .map(|t| t.held_fraction.unwrap_or(0.0))
        .collect();
    timeline_svg::render(&Timeline {
        title,
        threads: &o.threads,
        held_fractions: &held,
        changes: &o.changes,
        run_s: rec.run_s(),
        switch_interval_s: o.switch_interval_s,
        switches: o.gil.switches.unwrap_or(0),
        gil_free_fraction: 1.0 - o.gil.held_fraction.unwrap_or(0.0),
        from,
        to: from + window,
    })
}
