//! Reading the GIL state of another process without stopping it or writing to it:
//! `process_vm_readv` (read-only), `_PyRuntime` located through the ELF symbols of the mapped
//! libpython (or the executable of a static build), and the GIL found through
//! `_Py_DebugOffsets` with the layout of the header's own version (3.13+), or at the offset
//! calibrated on a sibling process of the same build (3.9-3.12, `sibling`).
pub mod debug_stacks;
pub mod kernel_wait;
pub mod memory;
pub mod parked;
pub mod recorder;
pub mod sampler;
pub mod sibling;
pub mod stacks;

use super::layout::{debug_offsets, gil_state, Reading, Version};
use super::memory::{debug_header, gil_reading, Memory};
use memory::{Remote, Runtime};
/// The largest switch interval a plausible GIL state holds (µs; CPython accepts any positive).
const MAX_INTERVAL_US: u64 = 1_000_000_000;

/// Why another process's GIL cannot be read; each says what to do where something can be done.
#[derive(Debug, thiserror::Error)]
pub enum OutsideError {
    #[error("no process {0}")]
    NoProcess(i32),
    #[error(
        "permission denied reading process {0}: run gilsim as the same user as the process \
         (and check /proc/sys/kernel/yama/ptrace_scope), or as root / with CAP_SYS_PTRACE"
    )]
    PermissionDenied(i32),
    #[error("process {0} is not a CPython (no _PyRuntime in its executable or libpython)")]
    NotCPython(i32),
    #[error("process {0} ended")]
    Ended(i32),
    #[error("{0}")]
    Unsupported(String),
    #[error("the GIL state could not be confirmed: {0}")]
    Unconfirmed(String),
    #[error("{0}")]
    Read(String),
}

/// How a GIL was found (`OutsideGil::source`), in words.
pub fn found_by(source: &str) -> &'static str {
    match source {
        "debug-offsets" => "through _Py_DebugOffsets",
        _ => "by calibrating a sibling process of the same build",
    }
}

/// A confirmed GIL state in another process.
#[derive(Clone, Debug)]
pub struct OutsideGil {
    pid: i32,
    base: usize,
    /// A free-threaded build's `enabled` field: its GIL is in use only while that is non-zero.
    enabled_at: Option<usize>,
    pub runtime: Runtime,
    pub version: Version,
    /// `debug-offsets` (3.13+) or `calibrated` (on a sibling of the same build).
    pub source: &'static str,
    /// `native_thread_id` inside a thread state, where `_Py_DebugOffsets` gives it.
    pub native_thread_id: Option<usize>,
}

/// Whether a GIL is in use, as its state says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GilEnabled {
    /// A GIL build: always.
    Always,
    /// A free-threaded build running without it (`enabled` = 0).
    Disabled,
    /// A free-threaded build with it enabled: for good (PYTHON_GIL=1, or a module without
    /// `Py_mod_gil`), or transiently while such a module initialises.
    Enabled,
}

impl GilEnabled {
    /// From a free-threaded build's `enabled` word.
    pub fn from_word(word: i32) -> GilEnabled {
        if word == 0 {
            GilEnabled::Disabled
        } else {
            GilEnabled::Enabled
        }
    }

    pub fn in_use(self) -> bool {
        self != GilEnabled::Disabled
    }
}

/// One reading of another process's GIL.
pub type OutsideReading = Reading;

impl OutsideGil {
    /// Finds the GIL of process `pid` and checks it. With `interval_us` (the switch interval the
    /// process is known to run with) the interval word must equal it; without, the state must
    /// be plausible: an interval of at most 1000 s, `locked` 0 or 1, a switch count that does
    /// not go back.
    pub fn attach(pid: i32, interval_us: Option<u64>) -> Result<OutsideGil, OutsideError> {
        OutsideGil::attach_at(pid, memory::runtime(pid)?, interval_us)
    }

    /// [`OutsideGil::attach`] with `_PyRuntime` already found.
    pub fn attach_at(
        pid: i32,
        runtime: Runtime,
        interval_us: Option<u64>,
    ) -> Result<OutsideGil, OutsideError> {
        let gil = if let Some(header) = debug_header(&Remote(pid), runtime.address)? {
            from_debug_offsets(pid, runtime, header)?
        } else {
            let layout = sibling::layout(pid, &runtime)?;
            OutsideGil {
                pid,
                base: runtime.address + layout.gil_offset,
                enabled_at: None,
                runtime,
                version: layout.version,
                source: "calibrated",
                native_thread_id: None,
            }
        };
        let first = gil.read()?;
        let word = Remote(pid).read(gil.base + gil_state::LOCKED, 4)?;
        let locked_word = u32::from_le_bytes(word.try_into().expect("4 bytes"));
        // A free-threaded build's GIL that was never taken reads `locked` = -1 (uninitialised).
        let locked_word = if gil.enabled_at.is_some() && locked_word == u32::MAX {
            0
        } else {
            locked_word
        };
        match interval_us {
            Some(expected) if first.interval_us != expected => {
                return Err(OutsideError::Unconfirmed(format!(
                    "the GIL's interval word reads {} µs, not the process's {expected} µs",
                    first.interval_us
                )))
            }
            _ if first.interval_us == 0
                || first.interval_us > MAX_INTERVAL_US
                || locked_word > 1 =>
            {
                return Err(OutsideError::Unconfirmed(format!(
                    "the GIL state reads an interval of {} µs and locked = {locked_word}",
                    first.interval_us
                )))
            }
            _ => {}
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
        if gil.read()?.switch_number < first.switch_number {
            return Err(OutsideError::Unconfirmed(
                "the GIL's switch count went backwards".into(),
            ));
        }
        Ok(gil)
    }

    /// The process whose GIL this is.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The addresses of the GIL's state: a thread asleep in `futex` on one of them waits for
    /// the GIL.
    pub fn state_range(&self) -> std::ops::Range<u64> {
        self.base as u64..(self.base + gil_state::BYTES) as u64
    }

    pub fn read(&self) -> Result<OutsideReading, OutsideError> {
        gil_reading(&Remote(self.pid), self.base)
    }

    /// Where the build keeps each thread state's OS thread id: from `_Py_DebugOffsets` where
    /// it has them (3.13+), else calibrated on a sibling process of the same build.
    pub fn thread_layout(&self) -> Result<sibling::BuildLayout, OutsideError> {
        match self.native_thread_id {
            Some(offset) => Ok(sibling::BuildLayout {
                version: self.version,
                gil_offset: self.base.saturating_sub(self.runtime.address),
                native_thread_id_offset: Some(offset),
                thread_id_offset: None,
                pthread_tid_offset: None,
            }),
            None => sibling::layout(self.pid, &self.runtime),
        }
    }

    /// Whether the process is a free-threaded build.
    pub fn free_threaded(&self) -> bool {
        self.enabled_at.is_some()
    }

    /// Whether the GIL is in use now.
    pub fn enabled(&self) -> Result<GilEnabled, OutsideError> {
        let Some(at) = self.enabled_at else {
            return Ok(GilEnabled::Always);
        };
        let word = Remote(self.pid).read(at, 4)?;
        Ok(GilEnabled::from_word(i32::from_le_bytes(
            word.try_into().expect("4 bytes"),
        )))
    }
}

/// The main interpreter's GIL through `_Py_DebugOffsets` (3.13+).
fn from_debug_offsets(
    pid: i32,
    runtime: Runtime,
    header: debug_offsets::Header,
) -> Result<OutsideGil, OutsideError> {
    let offsets = match header.gil {
        Ok(offsets) => offsets,
        Err(debug_offsets::NoGilOffsets::UnknownVersion) => {
            return Err(OutsideError::Unsupported(format!(
                "no _Py_DebugOffsets layout known for CPython {}",
                header.version
            )))
        }
        Err(debug_offsets::NoGilOffsets::FieldsElsewhere) => {
            return Err(OutsideError::Unconfirmed(
                "the GIL's field offsets are not the ones this reader expects".into(),
            ))
        }
    };
    let memory = Remote(pid);
    let interp = memory.read_u64(runtime.address + header.interpreters_head)? as usize;
    if interp == 0 {
        return Err(OutsideError::Unconfirmed(
            "the interpreter is not running yet (no interpreter state)".into(),
        ));
    }
    let in_use = memory.read_u64(interp + offsets.ceval_gil)? as usize;
    if in_use != interp + offsets.start {
        return Err(OutsideError::Unconfirmed(
            "the GIL in use is not the main interpreter's own".into(),
        ));
    }
    Ok(OutsideGil {
        pid,
        base: interp + offsets.state,
        enabled_at: offsets.enabled.map(|e| interp + e),
        runtime,
        version: header.version,
        source: "debug-offsets",
        native_thread_id: header.native_thread_id,
    })
}

/// The GIL figures of a run between two outside readings (`before` at its start line, `after`
/// at its finish line), over `wall_s`: the exact hand-off count, or why there is none.
pub fn counted_between(
    gil: &Result<OutsideGil, OutsideError>,
    before: Option<Result<OutsideReading, OutsideError>>,
    after: Option<Result<OutsideReading, OutsideError>>,
    wall_s: f64,
) -> crate::measure::gil::stats::GilStats {
    use crate::measure::gil::stats::GilStats;
    match (gil, before, after) {
        // A free-threaded build's GIL counts hand-offs only while it is enabled: read at the
        // finish line (PYTHON_GIL=1 enables it before the run; a module imported during it
        // would have turned it on by then).
        (Ok(g), _, _) if g.enabled().is_ok_and(|e| !e.in_use()) => GilStats::unavailable(
            "not applicable: this free-threaded build ran without its GIL (its `enabled` field \
             read 0, from outside the process)",
        ),
        (Ok(g), Some(Ok(b)), Some(Ok(a))) => {
            let mut stats = GilStats::counted(
                g.source,
                a.switch_number.wrapping_sub(b.switch_number),
                wall_s,
            );
            stats.note = Some(if g.free_threaded() {
                "a free-threaded build with its GIL enabled, read from outside the process \
                 (process_vm_readv)"
                    .into()
            } else {
                "read from outside the process (process_vm_readv)".into()
            });
            stats
        }
        (Err(why), _, _) => GilStats::unavailable(why.to_string()),
        _ => GilStats::unavailable("reading the GIL from outside failed during the run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// A 3.13+ CPython running two CPU-bound threads until its stdin closes.
    fn busy_python(python: &str) -> std::process::Child {
        let code = "import sys, threading\n\
                    def spin():\n    while not done: pass\n\
                    done = False\n\
                    ts = [threading.Thread(target=spin) for _ in range(2)]\n\
                    [t.start() for t in ts]\n\
                    print('ready', flush=True)\n\
                    sys.stdin.read()\n\
                    done = True\n";
        let mut child = Command::new(python)
            .args(["-c", code])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python runs");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        child
    }

    #[test]
    #[ignore = "needs a CPython 3.13 (pyenv); .ci/run runs it where there is one"]
    fn the_gil_of_a_running_python_3_13_is_read_from_outside() {
        let python = crate::interpreters::resolve("3.13")
            .expect("a CPython 3.13")
            .path;
        let mut child = busy_python(&python);
        let gil = OutsideGil::attach(child.id() as i32, Some(5000));
        let readings = gil.map(|g| {
            let first = g.read().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(500));
            // The GIL is free for a moment at each hand-off: one reading may catch that.
            let held = (0..10)
                .filter(|_| {
                    std::thread::sleep(std::time::Duration::from_millis(3));
                    g.read().unwrap().locked
                })
                .count();
            (first, g.read().unwrap(), held)
        });
        drop(child.stdin.take());
        let _ = child.wait();
        let (first, last, held) = readings.expect("attach");
        // Two CPU-bound threads hand the GIL over about once per 5 ms switch interval.
        let handoffs = last.switch_number - first.switch_number;
        assert!(
            (40..=200).contains(&handoffs),
            "{handoffs} hand-offs in 0.5 s"
        );
        assert!(held >= 8, "the GIL was held in {held} of 10 readings");
    }

    #[test]
    fn a_process_that_is_not_python_is_refused() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let err = OutsideGil::attach(child.id() as i32, Some(5000)).unwrap_err();
        let _ = child.kill();
        let _ = child.wait();
        assert!(matches!(err, OutsideError::NotCPython(_)), "{err}");
    }
}
