//! Starting the embedded interpreter with gilsim's fix-ups, and describing it.
use crate::domain::PythonInfo;
use crate::embed::{error::python_error, home, modules};
use crate::measure::maps::mapped_libpython;
use anyhow::{Context, Result};
use pyo3::prelude::*;

pub use crate::install::{
    CONFIGURED_LIBDIR, CONFIGURED_LIBNAME, CONFIGURED_PREFIX, CONFIGURED_PYTHON, CONFIGURED_VERSION,
};

/// Initializes CPython in this process (once) and applies the fix-ups. In the Python package
/// the interpreter is already running: only the fix-ups apply.
pub fn start() -> Result<()> {
    if crate::install::package().is_none() {
        initialize(&home::choose()?)?;
        // A no-op after `initialize`; keeps pyo3's own bookkeeping of the start.
        Python::initialize();
    }
    Python::attach(fix_up).context("preparing the embedded interpreter")
}

/// `Py_InitializeFromConfig` with the configured build's program name and home (see `home`),
/// no signal handlers (the host owns SIGINT/SIGTERM), and the environment's PYTHON* variables.
#[cfg(not(feature = "package"))]
fn initialize(start: &home::Start) -> Result<()> {
    use pyo3::ffi;
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &std::path::Path| {
        CString::new(p.as_os_str().as_bytes()).context("a path with a NUL byte")
    };
    let program = c(&start.program)?;
    let home = start.home.as_deref().map(c).transpose()?;
    // SAFETY: the config is initialised by PyConfig_InitPythonConfig before any field is used,
    // the strings outlive the calls that copy them, and the config is cleared once.
    unsafe {
        if ffi::Py_IsInitialized() != 0 {
            return Ok(());
        }
        let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::uninit();
        ffi::PyConfig_InitPythonConfig(config.as_mut_ptr());
        let mut config = config.assume_init();
        config.install_signal_handlers = 0;
        config.parse_argv = 0;
        let mut status =
            ffi::PyConfig_SetBytesString(&mut config, &mut config.program_name, program.as_ptr());
        if let (Some(home), 0) = (&home, ffi::PyStatus_Exception(status)) {
            status = ffi::PyConfig_SetBytesString(&mut config, &mut config.home, home.as_ptr());
        }
        if ffi::PyStatus_Exception(status) == 0 {
            status = ffi::Py_InitializeFromConfig(&config);
        }
        ffi::PyConfig_Clear(&mut config);
        if ffi::PyStatus_Exception(status) != 0 {
            let message = |p: *const std::ffi::c_char| {
                (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
            };
            let text = [message(status.func), message(status.err_msg)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            anyhow::bail!(
                "CPython {CONFIGURED_VERSION} could not start ({text}); PYTHONHOME={:?}, PYTHONPATH={:?}",
                std::env::var_os("PYTHONHOME").unwrap_or_default(),
                std::env::var_os("PYTHONPATH").unwrap_or_default()
            );
        }
        // Release the GIL taken by initialisation, as pyo3's own start does.
        ffi::PyEval_SaveThread();
    }
    Ok(())
}

/// The package's native module is built for the stable ABI, which has no `PyConfig`: it never
/// starts an interpreter, it is imported by one.
#[cfg(feature = "package")]
fn initialize(_: &home::Start) -> Result<()> {
    anyhow::bail!("the gilsim Python package runs inside Python: use `python -m gilsim`")
}

fn fix_up(py: Python<'_>) -> anyhow::Result<()> {
    // The binary answers multiprocessing's command lines as Python itself (`python_mode`); the
    // package's children run the hosting interpreter, multiprocessing's own default.
    let exe = match crate::install::package() {
        None => Some(
            std::env::current_exe()
                .context("locating the gilsim binary")?
                .to_string_lossy()
                .into_owned(),
        ),
        Some(_) => None,
    };
    // The functions Python code calls into gilsim through (thread registry, sampler pauses).
    let host = crate::measure::gil::host_module::module(py)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("_gilsim", host)?;
    modules::load(py, "gilsim_fixups")?
        .call_method1("install", (exe,))
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
