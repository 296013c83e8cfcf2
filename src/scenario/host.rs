//! The interpreter a scenario's Python trials will run on, asked of a fresh worker.
use crate::domain::PythonInfo;
use crate::protocol::{Job, Record};
use crate::runner::{RunError, Runner, Workers};
use std::time::Duration;

pub fn python_info(timeout: Duration) -> Result<PythonInfo, RunError> {
    python_info_on(&Workers, timeout)
}

/// The interpreter as `runner`'s workers describe it.
pub fn python_info_on(runner: &dyn Runner, timeout: Duration) -> Result<PythonInfo, RunError> {
    match runner.run_quiet(&Job::Info, timeout)? {
        Record::Info(info) => Ok(info),
        other => Err(RunError::Crashed {
            detail: format!("answered an info request with {other:?}"),
        }),
    }
}
