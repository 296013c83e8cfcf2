//! Python stacks read through the interpreter's own `_Py_DebugOffsets` (CPython 3.13, GIL and
//! free-threaded builds alike): thread states from the main interpreter's list, each thread's
//! frames from `current_frame` back through `previous`, and for each frame its code object's
//! qualified name, file name and line (decoded from the location table at the frame's
//! instruction). py-spy's library has no layout for a free-threaded build; this reader needs
//! none of its own beyond the word indexes of the header.
use super::memory::{Remote, Runtime};
use super::OutsideError;
use crate::measure::layout::{word, Version};
use crate::measure::memory::Memory;
use std::collections::HashMap;

/// Word indexes of `_Py_DebugOffsets` in CPython 3.13 (`Include/internal/pycore_runtime.h`).
mod index {
    pub const WORDS: usize = 71;
    pub const VERSION: usize = 1;
    pub const INTERPRETERS_HEAD: usize = 5;
    pub const THREADS_HEAD: usize = 9;
    pub const TSTATE_NEXT: usize = 21;
    pub const TSTATE_CURRENT_FRAME: usize = 23;
    pub const TSTATE_THREAD_ID: usize = 24;
    pub const TSTATE_NATIVE_THREAD_ID: usize = 25;
    pub const FRAME_PREVIOUS: usize = 29;
    pub const FRAME_EXECUTABLE: usize = 30;
    pub const FRAME_INSTR_PTR: usize = 31;
    pub const FRAME_OWNER: usize = 33;
    pub const CODE_FILENAME: usize = 35;
    pub const CODE_QUALNAME: usize = 37;
    pub const CODE_LINETABLE: usize = 38;
    pub const CODE_FIRSTLINENO: usize = 39;
    pub const CODE_ADAPTIVE: usize = 43;
    pub const OB_TYPE: usize = 45;
    pub const TP_NAME: usize = 47;
    pub const BYTES_SIZE: usize = 65;
    pub const BYTES_SVAL: usize = 66;
    pub const UNICODE_STATE: usize = 68;
    pub const UNICODE_LENGTH: usize = 69;
    pub const UNICODE_ASCII_SIZE: usize = 70;
}

/// A frame owned by the C stack (an entry shim): not Python code.
const FRAME_OWNED_BY_CSTACK: u8 = 3;
/// Frames read per thread at most (a corrupt or changing chain cannot loop for ever).
const MAX_FRAMES: usize = 512;

/// One thread's stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadStack {
    /// `threading.get_ident()` (the `pthread_t`).
    pub ident: u64,
    pub tid: u64,
    /// Outermost first, each "function file:line".
    pub frames: Vec<String>,
}

/// The stacks of a CPython 3.13 process.
pub struct DebugStacks {
    memory: Remote,
    runtime: usize,
    offsets: Vec<u64>,
    /// Code object address → (qualified name, short file name, first line, line table).
    code: HashMap<usize, Code>,
    /// Type address → whether it is `code`.
    is_code: HashMap<usize, bool>,
}

struct Code {
    name: String,
    file: String,
    first_line: i64,
    linetable: Vec<u8>,
}

impl DebugStacks {
    /// The reader for process `pid`, whose `_PyRuntime` is `runtime`; None when its header is
    /// not a 3.13 one.
    pub fn attach(pid: i32, runtime: &Runtime) -> Result<Option<DebugStacks>, OutsideError> {
        let memory = Remote(pid);
        let bytes = memory.read(runtime.address, 8 * index::WORDS)?;
        if &bytes[..8] != crate::measure::layout::debug_offsets::COOKIE {
            return Ok(None);
        }
        let offsets: Vec<u64> = (0..index::WORDS).map(|i| word(&bytes, 8 * i)).collect();
        if Version::from_hex(offsets[index::VERSION]) != Version(3, 13) {
            return Ok(None);
        }
        Ok(Some(DebugStacks {
            memory,
            runtime: runtime.address,
            offsets,
            code: HashMap::new(),
            is_code: HashMap::new(),
        }))
    }

    fn at(&self, i: usize) -> usize {
        self.offsets[i] as usize
    }

    fn pointer(&self, address: usize) -> Result<usize, OutsideError> {
        Ok(self.memory.read_u64(address)? as usize)
    }

    /// Every thread of the main interpreter and its stack, read while the process runs on.
    pub fn sample(&mut self) -> Result<Vec<ThreadStack>, OutsideError> {
        let interp = self.pointer(self.runtime + self.at(index::INTERPRETERS_HEAD))?;
        let mut tstate = self.pointer(interp + self.at(index::THREADS_HEAD))?;
        let mut out = Vec::new();
        while tstate != 0 && out.len() < 4096 {
            let ident = self
                .memory
                .read_u64(tstate + self.at(index::TSTATE_THREAD_ID))?;
            let tid = self
                .memory
                .read_u64(tstate + self.at(index::TSTATE_NATIVE_THREAD_ID))?;
            let frame = self.pointer(tstate + self.at(index::TSTATE_CURRENT_FRAME))?;
            let mut frames = self.frames(frame)?;
            frames.reverse();
            out.push(ThreadStack { ident, tid, frames });
            tstate = self.pointer(tstate + self.at(index::TSTATE_NEXT))?;
        }
        Ok(out)
    }

    /// Innermost first.
    fn frames(&mut self, mut frame: usize) -> Result<Vec<String>, OutsideError> {
        let mut out = Vec::new();
        while frame != 0 && out.len() < MAX_FRAMES {
            let owner = self.memory.read(frame + self.at(index::FRAME_OWNER), 1)?[0];
            let executable = self.pointer(frame + self.at(index::FRAME_EXECUTABLE))?;
            if owner != FRAME_OWNED_BY_CSTACK && executable != 0 && self.code_object(executable)? {
                let instr = self.pointer(frame + self.at(index::FRAME_INSTR_PTR))?;
                let code = self.code(executable)?;
                let code = &self.code[&code];
                let first = executable + self.at(index::CODE_ADAPTIVE);
                // Code units are 2 bytes; `instr_ptr` is the next instruction to run.
                let unit = instr.saturating_sub(first) / 2;
                let line = line_of(&code.linetable, code.first_line, unit)
                    .map_or("?".to_string(), |l| l.to_string());
                out.push(format!("{} {}:{line}", code.name, code.file));
            }
            frame = self.pointer(frame + self.at(index::FRAME_PREVIOUS))?;
        }
        Ok(out)
    }

    fn code_object(&mut self, object: usize) -> Result<bool, OutsideError> {
        let ty = self.pointer(object + self.at(index::OB_TYPE))?;
        if let Some(&known) = self.is_code.get(&ty) {
            return Ok(known);
        }
        let name = self.pointer(ty + self.at(index::TP_NAME))?;
        let known = self.memory.read(name, 5)? == b"code\0";
        self.is_code.insert(ty, known);
        Ok(known)
    }

    /// Reads the code object at `object` into the cache (once) and returns its key.
    fn code(&mut self, object: usize) -> Result<usize, OutsideError> {
        if self.code.contains_key(&object) {
            return Ok(object);
        }
        let name = self.unicode(self.pointer(object + self.at(index::CODE_QUALNAME))?)?;
        let path = self.unicode(self.pointer(object + self.at(index::CODE_FILENAME))?)?;
        let file = path.rsplit('/').next().unwrap_or(&path).to_string();
        let first = self
            .memory
            .read(object + self.at(index::CODE_FIRSTLINENO), 4)?;
        let first_line = i32::from_le_bytes(first.try_into().expect("4 bytes")) as i64;
        let table = self.pointer(object + self.at(index::CODE_LINETABLE))?;
        let size = self.memory.read_u64(table + self.at(index::BYTES_SIZE))? as usize;
        let linetable = self
            .memory
            .read(table + self.at(index::BYTES_SVAL), size.min(1 << 20))?;
        let code = Code {
            name,
            file,
            first_line,
            linetable,
        };
        self.code.insert(object, code);
        Ok(object)
    }

    /// A `str`: compact ASCII read directly; other kinds decoded by their character width.
    fn unicode(&self, object: usize) -> Result<String, OutsideError> {
        let state = self
            .memory
            .read(object + self.at(index::UNICODE_STATE), 4)?;
        let state = u32::from_le_bytes(state.try_into().expect("4 bytes"));
        let length = self
            .memory
            .read_u64(object + self.at(index::UNICODE_LENGTH))? as usize;
        let length = length.min(4096);
        // state: interned (2 bits), kind (3), compact (1), ascii (1).
        let kind = ((state >> 2) & 7) as usize;
        let compact = (state >> 5) & 1 == 1;
        let ascii = (state >> 6) & 1 == 1;
        if !compact || kind == 0 {
            return Ok("?".into());
        }
        // Compact non-ASCII strings keep two more words (utf8_length, utf8) before their data.
        let data = object + self.at(index::UNICODE_ASCII_SIZE) + if ascii { 0 } else { 16 };
        let bytes = self.memory.read(data, length * kind)?;
        Ok(match kind {
            1 => bytes.iter().map(|&b| b as char).collect(),
            2 => char::decode_utf16(
                bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]])),
            )
            .map(|c| c.unwrap_or('?'))
            .collect(),
            _ => bytes
                .chunks_exact(4)
                .map(|c| {
                    char::from_u32(u32::from_le_bytes([c[0], c[1], c[2], c[3]])).unwrap_or('?')
                })
                .collect(),
        })
    }
}

/// The line of code unit `unit` from a 3.11+ location table (`Objects/locations.md`): entries
/// of a header byte (bit 7 set; code in bits 3-6; length - 1 in bits 0-2) and the code's data.
pub fn line_of(table: &[u8], first_line: i64, unit: usize) -> Option<i64> {
    let mut at = 0;
    let mut line = first_line;
    let mut addr = 0usize;
    let varint = |at: &mut usize| -> Option<u64> {
        let mut b = *table.get(*at)?;
        *at += 1;
        let mut value = u64::from(b & 63);
        let mut shift = 0;
        while b & 64 != 0 {
            b = *table.get(*at)?;
            *at += 1;
            shift += 6;
            value |= u64::from(b & 63) << shift;
        }
        Some(value)
    };
    let signed = |v: u64| {
        if v & 1 == 1 {
            -((v >> 1) as i64)
        } else {
            (v >> 1) as i64
        }
    };
    while at < table.len() {
        let head = table[at];
        at += 1;
        let code = (head >> 3) & 15;
        let end = addr + usize::from(head & 7) + 1;
        let delta = match code {
            15 => None,
            14 => {
                let d = signed(varint(&mut at)?);
                for _ in 0..3 {
                    varint(&mut at)?;
                }
                Some(d)
            }
            13 => Some(signed(varint(&mut at)?)),
            10..=12 => {
                at += 2;
                Some(i64::from(code) - 10)
            }
            _ => {
                at += 1;
                Some(0)
            }
        };
        if let Some(d) = delta {
            line += d;
        }
        if (addr..end).contains(&unit) {
            return delta.map(|_| line);
        }
        addr = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::line_of;

    #[test]
    fn the_location_table_gives_each_units_line() {
        // Recorded from CPython 3.13.5t: `def f():\n    x = 1\n    while x:\n        x -= 1\n`
        // with its first line 2: `list(f.__code__.co_linetable)`, and `co_lines()` said
        // [(0, 2, 2), (2, 6, 3), (6, 20, 4), (20, 30, 5), (30, 52, 4)] in bytes.
        let table = [
            128, 0, 216, 8, 9, 128, 65, 222, 10, 11, 216, 8, 9, 136, 81, 137, 6, 136, 1, 247, 3, 0,
            11, 12, 138, 33,
        ];
        let expected = |unit: usize| match unit * 2 {
            0..2 => 2,
            2..6 => 3,
            6..20 => 4,
            20..30 => 5,
            _ => 4,
        };
        for unit in 0..26 {
            assert_eq!(
                line_of(&table, 2, unit),
                Some(expected(unit)),
                "unit {unit}"
            );
        }
        assert_eq!(line_of(&table, 2, 26), None);
    }
}

#[cfg(test)]
mod against_py_spy {
    use super::DebugStacks;
    use crate::measure::outside::memory;
    use crate::measure::outside::stacks::Stacks;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// (function, line) of each frame, outermost first.
    fn calls(frames: &[String]) -> Vec<(String, String)> {
        frames
            .iter()
            .map(|f| {
                let (name, at) = f.rsplit_once(' ').unwrap();
                (name.to_string(), at.rsplit(':').next().unwrap().to_string())
            })
            .collect()
    }

    #[test]
    #[ignore = "needs CPython 3.13.5 from tools/build-cpython.sh; .ci/run runs it"]
    fn both_readers_see_the_same_stacks_of_a_paused_3_13() {
        let python = dirs::cache_dir()
            .unwrap()
            .join("gilsim/cpython/3.13.5/bin/python3.13");
        let code = "import threading, time\n\
                    def inner(n):\n    while True: n += 1\n\
                    def outer():\n    inner(0)\n\
                    def sleeper():\n    time.sleep(600)\n\
                    for f in (outer, outer, sleeper):\n    threading.Thread(target=f, daemon=True).start()\n\
                    print('ready', flush=True)\n\
                    time.sleep(600)\n";
        let mut child = Command::new(&python)
            .args(["-c", code])
            .stdout(Stdio::piped())
            .spawn()
            .expect("CPython 3.13.5");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let pid = child.id() as i32;
        let runtime = memory::runtime(pid).unwrap();
        let mut ours = DebugStacks::attach(pid, &runtime)
            .unwrap()
            .expect("a 3.13 header");
        let mut spy = Stacks::attach(pid, None).unwrap();
        let mut compared = 0;
        for _ in 0..20 {
            // Paused, both readers see one moment.
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGSTOP)
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
            let mut a: Vec<(u64, Vec<(String, String)>)> = ours
                .sample()
                .unwrap()
                .into_iter()
                .map(|t| (t.tid, calls(&t.frames)))
                .collect();
            let mut b: Vec<(u64, Vec<(String, String)>)> = spy
                .sample()
                .unwrap()
                .into_iter()
                .map(|t| (t.tid.unwrap(), calls(&t.frames)))
                .collect();
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGCONT)
                .unwrap();
            a.sort();
            b.sort();
            assert_eq!(a, b, "sample {compared}");
            assert_eq!(a.len(), 4, "{a:?}");
            assert!(
                a.iter()
                    .any(|(_, f)| f.iter().any(|(name, _)| name == "inner")),
                "{a:?}"
            );
            compared += 1;
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(compared, 20);
    }
}
