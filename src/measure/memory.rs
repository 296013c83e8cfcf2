//! One way to read CPython's memory, in this process or in another: the `Memory` trait, and
//! the GIL's state and `_Py_DebugOffsets` read through it with the layouts of `layout`.
use super::layout::{debug_offsets, gil_state, Reading};

/// Bytes of a process's memory.
pub trait Memory {
    type Error;

    /// Fills `buf` from `address`.
    fn read_into(&self, address: usize, buf: &mut [u8]) -> Result<(), Self::Error>;

    fn read(&self, address: usize, len: usize) -> Result<Vec<u8>, Self::Error> {
        let mut buf = vec![0u8; len];
        self.read_into(address, &mut buf)?;
        Ok(buf)
    }

    fn read_u64(&self, address: usize) -> Result<u64, Self::Error> {
        let mut buf = [0u8; 8];
        self.read_into(address, &mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }
}

/// This process's memory. Only addresses known to be mapped and readable for as long as they
/// are read may be given to it (`_PyRuntime` and what it holds, found through the dynamic
/// linker and checked against `/proc/self/maps`).
pub struct Local;

impl Memory for Local {
    type Error = std::convert::Infallible;

    fn read_into(&self, address: usize, buf: &mut [u8]) -> Result<(), Self::Error> {
        // Whole aligned words are read as words, so a field another thread writes is never
        // seen half old, half new.
        let mut at = 0;
        while at < buf.len() {
            let from = address + at;
            if from.is_multiple_of(8) && buf.len() - at >= 8 {
                // SAFETY: readable by this type's contract, aligned, 8 bytes.
                let w = unsafe { std::ptr::read_volatile(from as *const u64) };
                buf[at..at + 8].copy_from_slice(&w.to_ne_bytes());
                at += 8;
            } else {
                // SAFETY: readable by this type's contract.
                buf[at] = unsafe { std::ptr::read_volatile(from as *const u8) };
                at += 1;
            }
        }
        Ok(())
    }
}

/// The GIL's state at `base`.
pub fn gil_reading<M: Memory>(memory: &M, base: usize) -> Result<Reading, M::Error> {
    let mut bytes = [0u8; gil_state::WORDS_BYTES];
    memory.read_into(base, &mut bytes)?;
    Ok(Reading::decode(&bytes))
}

/// The `_Py_DebugOffsets` header at the start of `_PyRuntime`, if there is one.
pub fn debug_header<M: Memory>(
    memory: &M,
    runtime: usize,
) -> Result<Option<debug_offsets::Header>, M::Error> {
    let bytes = memory.read(runtime, 8 * debug_offsets::HEADER_WORDS)?;
    Ok(debug_offsets::parse(&bytes))
}
