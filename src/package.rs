//! The Python package's native module, `gilsim._native`: the console script `gilsim` and
//! `python -m gilsim` call `main` with their arguments, inside the interpreter that imported
//! it. That interpreter is the one gilsim measures, as the embedded one is in the binary.
use pyo3::prelude::*;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// Runs gilsim's command line (`argv[0]` is the program's name) and returns its exit code.
/// The GIL is released throughout: gilsim's own threads and workers take it as they need it.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<OsString>) -> PyResult<i32> {
    let sys = py.import("sys")?;
    let package = crate::install::Package {
        python: sys.getattr("executable")?.extract::<PathBuf>()?,
        // What `platform.python_version()` returns, without importing `platform`.
        version: sys
            .getattr("version")?
            .extract::<String>()?
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
        prefix: sys.getattr("base_prefix")?.extract::<PathBuf>()?,
        location: py
            .import("gilsim")?
            .getattr("__file__")?
            .extract::<PathBuf>()?
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default(),
    };
    crate::install::enter_package(package);
    let code = py.detach(|| crate::entry::main(argv));
    let _ = std::io::stdout().flush();
    Ok(code)
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
