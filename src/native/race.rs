//! The Rust twin of "the GIL is not a lock for your data": threads incrementing one counter,
//! either as a separate read and write (a race without any undefined behaviour: each access is
//! atomic, the pair is not) or as one atomic add.
use std::sync::atomic::{AtomicU64, Ordering};

/// Increments lost when `threads` threads each add 1 `per_thread` times.
pub fn lost_updates(threads: usize, per_thread: u64, atomic_add: bool) -> u64 {
    let counter = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    if atomic_add {
                        counter.fetch_add(1, Ordering::Relaxed);
                    } else {
                        let v = counter.load(Ordering::Relaxed);
                        counter.store(std::hint::black_box(v) + 1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    threads as u64 * per_thread - counter.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_add_loses_nothing() {
        assert_eq!(lost_updates(4, 100_000, true), 0);
        // One thread cannot race with itself.
        assert_eq!(lost_updates(1, 100_000, false), 0);
    }
}
