//! gilsim's own Python code, compiled into the binary so it runs from any directory.
//!
//! The sources are written once (per content) into a cache directory that goes on `sys.path`,
//! and imported normally: children started with `spawn` or `forkserver` inherit `sys.path` and
//! must be able to import the scenario modules to unpickle their functions.
use crate::embed::error::python_error;
use crate::files::write_atomically;
use anyhow::{Context, Result};
use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

struct Source {
    name: &'static str,
    code: &'static str,
}

macro_rules! sources {
    ($($name:literal => $path:literal),* $(,)?) => {
        &[$(Source { name: $name, code: include_str!(concat!("../../python/", $path)) }),*]
    };
}

const SOURCES: &[Source] = sources! {
    "gilsim_info" => "gilsim/info.py",
    "gilsim_fixups" => "gilsim/fixups.py",
    "gilsim_hints" => "gilsim/hints.py",
    "gilsim_threads_seen" => "gilsim/threads_seen.py",
    "gilsim_countdown" => "scenarios/countdown.py",
    "gilsim_pool" => "scenarios/pool.py",
    "gilsim_queue" => "scenarios/queue.py",
    "gilsim_share" => "scenarios/share.py",
    "gilsim_convoy" => "scenarios/convoy.py",
    "gilsim_segments" => "scenarios/segments.py",
};

/// Imports one of gilsim's embedded modules.
pub fn load<'py>(py: Python<'py>, name: &str) -> Result<Bound<'py, PyModule>> {
    if !SOURCES.iter().any(|s| s.name == name) {
        anyhow::bail!("no embedded Python module named {name}");
    }
    let dir = directory()?;
    let sys_path = py.import("sys")?.getattr("path")?;
    let dir_text = dir.to_string_lossy().to_string();
    if !sys_path.contains(&dir_text)? {
        sys_path.call_method1("insert", (0, &dir_text))?;
    }
    py.import(name)
        .map_err(|e| python_error(py, e))
        .with_context(|| format!("importing gilsim's module {name} from {dir_text}"))
}

/// The directory holding this build's sources, written on first use.
pub fn directory() -> Result<&'static Path> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    if let Some(dir) = DIR.get() {
        return Ok(dir);
    }
    let dir = crate::paths::cache_dir()?.join(format!("python-{:016x}", fingerprint()));
    for source in SOURCES {
        let path = dir.join(format!("{}.py", source.name));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(source.code) {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("creating gilsim's module cache {}", dir.display()))?;
            // Another gilsim may write the same file at once: whole files only.
            write_atomically(&path, source.code)?;
        }
    }
    Ok(DIR.get_or_init(|| dir))
}

/// FNV-1a over every source: a new build with changed Python gets a new directory.
fn fingerprint() -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for source in SOURCES {
        for byte in source.name.bytes().chain(source.code.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
