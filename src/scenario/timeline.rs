//! A run with every GIL state change recorded (a script or the countdown, in a worker), and
//! its Beazley-style picture: used by `gilsim timeline` and the switch-interval lab.
use crate::domain::TimelineOutcome;
use crate::protocol::{Job, Measured, Record, ScriptJob, TimelineJob};
use crate::report::timeline_svg::{self, Timeline};
use crate::report::units::seconds;
use crate::runner::{self, RunOptions, Streams};
use crate::scenario::spec::TimelineSpec;
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

/// Runs the spec's script (on the terminal's streams) or countdown (quietly) and records it.
pub fn run(spec: &TimelineSpec) -> Result<Recorded> {
    let job = TimelineJob {
        script: spec.script.as_ref().map(|(path, args)| ScriptJob {
            path: path.to_string_lossy().into_owned(),
            args: args.clone(),
            interactive: false,
            start_method: None,
        }),
        threads: spec.threads,
        count: spec.count,
        switch_interval_s: spec.switch_interval,
        python: spec.python.clone(),
    };
    let options = RunOptions {
        timeout: Some(spec.timeout),
        streams: if spec.script.is_some() {
            Streams::Inherit
        } else {
            Streams::Quiet
        },
    };
    record(job, &options)
}

/// The part of the run the picture shows, `(from, window)`: the spec's window (at most the
/// run) starting at `--at`, or in the middle of the run; `--at` past the end is a usage error.
pub fn window(spec: &TimelineSpec, run_s: f64) -> Result<(f64, f64)> {
    let window = spec.window.min(run_s.max(1e-6));
    if let Some(at) = spec.at.filter(|at| *at >= run_s) {
        crate::usage_bail!(
            "--at {at} is past the end of the run, which lasted {}: give a time below that",
            seconds(run_s)
        );
    }
    let from = spec
        .at
        .unwrap_or(((run_s - window) / 2.0).max(0.0))
        .min((run_s - window).max(0.0));
    Ok((from, window))
}

fn record(job: TimelineJob, options: &RunOptions) -> Result<Recorded> {
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
