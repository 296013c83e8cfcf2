//! Python exceptions as Rust errors that keep the traceback text.
use pyo3::prelude::*;
use thiserror::Error;

#[derive(Debug, Error)]
#[error("{message}")]
pub struct PythonError {
    /// `Type: message`, the last line of the traceback.
    pub message: String,
    /// The full formatted traceback.
    pub traceback: String,
}

/// Formats `err` the way the interpreter would print it.
pub fn python_error(py: Python<'_>, err: PyErr) -> PythonError {
    let message = err.to_string();
    let traceback = py
        .import("traceback")
        .and_then(|tb| {
            tb.call_method1(
                "format_exception",
                (err.get_type(py), err.value(py), err.traceback(py)),
            )
        })
        .and_then(|lines| lines.extract::<Vec<String>>())
        .map(|lines| lines.concat())
        .unwrap_or_else(|_| format!("{message}\n"));
    PythonError { message, traceback }
}
