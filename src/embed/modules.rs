//! gilsim's own Python code, compiled into the binary so it runs from any directory.
use anyhow::{Context, Result};
use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::ffi::CString;

struct Source {
    name: &'static str,
    file: &'static str,
    code: &'static str,
}

const SOURCES: &[Source] = &[
    Source {
        name: "gilsim_info",
        file: "python/gilsim/info.py",
        code: include_str!("../../python/gilsim/info.py"),
    },
    Source {
        name: "gilsim_threads_seen",
        file: "python/gilsim/threads_seen.py",
        code: include_str!("../../python/gilsim/threads_seen.py"),
    },
    Source {
        name: "gilsim_fixups",
        file: "python/gilsim/fixups.py",
        code: include_str!("../../python/gilsim/fixups.py"),
    },
    Source {
        name: "gilsim_hints",
        file: "python/gilsim/hints.py",
        code: include_str!("../../python/gilsim/hints.py"),
    },
    Source {
        name: "gilsim_countdown",
        file: "python/scenarios/countdown.py",
        code: include_str!("../../python/scenarios/countdown.py"),
    },
];

/// Imports one of gilsim's embedded modules (once per process; later calls reuse it).
pub fn load<'py>(py: Python<'py>, name: &str) -> Result<Bound<'py, PyModule>> {
    let sys_modules = py.import("sys")?.getattr("modules")?;
    if let Ok(existing) = sys_modules.get_item(name) {
        return Ok(existing.cast_into::<PyModule>().map_err(PyErr::from)?);
    }
    let source = SOURCES
        .iter()
        .find(|s| s.name == name)
        .with_context(|| format!("no embedded Python module named {name}"))?;
    let module = PyModule::from_code(
        py,
        &CString::new(source.code)?,
        &CString::new(source.file)?,
        &CString::new(source.name)?,
    )
    .map_err(|e| crate::embed::error::python_error(py, e))
    .with_context(|| format!("loading embedded module {}", source.file))?;
    Ok(module)
}
