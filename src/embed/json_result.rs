//! Python results handed to Rust as JSON: scenario functions return plain dicts and lists,
//! which `json.dumps` turns into text serde reads into the scenario's own types.
use crate::embed::error::PythonError;
use pyo3::prelude::*;

/// `json.dumps(value)` for a call's result, a Python exception kept with its traceback.
pub fn to_json(py: Python<'_>, value: PyResult<Bound<'_, PyAny>>) -> Result<String, PythonError> {
    value
        .and_then(|r| py.import("json")?.call_method1("dumps", (r,)))
        .and_then(|s| s.extract::<String>())
        .map_err(|e| crate::embed::error::python_error(py, e))
}
