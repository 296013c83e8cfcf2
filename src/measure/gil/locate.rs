//! Finding the interpreter's `_gil_runtime_state`: through `_Py_DebugOffsets` where the
//! interpreter publishes them (3.13+: the first field of `_PyRuntime`, cookie `xdebugpy`, with
//! the offsets of the main interpreter's GIL and of its `locked` and `last_holder`), otherwise
//! by calibration. Either way the result is confirmed the same way before it is used.
//!
//! Each version's `_Py_DebugOffsets` layout is chosen by the version the header itself names
//! (`measure::layout`); a version without a known layout is calibrated, and the figures say so.
//!
//! Calibration sets distinctive switch intervals and keeps the one word that follows them, then
//! confirms it: `last_holder` must be the calibrating thread's state and `locked` must read 1
//! while it holds the GIL and 0 once it lets go. Anything less and the figures say
//! "unavailable" with the reason; nothing is guessed.
use crate::measure::layout::{gil_state, Reading};
use crate::measure::memory::{debug_header, gil_reading, Local, Memory};
use pyo3::prelude::*;

/// How far past `_PyRuntime` to look (its size grows across versions; 3.13's is ~200 KiB).
const SCAN_LIMIT: usize = 8 << 20;

/// The address of a confirmed `_gil_runtime_state`, and how it was found.
#[derive(Clone, Copy, Debug)]
pub struct GilState {
    base: usize,
    /// `debug-offsets` or `calibrated`: the `source` of every figure read from it.
    pub source: &'static str,
    /// Why it was found the way it was, when that needs saying.
    pub note: Option<&'static str>,
}

impl GilState {
    /// Reads the fields. They change under our feet; each is read once, whole.
    pub fn read(&self) -> Reading {
        // `base` was found inside a readable mapping of libpython's data and confirmed to be
        // the GIL state, which lives as long as the process.
        let Ok(reading) = gil_reading(&Local, self.base);
        reading
    }

    fn at(base: usize) -> GilState {
        GilState {
            base,
            source: "calibrated",
            note: None,
        }
    }

    fn interval_word(&self) -> u64 {
        self.read().interval_us
    }
}

/// Finds and confirms the GIL state. Call attached, from the thread that initialized Python,
/// before other Python threads start (so `locked` can be seen to drop to 0).
pub fn find(py: Python<'_>) -> Result<GilState, String> {
    if cfg!(not(target_pointer_width = "64")) {
        return Err("GIL discovery is implemented for 64-bit builds only".into());
    }
    let gil_check = py.import("sys").and_then(|s| s.getattr("_is_gil_enabled"));
    if let Ok(check) = gil_check {
        if !check
            .call0()
            .and_then(|v| v.extract::<bool>())
            .unwrap_or(true)
        {
            return Err("this interpreter runs without a GIL (free-threaded build)".into());
        }
    }
    let runtime = runtime_address()?;
    let note = match from_debug_offsets(py, runtime) {
        DebugOffsets::Found(found) => return found,
        DebugOffsets::Absent => None,
        DebugOffsets::UnknownLayout => Some(
            "_Py_DebugOffsets has a layout gilsim does not know for this CPython version; \
             the GIL state was found by calibration instead",
        ),
    };
    let (start, end) = readable_range(runtime)
        .ok_or_else(|| "the memory around _PyRuntime is not readable".to_string())?;
    let end = end.min(runtime + SCAN_LIMIT);
    let sys = py.import("sys").map_err(|e| e.to_string())?;
    let original: f64 = sys
        .call_method0("getswitchinterval")
        .and_then(|v| v.extract())
        .map_err(|e| e.to_string())?;
    // Returns the value CPython stored, in its own unit (µs), as it reads it back.
    let set = |seconds: f64| -> Result<u64, String> {
        sys.call_method1("setswitchinterval", (seconds,))
            .and_then(|_| sys.call_method0("getswitchinterval"))
            .and_then(|v| v.extract::<f64>())
            .map(|s| (s * 1e6).round() as u64)
            .map_err(|e| e.to_string())
    };
    let first = set(0.012_345_7)?;
    let mut candidates: Vec<usize> = (start.max(runtime)
        ..end.saturating_sub(gil_state::WORDS_BYTES))
        .step_by(8)
        .filter(|&a| Local.read_u64(a) == Ok(first))
        .collect();
    let second = set(0.065_432_1)?;
    candidates.retain(|&a| GilState::at(a).interval_word() == second);
    let restored = set(original)?;
    candidates.retain(|&a| GilState::at(a).interval_word() == restored);
    // SAFETY: we are attached, so this thread has a current thread state.
    let me = unsafe { pyo3::ffi::PyThreadState_Get() } as usize;
    candidates.retain(|&a| {
        let r = GilState::at(a).read();
        r.locked && r.last_holder == me
    });
    let [base] = candidates[..] else {
        return Err(format!(
            "calibration found {} candidate GIL states in _PyRuntime, expected exactly one",
            candidates.len()
        ));
    };
    confirm(
        py,
        GilState {
            note,
            ..GilState::at(base)
        },
    )
}

/// `locked` reads 1 with `last_holder` = this thread's state while it holds the GIL, and 0
/// while it lets go.
fn confirm(py: Python<'_>, state: GilState) -> Result<GilState, String> {
    // SAFETY: we are attached, so this thread has a current thread state.
    let me = unsafe { pyo3::ffi::PyThreadState_Get() } as usize;
    let held = state.read();
    if !held.locked || held.last_holder != me {
        return Err("the GIL state did not show the GIL held by the calibrating thread".into());
    }
    let released = py.detach(|| state.read());
    if released.locked {
        return Err("the GIL state did not show the GIL released while this thread let go".into());
    }
    Ok(state)
}

/// What `_Py_DebugOffsets` said.
enum DebugOffsets {
    /// No header (before 3.13): calibrate.
    Absent,
    /// A header whose version this reader has no layout for: calibrate, and say so.
    UnknownLayout,
    /// The GIL state it points to, confirmed or not.
    Found(Result<GilState, String>),
}

/// The GIL through `_Py_DebugOffsets` (3.13+), with the layout of the header's own version.
fn from_debug_offsets(py: Python<'_>, runtime: usize) -> DebugOffsets {
    if py.version_info() < (3, 13) {
        return DebugOffsets::Absent;
    }
    // `_PyRuntime` is a static of libpython far larger than the header read here.
    let Ok(header) = debug_header(&Local, runtime);
    let Some(header) = header else {
        return DebugOffsets::Absent;
    };
    let Ok(offsets) = header.gil else {
        return DebugOffsets::UnknownLayout;
    };
    // SAFETY: attached; the main interpreter lives as long as the process.
    #[cfg(not(feature = "package"))]
    let interp = unsafe { pyo3::ffi::PyInterpreterState_Main() } as usize;
    // The stable ABI has no `PyInterpreterState_Main`; `find` runs in the main interpreter, so
    // the current one is the main one.
    // SAFETY: attached, so there is a current interpreter.
    #[cfg(feature = "package")]
    let interp = unsafe { pyo3::ffi::PyInterpreterState_Get() } as usize;
    // The GIL in use is the one `ceval.gil` points to (the interpreter's own `_gil` unless it
    // shares the main one).
    // `ceval_gil` is a field offset inside the interpreter state, which lives as long as the
    // process.
    let Ok(base) = Local
        .read_u64(interp + offsets.ceval_gil)
        .map(|b| b as usize);
    if base == 0 {
        return DebugOffsets::Found(Err(
            "_Py_DebugOffsets: the interpreter has no GIL pointer".into()
        ));
    }
    if base != interp + offsets.start {
        return DebugOffsets::Found(Err(
            "_Py_DebugOffsets: the GIL in use is not the interpreter's own".into(),
        ));
    }
    let state = GilState {
        base: interp + offsets.state,
        source: "debug-offsets",
        note: None,
    };
    let interval_us = py
        .import("sys")
        .and_then(|s| s.call_method0("getswitchinterval"))
        .and_then(|v| v.extract::<f64>())
        .map(|s| (s * 1e6).round() as u64);
    if interval_us.ok() != Some(state.interval_word()) {
        return DebugOffsets::Found(Err(
            "_Py_DebugOffsets: the GIL's interval word does not match sys.getswitchinterval()"
                .into(),
        ));
    }
    DebugOffsets::Found(confirm(py, state))
}

fn runtime_address() -> Result<usize, String> {
    // SAFETY: dlsym with a NUL-terminated name; RTLD_DEFAULT searches every loaded object.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"_PyRuntime".as_ptr()) };
    if address.is_null() {
        return Err("libpython exports no _PyRuntime symbol".into());
    }
    Ok(address as usize)
}

/// The readable mapping holding `address`, extended over the mappings right after it that
/// belong to the same file or to no file (libpython's .bss). Never into another file's
/// mapping: reading past the end of a mapped file raises SIGBUS.
fn readable_range(address: usize) -> Option<(usize, usize)> {
    use procfs::process::{MMPermissions, MMapPath, Process};
    let maps = Process::myself().and_then(|me| me.maps()).ok()?;
    // (start, end, readable, what backs it: a file's path, "" for none, else its kind).
    let regions: Vec<(usize, usize, bool, String)> = maps
        .into_iter()
        .map(|map| {
            let backing = match map.pathname {
                MMapPath::Path(path) => path.display().to_string(),
                MMapPath::Anonymous => String::new(),
                other => format!("{other:?}"),
            };
            let (lo, hi) = map.address;
            let readable = map.perms.contains(MMPermissions::READ);
            (lo as usize, hi as usize, readable, backing)
        })
        .collect();
    let index = regions
        .iter()
        .position(|(lo, hi, readable, _)| *readable && *lo <= address && address < *hi)?;
    let (start, mut end, _, ref file) = regions[index];
    for (lo, hi, readable, path) in &regions[index + 1..] {
        if *lo != end || !readable || !(path.is_empty() || path == file) {
            break;
        }
        end = *hi;
    }
    Some((start, end))
}
