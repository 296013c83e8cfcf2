//! Finding the interpreter's `_gil_runtime_state`: through `_Py_DebugOffsets` where the
//! interpreter publishes them (3.13+: the first field of `_PyRuntime`, cookie `xdebugpy`, with
//! the offsets of the main interpreter's GIL and of its `locked` and `last_holder`), otherwise
//! by calibration. Either way the result is confirmed the same way before it is used.
//!
//! Each version's `_Py_DebugOffsets` layout is chosen by the version the header itself names
//! (`debug_layout`); a version without a known layout is calibrated, and the figures say so.
//!
//! Its fields lead with `unsigned long interval` (µs), `PyThreadState *last_holder`,
//! `int locked`, `unsigned long switch_number` in every CPython from 3.8 to 3.13 (a
//! free-threaded build puts an `int enabled` first, which keeps the same relative offsets on
//! 64-bit). The struct lives inside the exported `_PyRuntime` (3.8-3.11 as
//! `_PyRuntime.ceval.gil`; 3.12+ in the main interpreter's state, itself inside `_PyRuntime`).
//! Calibration sets distinctive switch intervals and keeps the one word that follows them, then
//! confirms it: `last_holder` must be the calibrating thread's state and `locked` must read 1
//! while it holds the GIL and 0 once it lets go. Anything less and the figures say
//! "unavailable" with the reason; nothing is guessed.
use pyo3::prelude::*;

const LAST_HOLDER: usize = 8;
const LOCKED: usize = 16;
const SWITCH_NUMBER: usize = 24;
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

/// One reading of the GIL's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub locked: bool,
    pub last_holder: usize,
    pub switch_number: u64,
}

impl GilState {
    /// Reads the fields. They change under our feet; each is read once, atomically sized.
    pub fn read(&self) -> Reading {
        // SAFETY: `base` was found inside a readable mapping of libpython's data and
        // confirmed to be the GIL state, which lives as long as the process.
        unsafe {
            Reading {
                locked: std::ptr::read_volatile((self.base + LOCKED) as *const i32) == 1,
                last_holder: std::ptr::read_volatile((self.base + LAST_HOLDER) as *const usize),
                switch_number: std::ptr::read_volatile((self.base + SWITCH_NUMBER) as *const u64),
            }
        }
    }

    fn at(base: usize) -> GilState {
        GilState {
            base,
            source: "calibrated",
            note: None,
        }
    }

    fn interval_word(&self) -> u64 {
        // SAFETY: as in `read`.
        unsafe { std::ptr::read_volatile(self.base as *const u64) }
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
    let mut candidates: Vec<usize> = (start.max(runtime)..end.saturating_sub(SWITCH_NUMBER + 8))
        .step_by(8)
        .filter(|&a| unsafe { std::ptr::read_volatile(a as *const u64) } == first)
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

/// Where `_Py_DebugOffsets` keeps the GIL's offsets: indices of 8-byte words from the start of
/// the header, by CPython version (`Include/internal/pycore_debug_offsets.h` of each). The
/// header is cookie, version, free_threaded, runtime_state {size, finalizing,
/// interpreters_head}, then interpreter_state {size, id, next, threads_head, [3.14+:
/// threads_main,] gc, imports_modules, sysdict, builtins, ceval_gil, gil_runtime_state,
/// gil_runtime_state_enabled, gil_runtime_state_locked, gil_runtime_state_holder, …}.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DebugLayout {
    pub(crate) ceval_gil: usize,
    pub(crate) gil: usize,
    pub(crate) locked: usize,
    pub(crate) holder: usize,
}

pub(crate) fn debug_layout(version: (u8, u8)) -> Option<DebugLayout> {
    match version {
        (3, 13) => Some(DebugLayout {
            ceval_gil: 14,
            gil: 15,
            locked: 17,
            holder: 18,
        }),
        // 3.14 inserted `threads_main` after `threads_head`; 3.15 keeps 3.14's order.
        (3, 14) | (3, 15) => Some(DebugLayout {
            ceval_gil: 15,
            gil: 16,
            locked: 18,
            holder: 19,
        }),
        _ => None,
    }
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
    // SAFETY: `_PyRuntime` is a static of libpython far larger than the header read here; on
    // 3.13+ its first field is `_Py_DebugOffsets`.
    let word = |i: usize| unsafe { std::ptr::read_volatile((runtime + 8 * i) as *const u64) };
    let cookie = unsafe { std::slice::from_raw_parts(runtime as *const u8, 8) };
    if cookie != b"xdebugpy" {
        return DebugOffsets::Absent;
    }
    // PY_VERSION_HEX: major in the top byte, minor in the next.
    let hex = word(1);
    let Some(layout) = debug_layout(((hex >> 24) as u8, (hex >> 16) as u8)) else {
        return DebugOffsets::UnknownLayout;
    };
    let (ceval_gil, gil, locked, holder) = (
        word(layout.ceval_gil),
        word(layout.gil),
        word(layout.locked),
        word(layout.holder),
    );
    if locked.checked_sub(gil) != Some(LOCKED as u64)
        || holder.checked_sub(gil) != Some(LAST_HOLDER as u64)
    {
        return DebugOffsets::UnknownLayout;
    }
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
    // SAFETY: `ceval_gil` is a field offset inside the interpreter state.
    let base = unsafe { std::ptr::read_volatile((interp + ceval_gil as usize) as *const usize) };
    if base == 0 {
        return DebugOffsets::Found(Err(
            "_Py_DebugOffsets: the interpreter has no GIL pointer".into()
        ));
    }
    if base != interp + gil as usize {
        return DebugOffsets::Found(Err(
            "_Py_DebugOffsets: the GIL in use is not the interpreter's own".into(),
        ));
    }
    let state = GilState {
        base,
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
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let regions: Vec<(usize, usize, bool, String)> = maps
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (range, perms) = (parts.next()?, parts.next()?);
            let path = parts.nth(3).unwrap_or("").to_string();
            let (lo, hi) = range.split_once('-')?;
            Some((
                usize::from_str_radix(lo, 16).ok()?,
                usize::from_str_radix(hi, 16).ok()?,
                perms.starts_with('r'),
                path,
            ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_offsets_layout_follows_the_version() {
        let l13 = debug_layout((3, 13)).unwrap();
        let l14 = debug_layout((3, 14)).unwrap();
        // 3.14's `threads_main` moves every GIL field one word on.
        assert_eq!(
            (l13.ceval_gil, l13.gil, l13.locked, l13.holder),
            (14, 15, 17, 18)
        );
        assert_eq!(
            (l14.ceval_gil, l14.gil, l14.locked, l14.holder),
            (15, 16, 18, 19)
        );
        assert_eq!(debug_layout((3, 15)), Some(l14));
        assert_eq!(debug_layout((3, 12)), None);
        assert_eq!(debug_layout((3, 16)), None);
    }
}
