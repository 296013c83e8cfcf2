//! CLOCK_MONOTONIC as seconds: one clock shared by every process on the machine (the same one
//! Python's time.monotonic() reads), so a time stamp taken in one process can be compared in
//! another.
use nix::time::{clock_gettime, ClockId};

pub fn monotonic_s() -> f64 {
    monotonic_ns() as f64 * 1e-9
}

/// The same clock in whole nanoseconds.
pub fn monotonic_ns() -> i64 {
    let ts = read(ClockId::CLOCK_MONOTONIC);
    ts.tv_sec() * 1_000_000_000 + ts.tv_nsec()
}

/// CPU time of the calling thread, in seconds.
pub fn thread_cpu_s() -> f64 {
    let ts = read(ClockId::CLOCK_THREAD_CPUTIME_ID);
    ts.tv_sec() as f64 + ts.tv_nsec() as f64 * 1e-9
}

/// A clock that every Linux has: clock_gettime cannot fail for it.
fn read(clock: ClockId) -> nix::sys::time::TimeSpec {
    clock_gettime(clock).expect("clock_gettime on a standard clock")
}
