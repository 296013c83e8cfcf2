//! The parent side of a trial: start a worker in its own process group, read its record,
//! enforce the timeout, and kill the whole group on timeout, error or Ctrl-C.
pub mod external;
pub mod reaper;
pub mod rounds;
pub mod signals;
mod worker_process;

use crate::protocol::{Job, Record};
use std::time::Duration;
use thiserror::Error;

pub use worker_process::run;

/// How the worker's standard streams are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Streams {
    /// stdin from /dev/null, output discarded: measured trials.
    Quiet,
    /// The parent's own streams; on a terminal the worker becomes the foreground job so the
    /// script can read input and Ctrl-C reaches it as KeyboardInterrupt.
    Inherit,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub timeout: Option<Duration>,
    pub streams: Streams,
}

/// The worker ended on its own.
#[derive(Debug)]
pub struct Finished {
    /// None when the worker exited without writing one (e.g. the script called `os._exit`).
    pub record: Option<Record>,
    pub exit_code: i32,
    /// For a quiet worker: "; its stderr ended with:\n…" (its last lines), or "".
    pub stderr_tail: String,
}

#[derive(Debug, Error)]
pub enum RunError {
    #[error(
        "timed out after {seconds} s (--timeout {seconds}); killed the worker's process group"
    )]
    Timeout { seconds: f64 },
    #[error("interrupted by signal {signal}; killed the worker's process group")]
    Interrupted { signal: i32 },
    #[error("could not start a worker process: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("{message}")]
    Python {
        message: String,
        traceback: Option<String>,
    },
    #[error("the worker process {detail}")]
    Crashed { detail: String },
}

impl RunError {
    /// The exit code gilsim uses for this failure (timeout 124 as in coreutils' `timeout`).
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Timeout { .. } => 124,
            RunError::Interrupted { signal } => 128 + signal,
            _ => 1,
        }
    }
}

/// Where scenarios' trials run: `Workers` (fresh worker processes) everywhere but in unit
/// tests, which hand scenarios records given in advance so that rows and verdicts are tested
/// without Python.
pub trait Runner {
    /// One job's record (see `run_quiet`).
    fn run_quiet(&self, job: &Job, timeout: Duration) -> Result<Record, RunError>;

    /// The window over which the machine's other load is measured around a trial.
    fn load_window(&self) -> Option<crate::measure::load::LoadWindow> {
        crate::measure::load::LoadWindow::open()
    }
}

/// Each job in a fresh worker process.
pub struct Workers;

impl Runner for Workers {
    fn run_quiet(&self, job: &Job, timeout: Duration) -> Result<Record, RunError> {
        run_quiet(job, timeout)
    }
}

/// Records given in advance, one answer per job (an interpreter described with defaults), with
/// no load measured.
#[cfg(test)]
pub struct Canned<F: Fn(&Job) -> Record>(pub F);

#[cfg(test)]
impl<F: Fn(&Job) -> Record> Runner for Canned<F> {
    fn run_quiet(&self, job: &Job, _timeout: Duration) -> Result<Record, RunError> {
        if let Job::Info { .. } = job {
            return Ok(Record::Info(Default::default()));
        }
        match (self.0)(job) {
            Record::Error { message, traceback } => Err(RunError::Python { message, traceback }),
            record => Ok(record),
        }
    }

    fn load_window(&self) -> Option<crate::measure::load::LoadWindow> {
        None
    }
}

/// Runs `job` quietly and returns its record, turning a worker-side error into `RunError`.
pub fn run_quiet(job: &Job, timeout: Duration) -> Result<Record, RunError> {
    let finished = run(
        job,
        &RunOptions {
            timeout: Some(timeout),
            streams: Streams::Quiet,
        },
    )?;
    match finished.record {
        // A traceback already says what Python said; otherwise the worker's stderr may.
        Some(Record::Error {
            message,
            traceback: None,
        }) => Err(RunError::Python {
            message: message + &finished.stderr_tail,
            traceback: None,
        }),
        Some(Record::Error { message, traceback }) => Err(RunError::Python { message, traceback }),
        Some(record) => Ok(record),
        None => Err(RunError::Crashed {
            detail: format!(
                "exited with code {} without a record{}",
                finished.exit_code, finished.stderr_tail
            ),
        }),
    }
}
