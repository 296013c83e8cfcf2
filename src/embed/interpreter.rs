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
    Python::attach(|py| fix_up(py).map_err(|e| python_error(py, e)))
        .context("preparing the embedded interpreter")
}

fn fix_up(py: Python<'_>) -> PyResult<()> {
    let sys = py.import("sys")?;
    // Embedded on Linux, sys.executable is whatever `python3` comes first on PATH, maybe another
    // version (embedding.md rule 4). Scripts that run `sys.executable` get the configured one.
    if std::path::Path::new(CONFIGURED_PYTHON).is_file() {
        sys.setattr("executable", CONFIGURED_PYTHON)?;
    }
    // spawn, forkserver and the resource tracker re-execute spawn.get_executable(); the gilsim
    // binary answers those command lines as Python itself (python_mode), so every child runs
    // exactly this libpython.
    if let Ok(exe) = std::env::current_exe() {
        py.import("multiprocessing")?
            .call_method1("set_executable", (exe.to_string_lossy().to_string(),))?;
    }
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
