//! The countdown in Rust under a Rust implementation of CPython's new-GIL protocol: the same
//! timed wait of one switch interval, drop request, drop at the next check and forced hand-off
//! (`FORCE_SWITCHING`). It shows that the lock protocol, not Python, serialises the work: the
//! threads are as fast as Rust, yet only one runs at a time.
use crate::domain::ThreadUsage;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

struct State {
    locked: bool,
    last_holder: Option<usize>,
    switch_number: u64,
}

pub struct Gil {
    state: Mutex<State>,
    cond: Condvar,
    switch_cond: Condvar,
    drop_request: AtomicBool,
    interval: Duration,
}

impl Gil {
    pub fn new(interval: Duration) -> Gil {
        Gil {
            state: Mutex::new(State {
                locked: false,
                last_holder: None,
                switch_number: 0,
            }),
            cond: Condvar::new(),
            switch_cond: Condvar::new(),
            drop_request: AtomicBool::new(false),
            interval,
        }
    }

    /// take_gil.
    pub fn take(&self, me: usize) {
        let mut s = self.state.lock().expect("gil mutex");
        while s.locked {
            let saved = s.switch_number;
            let (next, timeout) = self.cond.wait_timeout(s, self.interval).expect("gil mutex");
            s = next;
            // Timed out with no switch meanwhile: ask the holder to drop it.
            if timeout.timed_out() && s.locked && s.switch_number == saved {
                self.drop_request.store(true, Ordering::Release);
            }
        }
        s.locked = true;
        if s.last_holder != Some(me) {
            s.last_holder = Some(me);
            s.switch_number += 1;
        }
        self.drop_request.store(false, Ordering::Release);
        // Wake a thread waiting in `drop` for someone to take over.
        self.switch_cond.notify_all();
    }

    /// drop_gil; with `forced`, wait until another thread has taken the GIL.
    pub fn drop_gil(&self, me: usize, forced: bool) {
        let mut s = self.state.lock().expect("gil mutex");
        s.locked = false;
        self.cond.notify_one();
        if forced {
            // A drop request comes from a waiter, so someone will take it.
            while s.last_holder == Some(me) {
                s = self.switch_cond.wait(s).expect("gil mutex");
            }
        }
    }

    pub fn switches(&self) -> u64 {
        self.state.lock().expect("gil mutex").switch_number
    }

    /// The eval-breaker check: true when the holder should drop the GIL now.
    #[inline]
    pub fn drop_requested(&self) -> bool {
        self.drop_request.load(Ordering::Relaxed)
    }
}

/// Chunks of the loop between eval-breaker checks (CPython checks on every backward jump; a
/// check per 64 iterations keeps the atomic load out of the way of a 0.3 ns loop).
const CHECK_EVERY: u64 = 64;

fn countdown_under(gil: &Gil, me: usize, n: u64) {
    gil.take(me);
    let mut n = black_box(n);
    while n > 0 {
        let chunk = n.min(CHECK_EVERY);
        for _ in 0..chunk {
            n = black_box(n - 1);
        }
        if gil.drop_requested() {
            gil.drop_gil(me, true);
            gil.take(me);
        }
    }
    gil.drop_gil(me, false);
}

/// Runs the countdown on `workers` threads that must hold the Rust GIL to make progress.
/// Returns each thread's CPU time and the number of hand-offs.
pub fn run_threads(count: u64, workers: usize, interval: Duration) -> (Vec<ThreadUsage>, u64) {
    let gil = Gil::new(interval);
    let shares = super::countdown::split(count, workers);
    let start_switches = gil.switches();
    let usages =
        super::countdown::on_threads(&shares, "rust-gil", |i, n| countdown_under(&gil, i, n));
    // Taking the GIL the first time counts as a switch in this bookkeeping; CPython does not
    // count the first take either, so leave it out.
    let switches = gil.switches().saturating_sub(start_switches + 1);
    (usages, switches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn two_threads_take_turns() {
        let start = Instant::now();
        let (usages, switches) = run_threads(400_000_000, 2, Duration::from_millis(5));
        let wall = start.elapsed().as_secs_f64();
        assert_eq!(usages.len(), 2);
        let cpu: f64 = usages.iter().map(|u| u.cpu_s).sum();
        // Serialised by the protocol: the two threads' CPU time cannot exceed ~1.3 × wall.
        assert!(cpu < 1.3 * wall, "cpu {cpu} wall {wall}");
        assert!(switches >= 2, "{switches} hand-offs in {wall} s");
    }
}
