//! Starting the embedded interpreter with gilsim's fix-ups, and describing it.
use crate::embed::{error::python_error, modules};
use crate::measure::maps::mapped_libpython;
use crate::worker::protocol::PythonInfo;
use anyhow::{Context, Result};
use pyo3::prelude::*;

/// The interpreter this binary was built against (recorded by build.rs).
pub const CONFIGURED_PYTHON: &str = env!("GILSIM_CONFIGURED_PYTHON");
pub const CONFIGURED_VERSION: &str = env!("GILSIM_CONFIGURED_VERSION");
pub const CONFIGURED_LIBDIR: &str = env!("GILSIM_CONFIGURED_LIBDIR");
pub const CONFIGURED_LIBNAME: &str = env!("GILSIM_CONFIGURED_LIBNAME");

/// Initializes CPython in this process (once) and applies the fix-ups.
pub fn start() -> Result<()> {
    Python::initialize();
    Python::attach(fix_up).context("preparing the embedded interpreter")
}

fn fix_up(py: Python<'_>) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the gilsim binary")?;
    // The functions Python code calls into gilsim through (thread registry, sampler pauses).
    let host = crate::measure::gil::registry::module(py)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("_gilsim", host)?;
    modules::load(py, "gilsim_fixups")?
        .call_method1(
            "install",
            (exe.to_string_lossy().to_string(), CONFIGURED_PYTHON),
        )
        .map_err(|e| python_error(py, e))?;
    Ok(())
}

/// Describes the running interpreter; `start` must have been called.
pub fn describe() -> Result<PythonInfo> {
    Python::attach(|py| -> Result<PythonInfo> {
        let info = modules::load(py, "gilsim_info")?;
        let libpython = mapped_libpython().map(|p| p.to_string_lossy().to_string());
        let described = info
            .call_method1("describe", (libpython,))
            .and_then(|d| py.import("json")?.call_method1("dumps", (d,)))
            .and_then(|s| s.extract::<String>())
            .map_err(|e| python_error(py, e))?;
        Ok(serde_json::from_str(&described)?)
    })
}
