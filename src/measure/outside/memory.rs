//! Another process's memory, read-only: `process_vm_readv`, and where `_PyRuntime` is mapped
//! (the ELF symbol of the mapped libpython, or of the executable of a static build).
use super::OutsideError;
use crate::measure::memory::Memory;
use object::{Object, ObjectSegment, ObjectSymbol};
use std::path::PathBuf;

/// `_PyRuntime` in a running process.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub address: usize,
    /// The symbol's size: the whole `_PyRuntimeState` (the main interpreter's state included).
    pub size: usize,
    /// The file that defines it, and that file's GNU build id (hex) when it has one.
    pub file: PathBuf,
    pub build_id: Option<String>,
}

/// Another process's memory, read with `process_vm_readv`.
pub struct Remote(pub i32);

impl Memory for Remote {
    type Error = OutsideError;

    fn read_into(&self, address: usize, buf: &mut [u8]) -> Result<(), OutsideError> {
        read_into(self.0, address, buf)
    }
}

/// `len` bytes at `address` in process `pid`.
pub fn read(pid: i32, address: usize, len: usize) -> Result<Vec<u8>, OutsideError> {
    Remote(pid).read(address, len)
}

fn read_into(pid: i32, address: usize, buf: &mut [u8]) -> Result<(), OutsideError> {
    use nix::errno::Errno;
    use nix::sys::uio::{process_vm_readv, RemoteIoVec};
    let len = buf.len();
    let remote = [RemoteIoVec { base: address, len }];
    let read = process_vm_readv(
        nix::unistd::Pid::from_raw(pid),
        &mut [std::io::IoSliceMut::new(buf)],
        &remote,
    );
    match read {
        Ok(n) if n == len => Ok(()),
        Ok(n) => Err(OutsideError::Read(format!(
            "reading process {pid}'s memory gave {n} of {len} bytes"
        ))),
        Err(Errno::ESRCH) => Err(OutsideError::Ended(pid)),
        Err(Errno::EPERM) => Err(OutsideError::PermissionDenied(pid)),
        Err(e) => Err(OutsideError::Read(format!(
            "reading process {pid}'s memory failed: {}",
            std::io::Error::from(e)
        ))),
    }
}

pub fn read_u64(pid: i32, address: usize) -> Result<u64, OutsideError> {
    Remote(pid).read_u64(address)
}

/// Whether process `pid` exists (a zombie counts as ended).
pub fn alive(pid: i32) -> bool {
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .is_ok_and(|stat| !matches!(stat.state, 'Z' | 'X'))
}

/// Where `_PyRuntime` is in process `pid`: the symbol's address in the mapped libpython (or
/// executable) plus the file's load bias.
pub fn runtime(pid: i32) -> Result<Runtime, OutsideError> {
    use procfs::process::{MMapPath, Process};
    use procfs::ProcError;
    let error = |e: ProcError| match e {
        ProcError::NotFound(_) => OutsideError::NoProcess(pid),
        ProcError::PermissionDenied(_) => OutsideError::PermissionDenied(pid),
        e => OutsideError::Read(format!("cannot read /proc/{pid}/maps: {e}")),
    };
    let process = Process::new(pid).map_err(error)?;
    let maps = process.maps().map_err(error)?;
    if maps.0.is_empty() {
        // A kernel thread or a zombie has no memory to read.
        return Err(OutsideError::NotCPython(pid));
    }
    // (start, file offset, path) of each file-backed mapping.
    let mappings: Vec<(usize, u64, String)> = maps
        .into_iter()
        .filter_map(|map| match map.pathname {
            MMapPath::Path(path) => Some((
                map.address.0 as usize,
                map.offset,
                path.display().to_string(),
            )),
            _ => None,
        })
        .collect();
    let exe = process.exe().ok();
    let mut files: Vec<PathBuf> = mappings
        .iter()
        .filter(|(_, _, p)| p.contains("libpython"))
        .map(|(_, _, p)| PathBuf::from(p))
        .collect();
    files.dedup();
    files.extend(exe.clone());
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
        let build_id = elf_build_id(&elf);
        return Ok(Runtime {
            address: (bias + symbol.address()) as usize,
            size: symbol.size() as usize,
            file,
            build_id,
        });
    }
    let python2 = mappings.iter().any(|(_, _, p)| p.contains("libpython2."))
        || exe.as_ref().is_some_and(|exe| {
            exe.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python2"))
        });
    if python2 {
        return Err(OutsideError::Unsupported(format!(
            "process {pid} runs CPython 2, whose old GIL keeps no hand-off count to read; \
             reading the GIL from outside needs CPython 3.9 or later"
        )));
    }
    Err(OutsideError::NotCPython(pid))
}

/// An ELF file's GNU build id, in hex.
fn elf_build_id(elf: &object::File) -> Option<String> {
    use object::Object;
    elf.build_id()
        .ok()
        .flatten()
        .map(|id| id.iter().map(|b| format!("{b:02x}")).collect())
}

/// The GNU build id (hex) of the ELF file at `path`, when it has one.
pub fn build_id(path: &std::path::Path) -> Option<String> {
    let data = std::fs::read(path).ok()?;
    elf_build_id(&object::File::parse(&*data).ok()?)
}
