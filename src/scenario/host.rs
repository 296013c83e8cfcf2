//! The interpreter a scenario's Python trials will run on, asked of a fresh worker.
use crate::domain::{ExternalPython, PythonInfo};
use crate::protocol::{Job, Record};
use crate::runner::{RunError, Runner, Workers};
use std::time::Duration;

pub fn python_info(timeout: Duration) -> Result<PythonInfo, RunError> {
    python_info_on(&Workers, None, timeout)
}

/// How progress lines and errors name the interpreter a scenario starts.
pub fn interpreter_name(python: Option<&ExternalPython>) -> String {
    match python {
        Some(p) => format!("Python {} ({})", p.label(), p.path),
        None => "the embedded interpreter".into(),
    }
}

/// The interpreter as `runner`'s workers describe it: the embedded one, or `python`.
pub fn python_info_on(
    runner: &dyn Runner,
    python: Option<&ExternalPython>,
    timeout: Duration,
) -> Result<PythonInfo, RunError> {
    match runner.run_quiet(
        &Job::Info {
            python: python.cloned(),
        },
        timeout,
    )? {
        Record::Info(info) => Ok(info),
        other => Err(RunError::Crashed {
            detail: format!("answered an info request with {other:?}"),
        }),
    }
}
