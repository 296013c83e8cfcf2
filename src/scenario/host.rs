//! The interpreter a scenario's Python trials will run on, asked of a fresh worker.
use crate::domain::PythonInfo;
use crate::protocol::{Job, Record};
use crate::runner::{self, RunError};
use std::time::Duration;

pub fn python_info(timeout: Duration) -> Result<PythonInfo, RunError> {
    match runner::run_quiet(&Job::Info, timeout)? {
        Record::Info(info) => Ok(info),
        other => Err(RunError::Crashed {
            detail: format!("answered an info request with {other:?}"),
        }),
    }
}
