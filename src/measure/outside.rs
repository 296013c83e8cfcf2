//! Reading the GIL state of another process without stopping it or writing to it:
//! `process_vm_readv` (read-only), `_PyRuntime` located through the ELF symbols of the mapped
//! libpython (or the executable of a static build), and the GIL found through
//! `_Py_DebugOffsets` with the layout of the header's own version (3.13+). Older versions need
//! the offset calibrated on a sibling process, which this reader does not do yet: it says so.
use super::gil::locate::debug_layout;
use object::{Object, ObjectSegment, ObjectSymbol};
use std::path::PathBuf;

/// Offsets inside `_gil_runtime_state` (3.9 and later, 64-bit).
const LAST_HOLDER: usize = 8;
const LOCKED: usize = 16;
const SWITCH_NUMBER: usize = 24;
/// `_Py_DebugOffsets`: word index of runtime_state.interpreters_head (3.13, 3.14, 3.15).
const INTERPRETERS_HEAD: usize = 5;

/// A confirmed GIL state in another process.
#[derive(Clone, Copy, Debug)]
pub struct OutsideGil {
    pid: i32,
    base: usize,
}

/// One reading of another process's GIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutsideReading {
    pub interval_us: u64,
    pub locked: bool,
    pub last_holder: usize,
    pub switch_number: u64,
}

impl OutsideGil {
    /// Finds the GIL of process `pid` and checks it: its interval word must equal
    /// `interval_us`, the switch interval the process runs with.
    pub fn attach(pid: i32, interval_us: u64) -> Result<OutsideGil, String> {
        let runtime = runtime_address(pid)?;
        let header = read(pid, runtime, 8 * 24)?;
        if &header[..8] != b"xdebugpy" {
            return Err("no _Py_DebugOffsets in _PyRuntime (CPython before 3.13); \
                        finding the GIL of an older interpreter from outside is not implemented yet"
                .into());
        }
        let word = |i: usize| u64::from_le_bytes(header[8 * i..8 * i + 8].try_into().unwrap());
        let hex = word(1);
        let version = ((hex >> 24) as u8, (hex >> 16) as u8);
        if word(2) != 0 {
            return Err("a free-threaded build: there is no GIL to read".into());
        }
        let layout = debug_layout(version).ok_or_else(|| {
            format!(
                "no _Py_DebugOffsets layout known for CPython {}.{}",
                version.0, version.1
            )
        })?;
        let interp = read_u64(pid, runtime + word(INTERPRETERS_HEAD) as usize)? as usize;
        if interp == 0 {
            return Err("the interpreter is not running yet (no interpreter state)".into());
        }
        let in_use = read_u64(pid, interp + word(layout.ceval_gil) as usize)? as usize;
        let own = interp + word(layout.gil) as usize;
        if in_use != own {
            return Err("the GIL in use is not the main interpreter's own".into());
        }
        if word(layout.locked).checked_sub(word(layout.gil)) != Some(LOCKED as u64)
            || word(layout.holder).checked_sub(word(layout.gil)) != Some(LAST_HOLDER as u64)
        {
            return Err("the GIL's field offsets are not the ones this reader expects".into());
        }
        let gil = OutsideGil { pid, base: own };
        let first = gil.read()?;
        if first.interval_us != interval_us {
            return Err(format!(
                "the GIL's interval word reads {} µs, not the process's {interval_us} µs",
                first.interval_us
            ));
        }
        Ok(gil)
    }

    pub fn read(&self) -> Result<OutsideReading, String> {
        let b = read(self.pid, self.base, SWITCH_NUMBER + 8)?;
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        Ok(OutsideReading {
            interval_us: u64_at(0),
            last_holder: u64_at(LAST_HOLDER) as usize,
            locked: i32::from_le_bytes(b[LOCKED..LOCKED + 4].try_into().unwrap()) == 1,
            switch_number: u64_at(SWITCH_NUMBER),
        })
    }
}

/// `len` bytes at `address` in process `pid`.
fn read(pid: i32, address: usize, len: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; len];
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: len,
    };
    let remote = libc::iovec {
        iov_base: address as *mut libc::c_void,
        iov_len: len,
    };
    // SAFETY: one local buffer of `len` bytes that we own; the remote range is only read.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    if n != len as isize {
        return Err(format!(
            "reading process {pid}'s memory failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(buf)
}

fn read_u64(pid: i32, address: usize) -> Result<u64, String> {
    Ok(u64::from_le_bytes(
        read(pid, address, 8)?.try_into().unwrap(),
    ))
}

/// Where `_PyRuntime` is in process `pid`: the symbol's address in the mapped libpython (or
/// executable) plus the file's load bias.
fn runtime_address(pid: i32) -> Result<usize, String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map_err(|e| format!("cannot read /proc/{pid}/maps: {e}"))?;
    // (start, file offset, path) of each file-backed mapping.
    let mappings: Vec<(usize, u64, String)> = maps
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let range = parts.next()?;
            let offset = u64::from_str_radix(parts.nth(1)?, 16).ok()?;
            let path = parts.nth(2)?.to_string();
            let start = usize::from_str_radix(range.split('-').next()?, 16).ok()?;
            path.starts_with('/').then_some((start, offset, path))
        })
        .collect();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let mut files: Vec<PathBuf> = mappings
        .iter()
        .filter(|(_, _, p)| p.contains("libpython"))
        .map(|(_, _, p)| PathBuf::from(p))
        .collect();
    files.dedup();
    files.extend(exe);
    for file in files {
        let Ok(data) = std::fs::read(&file) else {
            continue;
        };
        let Ok(elf) = object::File::parse(&*data) else {
            continue;
        };
        let Some(symbol) = elf
            .dynamic_symbols()
            .chain(elf.symbols())
            .find(|s| s.name() == Ok("_PyRuntime"))
        else {
            continue;
        };
        let first_vaddr = elf.segments().map(|s| s.address()).min().unwrap_or(0) & !0xfff;
        let path = file.display().to_string();
        let Some((start, _, _)) = mappings
            .iter()
            .find(|(_, offset, p)| *p == path && *offset == 0)
        else {
            continue;
        };
        let bias = *start as u64 - first_vaddr;
        return Ok((bias + symbol.address()) as usize);
    }
    Err(format!(
        "no _PyRuntime symbol in the libpython or executable of process {pid}: not a CPython"
    ))
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
        let gil = OutsideGil::attach(child.id() as i32, 5000);
        let readings = gil.map(|g| {
            let first = g.read().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(500));
            (first, g.read().unwrap())
        });
        drop(child.stdin.take());
        let _ = child.wait();
        let (first, last) = readings.expect("attach");
        // Two CPU-bound threads hand the GIL over about once per 5 ms switch interval.
        let handoffs = last.switch_number - first.switch_number;
        assert!(
            (40..=200).contains(&handoffs),
            "{handoffs} hand-offs in 0.5 s"
        );
        assert!(last.locked);
    }

    #[test]
    fn a_process_that_is_not_python_is_refused() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let err = OutsideGil::attach(child.id() as i32, 5000).unwrap_err();
        let _ = child.kill();
        let _ = child.wait();
        assert!(err.contains("not a CPython"), "{err}");
    }
}
