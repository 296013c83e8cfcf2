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

/// A call's result read as `T`: a Python exception keeps its traceback, and a dict that does
/// not match `T` (a missing or misspelt key) is an error naming the field.
pub fn typed<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    value: PyResult<Bound<'_, PyAny>>,
) -> anyhow::Result<T> {
    let json = to_json(py, value)?;
    serde_json::from_str(&json).map_err(|e| {
        anyhow::anyhow!(
            "the scenario returned {json}, which does not match {}: {e}",
            std::any::type_name::<T>()
        )
    })
}
