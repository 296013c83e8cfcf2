//! CLOCK_MONOTONIC as seconds: one clock shared by every process on the machine (the same one
//! Python's time.monotonic() reads), so a time stamp taken in one process can be compared in
//! another.
pub fn monotonic_s() -> f64 {
    monotonic_ns() as f64 * 1e-9
}

/// The same clock in whole nanoseconds.
pub fn monotonic_ns() -> i64 {
    // SAFETY: clock_gettime only writes into the struct we own.
    let ts = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
        ts
    };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// CPU time of the calling thread, in seconds.
pub fn thread_cpu_s() -> f64 {
    // SAFETY: clock_gettime only writes into the struct we own.
    let ts = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        ts
    };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
