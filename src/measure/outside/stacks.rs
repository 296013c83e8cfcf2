//! Each Python thread's stack in another process, read without stopping it. The frames come
//! from py-spy's library (its `cli` feature off): it carries bindings generated from CPython's
//! headers for every layout from 2.7 to 3.15 and decodes each version's line tables, which a
//! reader of our own would repeat. gilsim adds what it needs on top: the OS thread of each
//! Python thread where py-spy's library leaves it unknown (before 3.11, without libunwind),
//! found through glibc's thread descriptor. A free-threaded build, for which py-spy's library
//! has no layout, is read through the interpreter's own `_Py_DebugOffsets` (`debug_stacks`).
use super::debug_stacks::DebugStacks;
use super::memory::Runtime;
use super::{memory, OutsideError};
use crate::measure::layout::{Version, OLDEST, PTHREAD_SCAN};
use crate::measure::tasks;
use py_spy::config::LockingStrategy;
use py_spy::{Config, PythonSpy};
use std::collections::{BTreeMap, BTreeSet};

/// One Python thread at one moment.
#[derive(Clone, Debug)]
pub struct PythonThread {
    /// `threading.get_ident()`: the thread's `pthread_t`.
    pub ident: u64,
    /// The kernel's thread id, when known.
    pub tid: Option<u64>,
    pub name: Option<String>,
    /// The interpreter's own record says this thread holds the GIL.
    pub holds_gil: bool,
    /// Outermost first, each "function file:line".
    pub frames: Vec<String>,
}

/// Who reads the frames.
enum Reader {
    Spy(Box<PythonSpy>),
    DebugOffsets {
        stacks: Box<DebugStacks>,
        version: String,
    },
}

/// A process whose Python stacks are read.
pub struct Stacks {
    reader: Reader,
    pid: i32,
    /// Where glibc keeps the kernel thread id inside a `pthread_t`'s descriptor.
    tid_offset: Option<usize>,
}

impl Stacks {
    /// The reader for process `pid`. `runtime` is its `_PyRuntime` where it was found: a
    /// free-threaded build is read through `_Py_DebugOffsets` from there; everything else
    /// (including a Python too old to have `_PyRuntime`, which py-spy names) through py-spy.
    pub fn attach(pid: i32, runtime: Option<&Runtime>) -> Result<Stacks, OutsideError> {
        if !memory::alive(pid) {
            return Err(OutsideError::NoProcess(pid));
        }
        let header = match runtime {
            Some(r) => crate::measure::memory::debug_header(&memory::Remote(pid), r.address)?
                .map(|h| (r, h)),
            None => None,
        };
        if let Some((runtime, header)) = header {
            if header.free_threaded {
                let stacks = DebugStacks::attach(pid, runtime)?.ok_or_else(|| {
                    OutsideError::Unsupported(format!(
                        "process {pid} runs a free-threaded CPython {}, whose stacks gilsim \
                         reads through _Py_DebugOffsets on 3.13 only",
                        header.version
                    ))
                })?;
                return Ok(Stacks {
                    reader: Reader::DebugOffsets {
                        stacks: Box::new(stacks),
                        version: format!("{}t", header.version_text),
                    },
                    pid,
                    tid_offset: None,
                });
            }
        }
        let config = Config {
            blocking: LockingStrategy::NonBlocking,
            native: false,
            collect_thread_names: true,
            ..Config::default()
        };
        let spy = PythonSpy::retry_new(pid, &config, 3).map_err(|e| error(pid, &e))?;
        let version = Version(spy.version.major as u8, spy.version.minor as u8);
        if spy.version.major != 3 || version < OLDEST {
            return Err(OutsideError::Unsupported(format!(
                "process {pid} runs Python {}; gilsim reads the GIL of CPython {OLDEST} or later",
                spy.version
            )));
        }
        Ok(Stacks {
            reader: Reader::Spy(Box::new(spy)),
            pid,
            tid_offset: None,
        })
    }

    /// The target's Python version, as "3.11.7" ("3.13.5t" for a free-threaded build).
    pub fn version(&self) -> String {
        match &self.reader {
            Reader::Spy(spy) => spy.version.to_string(),
            Reader::DebugOffsets { version, .. } => version.clone(),
        }
    }

    /// Every Python thread and its stack, read while the process runs on.
    pub fn sample(&mut self) -> Result<Vec<PythonThread>, OutsideError> {
        let spy = match &mut self.reader {
            Reader::Spy(spy) => spy,
            Reader::DebugOffsets { stacks, .. } => {
                return Ok(stacks
                    .sample()?
                    .into_iter()
                    .map(|t| PythonThread {
                        ident: t.ident,
                        tid: Some(t.tid),
                        name: None,
                        holds_gil: false,
                        frames: t.frames,
                    })
                    .collect())
            }
        };
        let traces = spy.get_stack_traces().map_err(|e| error(self.pid, &e))?;
        let mut threads: Vec<PythonThread> = traces
            .into_iter()
            .map(|t| PythonThread {
                ident: t.thread_id,
                tid: t.os_thread_id,
                name: t.thread_name,
                holds_gil: t.owns_gil,
                frames: t
                    .frames
                    .iter()
                    .rev()
                    .map(|f| {
                        let file = f.short_filename.as_deref().unwrap_or(&f.filename);
                        format!("{} {file}:{}", f.name, f.line)
                    })
                    .collect(),
            })
            .collect();
        if threads.iter().any(|t| t.tid.is_none()) {
            self.fill_tids(&mut threads);
        }
        Ok(threads)
    }

    /// Maps each thread's `pthread_t` to its kernel id through the descriptor offset, found
    /// (again) when a thread does not map to a live task.
    fn fill_tids(&mut self, threads: &mut [PythonThread]) {
        let live = tasks::ids(self.pid);
        let idents: Vec<u64> = threads.iter().map(|t| t.ident).collect();
        let mapped = |offset: Option<usize>| -> Option<BTreeMap<u64, u64>> {
            let offset = offset?;
            idents
                .iter()
                .map(|&ident| {
                    let tid = descriptor_u32(self.pid, ident, offset)?;
                    live.contains(&tid).then_some((ident, tid))
                })
                .collect()
        };
        let found = match mapped(self.tid_offset) {
            Some(found) => Some(found),
            None => {
                self.tid_offset = tid_offset(self.pid, &idents, &live);
                mapped(self.tid_offset)
            }
        };
        if let Some(found) = found {
            for t in threads.iter_mut() {
                t.tid = t.tid.or_else(|| found.get(&t.ident).copied());
            }
        }
    }
}

fn descriptor_u32(pid: i32, ident: u64, offset: usize) -> Option<u64> {
    let bytes = memory::read(pid, ident as usize + offset, 4).ok()?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?) as u64)
}

/// The one offset inside glibc's thread descriptor at which every thread's 4-byte word is a
/// distinct live task of the process; None when no offset, or more than one mapping, fits.
fn tid_offset(pid: i32, idents: &[u64], live: &BTreeSet<u64>) -> Option<usize> {
    let descriptors: Vec<Vec<u8>> = idents
        .iter()
        .map(|&i| memory::read(pid, i as usize, PTHREAD_SCAN).ok())
        .collect::<Option<_>>()?;
    let at = |d: &[u8], o: usize| u32::from_le_bytes(d[o..o + 4].try_into().unwrap()) as u64;
    let fits: Vec<(usize, Vec<u64>)> = (0..PTHREAD_SCAN - 3)
        .step_by(4)
        .filter_map(|o| {
            let tids: Vec<u64> = descriptors.iter().map(|d| at(d, o)).collect();
            let distinct: BTreeSet<&u64> = tids.iter().collect();
            (distinct.len() == tids.len() && tids.iter().all(|t| live.contains(t)))
                .then_some((o, tids))
        })
        .collect();
    let first = fits.first()?;
    fits.iter()
        .all(|(_, tids)| *tids == first.1)
        .then_some(first.0)
}

/// py-spy's error, as the reason the process cannot be read.
fn error(pid: i32, e: &anyhow::Error) -> OutsideError {
    if !memory::alive(pid) {
        return OutsideError::Ended(pid);
    }
    let denied = e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
            || cause.to_string().contains("Permission denied")
    });
    if denied {
        return OutsideError::PermissionDenied(pid);
    }
    let text = format!("{e:#}");
    if text.contains("Failed to find python version") || text.contains("python binary") {
        return OutsideError::NotCPython(pid);
    }
    OutsideError::Read(format!(
        "reading process {pid}'s Python stacks failed: {text}"
    ))
}
