//! The study note's countdown loop in Rust, on real OS threads.
use crate::domain::ThreadUsage;
use crate::measure::rusage::{Usage, Who};
use std::hint::black_box;

/// `while n > 0: n -= 1`. `black_box` on every step keeps the compiler from folding the loop
/// into a constant, so each iteration is a real decrement and compare.
pub fn countdown(n: u64) {
    let mut n = black_box(n);
    while n > 0 {
        n = black_box(n - 1);
    }
}

pub use gilsim_sim::split;

/// Runs the countdown on `workers` new threads (one thread too, so that 1 and N run in the same
/// arrangement) and returns each thread's own CPU time.
pub fn run_threads(count: u64, workers: usize) -> Vec<ThreadUsage> {
    on_threads(&split(count, workers), "rust", |_, n| countdown(n))
}

/// Runs `work(i, share)` for each share on its own named thread (`{prefix}-{i+1}`) and returns
/// each thread's own CPU time, read in the thread as it finishes.
pub fn on_threads(
    shares: &[u64],
    prefix: &str,
    work: impl Fn(usize, u64) + Sync,
) -> Vec<ThreadUsage> {
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let name = format!("{prefix}-{}", i + 1);
                std::thread::Builder::new()
                    .name(name.clone())
                    .spawn_scoped(scope, move || {
                        work(i, n);
                        ThreadUsage::new(&name, Usage::of(Who::Thread))
                    })
                    .expect("spawning a countdown thread")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("countdown thread panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_exact_and_even() {
        assert_eq!(split(50_000_000, 2), vec![25_000_000, 25_000_000]);
        assert_eq!(split(7, 3), vec![3, 2, 2]);
        assert_eq!(split(7, 3).iter().sum::<u64>(), 7);
    }

    #[test]
    fn threads_report_one_usage_each() {
        let usages = run_threads(1_000_000, 3);
        assert_eq!(usages.len(), 3);
        assert_eq!(usages[2].name, "rust-3");
    }
}
