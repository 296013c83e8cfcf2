//! Benchmarks for the foundation:
//! - the Rust countdown's cost per iteration (the native twin of the seed's loop);
//! - embedding overhead: `gilsim run python/seed/countdown_single.py` against the same
//!   interpreter running it directly, as a ratio of medians measured in this one run
//!   (budget ≤ 1.03).
mod common;
use common::{median, seconds};
use criterion::{criterion_group, Criterion, Throughput};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

const ITERATIONS: u64 = 10_000_000;
use common::GILSIM;
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/python/seed/countdown_single.py"
);

fn rust_countdown(c: &mut Criterion) {
    let mut group = c.benchmark_group("rust_countdown");
    group.throughput(Throughput::Elements(ITERATIONS));
    group.bench_function("10M iterations", |b| {
        b.iter(|| gilsim::native::countdown::countdown(ITERATIONS))
    });
    group.finish();
}

static SAMPLES: Mutex<Vec<(f64, f64)>> = Mutex::new(Vec::new());

/// Each measured iteration runs the seed's script once directly and once under gilsim,
/// alternating, so both see the same machine; criterion times the gilsim side, and the pairs
/// give the ratio.
fn embedding_overhead(c: &mut Criterion) {
    assert!(Path::new(SCRIPT).is_file());
    let python = common::embedded_python();
    let mut group = c.benchmark_group("embedding_overhead");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function(
        "gilsim run countdown_single.py (paired with python3)",
        |b| {
            b.iter_custom(|iters| {
                let mut embedded = Duration::ZERO;
                for _ in 0..iters {
                    let direct = Duration::from_secs_f64(seconds(&python, &[SCRIPT]));
                    let run =
                        Duration::from_secs_f64(seconds(GILSIM, &["run", "--no-footer", SCRIPT]));
                    SAMPLES
                        .lock()
                        .unwrap()
                        .push((run.as_secs_f64(), direct.as_secs_f64()));
                    embedded += run;
                }
                embedded
            })
        },
    );
    group.finish();
}

fn report_ratio() {
    let samples = SAMPLES.lock().unwrap().clone();
    if samples.is_empty() {
        return;
    }
    let embedded = median(samples.iter().map(|s| s.0).collect());
    let direct = median(samples.iter().map(|s| s.1).collect());
    let paired = median(samples.iter().map(|s| s.0 / s.1).collect());
    println!(
        "embedding overhead: gilsim run {embedded:.3} s vs python {direct:.3} s (medians of {} pairs); \
         ratio of medians {:.3}, median paired ratio {paired:.3} (budget 1.03)",
        samples.len(),
        embedded / direct
    );
}

criterion_group!(benches, rust_countdown, embedding_overhead);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report_ratio();
}
