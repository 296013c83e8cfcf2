//! Scenarios: each turns its options into trials, runs them in worker processes and condenses
//! the measurements into rows and a verdict.
pub mod calibrate;
pub mod convoy;
pub mod countdown;
pub mod host;
pub mod old_gil;
pub mod pool;
pub mod queue;
pub mod share;
pub mod simulate;

use crate::runner::{self, RunError};
use crate::worker::protocol::{Job, Record};
use std::time::Duration;

/// One trial's outcome: its wall time and data, or the error that stopped it.
pub type Outcome = Result<(f64, serde_json::Value), String>;

/// Runs one trial whose worker answers with `Record::Measured`. A trial that fails (a broken
/// pool, a pickling error, a timeout) becomes an error row rather than ending the whole
/// comparison; only an interruption stops everything.
pub fn measure_job(job: &Job, timeout: Duration) -> anyhow::Result<Outcome> {
    match runner::run_quiet(job, timeout) {
        Ok(Record::Measured { wall_s, data, .. }) => Ok(Ok((wall_s, data))),
        Ok(other) => Ok(Err(format!("unexpected answer from the worker: {other:?}"))),
        Err(err @ RunError::Interrupted { .. }) => Err(err.into()),
        Err(err) => Ok(Err(err.to_string())),
    }
}

/// The items in first-seen order, without repeats (`--threads 2,1,2` runs 2 and 1 once each).
pub fn dedup<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}
