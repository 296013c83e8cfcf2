//! Finding the interpreter's `_gil_runtime_state` by calibration.
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

/// The address of a confirmed `_gil_runtime_state`.
#[derive(Clone, Copy, Debug)]
pub struct GilState {
    base: usize,
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

    fn interval_word(&self) -> u64 {
        // SAFETY: as in `read`.
        unsafe { std::ptr::read_volatile(self.base as *const u64) }
    }
}

/// Finds and confirms the GIL state. Call attached, from the thread that initialized Python,
/// before other Python threads start (so `locked` can be seen to drop to 0).
pub fn calibrate(py: Python<'_>) -> Result<GilState, String> {
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
    candidates.retain(|&a| GilState { base: a }.interval_word() == second);
    let restored = set(original)?;
    candidates.retain(|&a| GilState { base: a }.interval_word() == restored);
    // SAFETY: we are attached, so this thread has a current thread state.
    let me = unsafe { pyo3::ffi::PyThreadState_Get() } as usize;
    candidates.retain(|&a| {
        let r = GilState { base: a }.read();
        r.locked && r.last_holder == me
    });
    let [base] = candidates[..] else {
        return Err(format!(
            "calibration found {} candidate GIL states in _PyRuntime, expected exactly one",
            candidates.len()
        ));
    };
    let state = GilState { base };
    let released = py.detach(|| state.read());
    if released.locked {
        return Err("the GIL state did not show the GIL released while this thread let go".into());
    }
    if !state.read().locked {
        return Err("the GIL state did not show the GIL held by the calibrating thread".into());
    }
    Ok(state)
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
