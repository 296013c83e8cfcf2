//! Where a CPython build keeps its GIL state and each thread's OS id, found on a sibling: a
//! process of the same executable (and the same libpython, by build id) that gilsim starts and
//! controls. gilsim sets distinctive switch intervals in the sibling and keeps the one word of
//! `_PyRuntime` that follows them, then confirms it: `locked` reads 1 with `last_holder` = the
//! sibling's thread state while it spins, and 0 once it waits for input. The thread state's
//! `native_thread_id` is the one word of it equal to the sibling's OS thread id. The result is
//! cached per build id, so each build is calibrated once.
use super::memory::{self, Runtime};
use super::OutsideError;
use crate::child_output::lines_of;
use crate::measure::layout::{gil_state, word, Reading, Version, OLDEST, PTHREAD_SCAN};
use object::{Object, ObjectSymbol};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// Offsets of one CPython build (64-bit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildLayout {
    pub version: Version,
    /// The main interpreter's `_gil_runtime_state`, from the start of `_PyRuntime`.
    pub gil_offset: usize,
    /// `native_thread_id` inside a `PyThreadState` (3.11+).
    pub native_thread_id_offset: Option<usize>,
    /// Before 3.11, the OS thread id is reached through the thread state's `thread_id` (the
    /// `pthread_t`, glibc's thread descriptor) and the 4-byte `tid` inside that descriptor.
    pub thread_id_offset: Option<usize>,
    pub pthread_tid_offset: Option<usize>,
}

impl BuildLayout {
    /// The OS thread id of the thread whose state is at `tstate` in process `pid`.
    pub fn os_thread_id(&self, pid: i32, tstate: usize) -> Option<u64> {
        if let Some(offset) = self.native_thread_id_offset {
            return memory::read_u64(pid, tstate + offset).ok();
        }
        let pthread = memory::read_u64(pid, tstate + self.thread_id_offset?).ok()? as usize;
        let tid = memory::read(pid, pthread + self.pthread_tid_offset?, 4).ok()?;
        Some(u32::from_le_bytes(tid.try_into().ok()?) as u64)
    }
}

/// The sibling: reports its version, thread state and OS thread id, then obeys `interval S`
/// (set the switch interval, reply with it in µs) and `hold S` (spin holding the GIL).
/// Written so that any Python parses it, to report an unsupported version clearly.
const SIBLING: &str = include_str!("../../../python/drivers/sibling.py");

/// How much of a thread state is searched for its OS thread id.
const TSTATE_SCAN: usize = 1024;

/// The layout of the build that process `pid` runs, from the cache or a sibling.
pub fn layout(pid: i32, target: &Runtime) -> Result<BuildLayout, OutsideError> {
    let exe = procfs::process::Process::new(pid)
        .and_then(|p| p.exe())
        .map_err(|e| OutsideError::Read(format!("cannot read /proc/{pid}/exe: {e}")))?;
    let cache = target.build_id.as_ref().and_then(|id| {
        crate::paths::cache_dir()
            .ok()
            .map(|dir| dir.join(format!("gil-layout-{id}.json")))
    });
    if let Some(saved) = cache
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str::<BuildLayout>(&text).ok())
    {
        return Ok(saved);
    }
    let found = calibrate(&exe, target)?;
    if let Some(path) = cache {
        // A cache that cannot be written only means calibrating again next time.
        let _ = crate::files::write_atomically(
            &path,
            &serde_json::to_string(&found).expect("serializable"),
        );
    }
    Ok(found)
}

/// Whether `exe` is a Python launcher (it defines or imports `Py_BytesMain`), so that running
/// it with `-c` runs Python code and nothing else.
fn is_python_launcher(exe: &Path) -> bool {
    let Ok(data) = std::fs::read(exe) else {
        return false;
    };
    let Ok(elf) = object::File::parse(&*data) else {
        return false;
    };
    let found = elf
        .dynamic_symbols()
        .chain(elf.symbols())
        .any(|s| s.name() == Ok("Py_BytesMain"));
    found
}

/// The sibling process; killed and reaped however calibration ends.
struct Sibling {
    child: Child,
    lines: Receiver<String>,
}

impl Sibling {
    fn next_line(&self) -> Result<String, OutsideError> {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| {
                OutsideError::Unconfirmed("the calibrating sibling stopped answering".into())
            })
    }

    fn ask(&mut self, command: &str) -> Result<String, OutsideError> {
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        writeln!(stdin, "{command}")
            .and_then(|_| stdin.flush())
            .map_err(|e| {
                OutsideError::Unconfirmed(format!("the calibrating sibling ended: {e}"))
            })?;
        self.next_line()
    }
}

impl Drop for Sibling {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn calibrate(exe: &Path, target: &Runtime) -> Result<BuildLayout, OutsideError> {
    if !is_python_launcher(exe) {
        return Err(OutsideError::Unsupported(format!(
            "{} is not a Python launcher; the GIL of this CPython before 3.13 is found by \
             running a sibling of the same executable",
            exe.display()
        )));
    }
    let mut child = Command::new(exe);
    child
        .args(["-I", "-S", "-c", SIBLING])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = child
        .spawn()
        .map_err(|e| OutsideError::Unsupported(format!("cannot start {}: {e}", exe.display())))?;
    let lines = lines_of(child.stdout.take().expect("piped stdout"));
    let mut sibling = Sibling { child, lines };
    let header = sibling.next_line()?;
    let fields: Vec<u64> = header
        .strip_prefix("gilsim-sibling ")
        .ok_or_else(|| OutsideError::Unconfirmed(format!("the sibling said {header:?}")))?
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let version = match fields[..] {
        [major, minor, ..] => Version(major as u8, minor as u8),
        _ => {
            return Err(OutsideError::Unconfirmed(format!(
                "the sibling said {header:?}"
            )))
        }
    };
    let [_, _, tstate, native_id, ident] = fields[..] else {
        return Err(OutsideError::Unsupported(format!(
            "CPython {version}: reading the GIL from outside needs CPython {OLDEST} or later"
        )));
    };
    let pid = sibling.child.id() as i32;
    let runtime = memory::runtime(pid)?;
    if runtime.build_id != target.build_id
        || target.build_id.is_none() && runtime.file != target.file
    {
        return Err(OutsideError::Unsupported(format!(
            "a sibling of {} maps another build of CPython ({}) than the target ({})",
            exe.display(),
            runtime.file.display(),
            target.file.display()
        )));
    }
    let snapshot = || memory::read(pid, runtime.address, runtime.size);
    let mut set = |seconds: &str| -> Result<u64, OutsideError> {
        let reply = sibling.ask(&format!("interval {seconds}"))?;
        reply
            .parse()
            .map_err(|_| OutsideError::Unconfirmed(format!("the sibling said {reply:?}")))
    };
    let first = set("0.0123457")?;
    let bytes = snapshot()?;
    let mut candidates: Vec<usize> = (0..runtime.size.saturating_sub(gil_state::WORDS_BYTES))
        .step_by(8)
        .filter(|&o| word(&bytes, o) == first)
        .collect();
    for seconds in ["0.0654321", "0.005"] {
        let value = set(seconds)?;
        let bytes = snapshot()?;
        candidates.retain(|&o| word(&bytes, o) == value);
    }
    let state = |bytes: &[u8], o: usize| {
        let r = Reading::decode(&bytes[o..o + gil_state::WORDS_BYTES]);
        (r.locked, r.last_holder as u64)
    };
    let holding = sibling.ask("hold 1.0")?;
    if holding != "holding" {
        return Err(OutsideError::Unconfirmed(format!(
            "the sibling said {holding:?}"
        )));
    }
    // Right after its reply the sibling may still be taking the GIL back (writing released
    // it), so the state is read a few times while it spins.
    let mut held = Vec::new();
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(40));
        let bytes = snapshot()?;
        held = candidates
            .iter()
            .copied()
            .filter(|&o| state(&bytes, o) == (true, tstate))
            .collect();
        if !held.is_empty() {
            break;
        }
    }
    candidates = held;
    let done = sibling.next_line()?;
    if done != "done" {
        return Err(OutsideError::Unconfirmed(format!(
            "the sibling said {done:?}"
        )));
    }
    let [gil_offset] = candidates[..] else {
        return Err(OutsideError::Unconfirmed(format!(
            "calibration found {} candidate GIL states in _PyRuntime, expected exactly one",
            candidates.len()
        )));
    };
    // Waiting for its next command, the sibling lets the GIL go.
    let released = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        memory::read(pid, runtime.address + gil_offset + gil_state::LOCKED, 4)
            .is_ok_and(|b| b == [0, 0, 0, 0])
    });
    if !released {
        return Err(OutsideError::Unconfirmed(
            "the calibrated GIL state never showed the GIL released".into(),
        ));
    }
    let thread_state = memory::read(pid, tstate as usize, TSTATE_SCAN)?;
    let only = |offsets: Vec<usize>| (offsets.len() == 1).then(|| offsets[0]);
    let words_equal = |bytes: &[u8], value: u64| {
        (0..bytes.len() - 7)
            .step_by(8)
            .filter(|&o| word(bytes, o) == value)
            .collect::<Vec<_>>()
    };
    let native_thread_id_offset = only(words_equal(&thread_state, native_id));
    let thread_id_offset = only(words_equal(&thread_state, ident));
    let pthread_tid_offset = match (native_thread_id_offset, thread_id_offset) {
        (None, Some(_)) => memory::read(pid, ident as usize, PTHREAD_SCAN)
            .ok()
            .and_then(|bytes| {
                only(
                    (0..PTHREAD_SCAN - 3)
                        .step_by(4)
                        .filter(|&o| {
                            u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as u64
                                == native_id
                        })
                        .collect(),
                )
            }),
        _ => None,
    };
    Ok(BuildLayout {
        version,
        gil_offset,
        native_thread_id_offset,
        thread_id_offset,
        pthread_tid_offset,
    })
}
