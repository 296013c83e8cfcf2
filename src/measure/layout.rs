//! CPython's memory layouts that gilsim reads, keyed by version: the one place they are
//! spelled. Both readers use them: the in-process one (gilsim's own interpreter) and the one
//! that reads another process (`process_vm_readv`).
//!
//! - `_gil_runtime_state` (3.9-3.13, 64-bit): `unsigned long interval` (µs),
//!   `PyThreadState *last_holder`, `int locked`, `unsigned long switch_number`, then the
//!   condition variable and mutex a waiter sleeps on and the pair a forced switch waits on. It
//!   lives inside `_PyRuntime` (3.9-3.11 as `_PyRuntime.ceval.gil`; 3.12+ in the main
//!   interpreter's state, itself inside `_PyRuntime`). A free-threaded build puts an
//!   `int enabled` first (0: disabled; a count of transient enables; `INT_MAX`: enabled for
//!   good), which moves the fields above one word on: readers start at `interval`.
//! - `_Py_DebugOffsets` (3.13+): the first field of `_PyRuntime`, cookie `xdebugpy`, then the
//!   version, whether the build is free-threaded, runtime_state {size, finalizing,
//!   interpreters_head}, then interpreter_state {size, id, next, threads_head, [3.14+:
//!   threads_main,] gc, imports_modules, sysdict, builtins, ceval_gil, gil_runtime_state,
//!   gil_runtime_state_enabled, gil_runtime_state_locked, gil_runtime_state_holder}, then
//!   thread_state {size, prev, next, interp, current_frame, thread_id, native_thread_id, …}
//!   (`Include/internal/pycore_runtime.h` in 3.13, `pycore_debug_offsets.h` from 3.14).
use serde::{Deserialize, Serialize};

/// A CPython version, major and minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version(pub u8, pub u8);

impl Version {
    /// From `PY_VERSION_HEX`: major in the top byte, minor in the next.
    pub fn from_hex(hex: u64) -> Version {
        Version((hex >> 24) as u8, (hex >> 16) as u8)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// The oldest CPython whose GIL gilsim reads (the state's layout above holds from 3.9).
pub const OLDEST: Version = Version(3, 9);

/// Byte offsets inside `_gil_runtime_state`.
pub mod gil_state {
    pub const INTERVAL: usize = 0;
    pub const LAST_HOLDER: usize = 8;
    pub const LOCKED: usize = 16;
    pub const SWITCH_NUMBER: usize = 24;
    /// The words above, read together.
    pub const WORDS_BYTES: usize = SWITCH_NUMBER + 8;
    /// The whole struct (3.9-3.13, 64-bit glibc): a thread asleep in `futex` on an address in
    /// it waits for the GIL.
    pub const BYTES: usize = 208;
}

/// How much of glibc's thread descriptor (`struct pthread`, where a `pthread_t` points) is
/// searched for the thread's 4-byte `tid`: its offset is calibrated, not known.
pub const PTHREAD_SCAN: usize = 2048;

/// A free-threaded build's object header (3.13t: `ob_tid`, `ob_flags`, `ob_mutex`,
/// `ob_gc_bits`, `ob_ref_local`, `ob_ref_shared`, `ob_type`) and what follows it.
pub mod free_threaded_object {
    /// `ob_mutex`: the per-object lock a critical section takes (a one-byte `PyMutex`).
    pub const OB_MUTEX: usize = 10;
    pub const OB_TYPE: usize = 24;
    /// The header's size: a `threading.Lock` (`lockobject`) keeps its `PyMutex` right after it.
    pub const HEADER: usize = 32;
    /// `PyTypeObject.tp_name`, after the header and `ob_size`.
    pub const TP_NAME: usize = 40;
}

/// CPython's parking lot (`Python/parking_lot.c`, 3.13): a thread that parks sleeps on the
/// semaphore of a `struct wait_entry { void *park_arg; uintptr_t addr; _PySemaphore sema; … }`
/// on its own stack; `addr` is what it waits for (a `PyMutex`, an event, a thread state).
pub mod parking_lot {
    /// From the semaphore (the futex the thread sleeps on) back to the entry.
    pub const SEMAPHORE: usize = 16;
    pub const ADDR: usize = 8;
    /// `park_arg` is NULL or points into the parked thread's own stack frame, near the entry.
    pub const NEAR: u64 = 64 * 1024;
}

/// One reading of the GIL's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub interval_us: u64,
    pub locked: bool,
    pub last_holder: usize,
    pub switch_number: u64,
}

impl Reading {
    /// Decodes the state's first `gil_state::WORDS_BYTES` bytes.
    pub fn decode(bytes: &[u8]) -> Reading {
        let locked = u32::from_le_bytes(
            bytes[gil_state::LOCKED..gil_state::LOCKED + 4]
                .try_into()
                .expect("4 bytes"),
        );
        Reading {
            interval_us: word(bytes, gil_state::INTERVAL),
            locked: locked == 1,
            last_holder: word(bytes, gil_state::LAST_HOLDER) as usize,
            switch_number: word(bytes, gil_state::SWITCH_NUMBER),
        }
    }
}

/// The little-endian word at byte `offset` of `bytes`.
pub fn word(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().expect("8 bytes"))
}

/// `_Py_DebugOffsets` as far as gilsim reads it.
pub mod debug_offsets {
    use super::{gil_state, word, Version};

    pub const COOKIE: &[u8; 8] = b"xdebugpy";
    /// The words of the header read: up to `thread_state.native_thread_id` of every known
    /// layout.
    pub const HEADER_WORDS: usize = 28;
    const VERSION: usize = 1;
    const FREE_THREADED: usize = 2;
    const INTERPRETERS_HEAD: usize = 5;

    /// Word indexes of the interpreter-state fields gilsim reads.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Layout {
        pub ceval_gil: usize,
        pub gil: usize,
        pub enabled: usize,
        pub locked: usize,
        pub holder: usize,
        pub native_thread_id: usize,
    }

    /// The layout of the header of CPython `version`.
    pub fn layout(version: Version) -> Option<Layout> {
        match version {
            Version(3, 13) => Some(Layout {
                ceval_gil: 14,
                gil: 15,
                enabled: 16,
                locked: 17,
                holder: 18,
                native_thread_id: 25,
            }),
            // 3.14 inserted `threads_main` after `threads_head`; 3.15 keeps 3.14's order.
            Version(3, 14) | Version(3, 15) => Some(Layout {
                ceval_gil: 15,
                gil: 16,
                enabled: 17,
                locked: 18,
                holder: 19,
                native_thread_id: 26,
            }),
            _ => None,
        }
    }

    /// What a header says, in offsets from the structs they belong to.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Header {
        pub version: Version,
        /// "3.13.5": major, minor and micro from `PY_VERSION_HEX`.
        pub version_text: VersionText,
        pub free_threaded: bool,
        /// Offset of `interpreters.head` in `_PyRuntime`.
        pub interpreters_head: usize,
        pub gil: Result<GilOffsets, NoGilOffsets>,
        /// Offset of `native_thread_id` in a thread state (None without a known layout).
        pub native_thread_id: Option<usize>,
    }

    /// Offsets in the interpreter state of the GIL's fields.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct GilOffsets {
        /// `ceval.gil`: a pointer to the GIL in use (to the start of its struct).
        pub ceval_gil: usize,
        /// The interpreter's own `_gil`: where its struct starts, and where its `interval`
        /// field starts (`gil_state`'s offsets hold from there).
        pub start: usize,
        pub state: usize,
        /// The free-threaded build's `enabled` field (None on a GIL build).
        pub enabled: Option<usize>,
    }

    /// A version with its micro release, from `PY_VERSION_HEX`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VersionText(pub [u8; 3]);

    impl std::fmt::Display for VersionText {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let [major, minor, micro] = self.0;
            write!(f, "{major}.{minor}.{micro}")
        }
    }

    /// Why a header gives no GIL offsets gilsim can use.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum NoGilOffsets {
        /// No layout known for the header's version.
        UnknownVersion,
        /// The layout says the GIL's fields are elsewhere than `gil_state` expects.
        FieldsElsewhere,
    }

    /// Reads the first `HEADER_WORDS` words of `_PyRuntime`; None without the cookie (a
    /// CPython before 3.13).
    pub fn parse(bytes: &[u8]) -> Option<Header> {
        if bytes.len() < 8 * HEADER_WORDS || &bytes[..8] != COOKIE {
            return None;
        }
        let w = |i: usize| word(bytes, 8 * i);
        let version = Version::from_hex(w(VERSION));
        let free_threaded = w(FREE_THREADED) != 0;
        let gil = match layout(version) {
            None => Err(NoGilOffsets::UnknownVersion),
            Some(l) => {
                // `interval` begins the fields gilsim reads: the struct's start on a GIL
                // build, one word after `enabled` on a free-threaded one.
                let state = w(l.gil) + if free_threaded { 8 } else { 0 };
                // `gil_runtime_state_enabled` is an offset inside the GIL's struct.
                let enabled_first = !free_threaded || w(l.enabled) == 0;
                if !enabled_first
                    || w(l.locked).checked_sub(state) != Some(gil_state::LOCKED as u64)
                    || w(l.holder).checked_sub(state) != Some(gil_state::LAST_HOLDER as u64)
                {
                    Err(NoGilOffsets::FieldsElsewhere)
                } else {
                    Ok(GilOffsets {
                        ceval_gil: w(l.ceval_gil) as usize,
                        start: w(l.gil) as usize,
                        state: state as usize,
                        enabled: free_threaded.then_some((w(l.gil) + w(l.enabled)) as usize),
                    })
                }
            }
        };
        let hex = w(VERSION);
        Some(Header {
            version,
            version_text: VersionText([(hex >> 24) as u8, (hex >> 16) as u8, (hex >> 8) as u8]),
            free_threaded,
            interpreters_head: w(INTERPRETERS_HEAD) as usize,
            gil,
            native_thread_id: layout(version).map(|l| w(l.native_thread_id) as usize),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::debug_offsets::{layout, parse, GilOffsets, NoGilOffsets, HEADER_WORDS};
    use super::*;

    #[test]
    fn the_debug_offsets_layout_follows_the_version() {
        let l13 = layout(Version(3, 13)).unwrap();
        let l14 = layout(Version(3, 14)).unwrap();
        // 3.14's `threads_main` moves every GIL field one word on.
        assert_eq!(
            (l13.ceval_gil, l13.gil, l13.enabled, l13.locked, l13.holder),
            (14, 15, 16, 17, 18)
        );
        assert_eq!(
            (l14.ceval_gil, l14.gil, l14.enabled, l14.locked, l14.holder),
            (15, 16, 17, 18, 19)
        );
        assert_eq!((l13.native_thread_id, l14.native_thread_id), (25, 26));
        assert_eq!(layout(Version(3, 15)), Some(l14));
        assert_eq!(layout(Version(3, 12)), None);
        assert_eq!(layout(Version(3, 16)), None);
    }

    /// A 3.13 header as the interpreter writes it, with the GIL's fields at `gil`.
    fn header(hex: u64, gil: u64, locked: u64) -> Vec<u8> {
        let mut words = [0u64; HEADER_WORDS];
        words[1] = hex;
        words[5] = 40;
        words[14] = 900;
        words[15] = gil;
        words[17] = locked;
        words[18] = gil + 8;
        words[25] = 200;
        let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        bytes[..8].copy_from_slice(b"xdebugpy");
        bytes
    }

    #[test]
    fn a_header_gives_the_version_and_the_gils_offsets() {
        let h = parse(&header(0x030d00f0, 1000, 1016)).unwrap();
        assert_eq!(h.version, Version(3, 13));
        assert_eq!(h.version.to_string(), "3.13");
        let offsets = GilOffsets {
            ceval_gil: 900,
            start: 1000,
            state: 1000,
            enabled: None,
        };
        assert_eq!((h.interpreters_head, h.gil), (40, Ok(offsets)));
        assert_eq!(h.native_thread_id, Some(200));
        assert!(!h.free_threaded);
        // Fields elsewhere than the reader expects, a version without a layout, no cookie.
        assert_eq!(
            parse(&header(0x030d00f0, 1000, 1020)).unwrap().gil,
            Err(NoGilOffsets::FieldsElsewhere)
        );
        assert_eq!(
            parse(&header(0x031000a0, 1000, 1016)).unwrap().gil,
            Err(NoGilOffsets::UnknownVersion)
        );
        assert_eq!(parse(&[0u8; 8 * HEADER_WORDS]), None);
    }

    #[test]
    fn a_free_threaded_header_puts_enabled_first_and_the_rest_one_word_on() {
        // 3.13t: `enabled` at the struct's start, `interval` 8 bytes on, `last_holder` at 16,
        // `locked` at 24 (as its own `_Py_DebugOffsets` says).
        let mut bytes = header(0x030d05f0, 1000, 1024);
        bytes[8 * 2..8 * 3].copy_from_slice(&1u64.to_le_bytes());
        bytes[8 * 18..8 * 19].copy_from_slice(&1016u64.to_le_bytes());
        let h = parse(&bytes).unwrap();
        assert!(h.free_threaded);
        assert_eq!(
            h.gil,
            Ok(GilOffsets {
                ceval_gil: 900,
                start: 1000,
                state: 1008,
                enabled: Some(1000),
            })
        );
        // The GIL build's offsets read as a free-threaded header are refused, not misread.
        bytes[8 * 17..8 * 18].copy_from_slice(&1016u64.to_le_bytes());
        bytes[8 * 18..8 * 19].copy_from_slice(&1008u64.to_le_bytes());
        assert_eq!(
            parse(&bytes).unwrap().gil,
            Err(NoGilOffsets::FieldsElsewhere)
        );
    }

    #[test]
    fn a_reading_decodes_the_four_words() {
        let mut bytes = vec![0u8; gil_state::WORDS_BYTES];
        bytes[..8].copy_from_slice(&5000u64.to_le_bytes());
        bytes[8..16].copy_from_slice(&0xdead_beefu64.to_le_bytes());
        bytes[16..20].copy_from_slice(&1u32.to_le_bytes());
        bytes[24..32].copy_from_slice(&42u64.to_le_bytes());
        assert_eq!(
            Reading::decode(&bytes),
            Reading {
                interval_us: 5000,
                locked: true,
                last_holder: 0xdead_beef,
                switch_number: 42,
            }
        );
    }
}
