//! `gilsim doctor`: which interpreter is embedded, and whether its pieces agree.
use crate::embed::interpreter::{
    CONFIGURED_LIBDIR, CONFIGURED_LIBNAME, CONFIGURED_PYTHON, CONFIGURED_VERSION,
};
use crate::scenario::host;
use crate::worker::protocol::PythonInfo;
use anyhow::{Context, Result};
use std::time::Duration;

pub fn run() -> Result<i32> {
    let info =
        host::python_info(Duration::from_secs(60)).context("starting the embedded interpreter")?;
    let rows = [
        ("embedded sys.version", info.sys_version.replace('\n', " ")),
        ("implementation", info.implementation.clone()),
        ("sys.prefix", info.prefix.clone()),
        ("sys.executable", info.executable.clone()),
        ("standard library", info.stdlib_dir.clone()),
        ("libpython (mapped)", info.libpython.clone().unwrap_or_else(|| "none found in /proc/self/maps".into())),
        ("libpython (stdlib's)", info.stdlib_libpython.clone().unwrap_or_else(|| "unknown".into())),
        (
            "configured at build",
            format!("{CONFIGURED_VERSION} ({CONFIGURED_PYTHON}; lib{CONFIGURED_LIBNAME} in {CONFIGURED_LIBDIR})"),
        ),
        ("CPUs", info.cpu_count.to_string()),
        (
            "start methods",
            format!("{} (default {})", info.start_methods.join(", "), info.default_start_method),
        ),
        ("switch interval", format!("{} s", info.switch_interval_s)),
        ("GIL", if info.gil_enabled { "enabled".into() } else { "disabled (free-threaded)".into() }),
    ];
    for (name, value) in rows {
        println!("{name:<22} {value}");
    }
    let problems = problems(&info);
    if problems.is_empty() {
        println!("{:<22} ok: one consistent interpreter", "check");
        return Ok(0);
    }
    for problem in &problems {
        eprintln!("gilsim doctor: {problem}");
    }
    Ok(1)
}

/// Disagreements between the library that was loaded, the standard library and the build.
pub fn problems(info: &PythonInfo) -> Vec<String> {
    let mut out = Vec::new();
    if info.version != CONFIGURED_VERSION {
        out.push(format!(
            "the embedded interpreter is {} but gilsim was built against {CONFIGURED_VERSION}; rebuild (cargo build) or point PYO3_PYTHON at the interpreter you want",
            info.version
        ));
    }
    match (&info.libpython, &info.stdlib_libpython) {
        (None, _) => out.push("no libpython is mapped into the process; gilsim needs a CPython built with --enable-shared".into()),
        (Some(mapped), Some(expected)) if mapped != expected => out.push(format!(
            "the loaded libpython {mapped} is not the one the standard library in {} belongs to ({expected}): library and standard library may be different versions",
            info.stdlib_dir
        )),
        _ => {}
    }
    out
}
