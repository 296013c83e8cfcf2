//! What a thread of a free-threaded CPython waits for when it sleeps in the interpreter's
//! parking lot: from the futex it sleeps on (its wait entry's semaphore) to the entry's `addr`,
//! then to the object around that address where there is one: a `threading.Lock` (its
//! `PyMutex` follows the object header) or any object's own lock (`ob_mutex`, taken by the
//! critical sections around a list's, dict's or other object's operations). A parked address
//! inside no object gilsim can name is an interpreter lock or event (stop-the-world pauses,
//! `threading.RLock`'s lock and the interpreter's internal locks are among them).
use super::memory::{read, read_u64};
use crate::measure::layout::{free_threaded_object as object, parking_lot};

/// What a parked thread waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParkedOn {
    /// A `threading.Lock` (also what `Condition`, `Event`, `queue.Queue` and `join` wait on).
    ThreadingLock,
    /// An object's own lock: a critical section on an object of this type.
    Object(String),
    /// A `PyMutex` or event outside any object gilsim can name.
    Unnamed,
}

impl ParkedOn {
    /// As stacks and verdicts name it.
    pub fn words(&self) -> String {
        match self {
            ParkedOn::ThreadingLock => "a threading.Lock".into(),
            ParkedOn::Object(t) => format!("a {t} object's lock (critical section)"),
            ParkedOn::Unnamed => "an interpreter lock or event".into(),
        }
    }
}

/// What the thread asleep on `futex` in process `pid` waits for; None when the futex is not a
/// parking-lot semaphore (its entry does not look like one) or cannot be read.
pub fn parked_on(pid: i32, futex: u64) -> Option<ParkedOn> {
    let entry = (futex as usize).checked_sub(parking_lot::SEMAPHORE)?;
    let park_arg = read_u64(pid, entry).ok()?;
    if park_arg != 0 && park_arg.abs_diff(futex) > parking_lot::NEAR {
        return None;
    }
    let addr = read_u64(pid, entry + parking_lot::ADDR).ok()? as usize;
    if addr == 0 || read(pid, addr, 1).is_err() {
        return None;
    }
    let named = |object_start: usize| type_name(pid, object_start);
    if let Some(name) = addr.checked_sub(object::HEADER).and_then(named) {
        if name == "_thread.lock" {
            return Some(ParkedOn::ThreadingLock);
        }
    }
    if let Some(name) = addr.checked_sub(object::OB_MUTEX).and_then(named) {
        return Some(ParkedOn::Object(name));
    }
    Some(ParkedOn::Unnamed)
}

/// The type name of the object at `start`, when it reads as one (a short dotted identifier).
fn type_name(pid: i32, start: usize) -> Option<String> {
    let ty = read_u64(pid, start + object::OB_TYPE).ok()? as usize;
    let name_at = read_u64(pid, ty.checked_add(object::TP_NAME)?).ok()? as usize;
    let bytes = read(pid, name_at, 64).ok()?;
    let name = &bytes[..bytes.iter().position(|&b| b == 0)?];
    let plausible = !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    plausible.then(|| String::from_utf8_lossy(name).into_owned())
}
