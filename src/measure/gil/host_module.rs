//! The `_gilsim` module: what Python code in gilsim's interpreter calls to tell the GIL
//! instruments about its threads and forks.
use super::{registry, sampler};
use pyo3::prelude::*;

/// The `_gilsim` module Python code calls into.
pub fn module(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyModule>> {
    let m = pyo3::types::PyModule::new(py, "_gilsim")?;
    m.add_function(wrap_pyfunction!(registry::register_thread, &m)?)?;
    m.add_function(wrap_pyfunction!(registry::thread_done, &m)?)?;
    m.add_function(wrap_pyfunction!(sampler::pause, &m)?)?;
    m.add_function(wrap_pyfunction!(sampler::resume, &m)?)?;
    Ok(m)
}
