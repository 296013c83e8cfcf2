//! The demo's cost: `gilsim` with no arguments against one run of the study note's
//! single-thread countdown (`python3 python/seed/countdown_single.py`, the interpreter gilsim
//! embeds), paired and alternating so both see the same machine. Goal: ratio ≤ 10.
mod common;
use common::{median, seconds, GILSIM};
use criterion::{criterion_group, Criterion, SamplingMode};
use std::sync::Mutex;
use std::time::Duration;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/python/seed/countdown_single.py"
);

static PAIRS: Mutex<Vec<(f64, f64)>> = Mutex::new(Vec::new());

fn demo(c: &mut Criterion) {
    let python = common::embedded_python();
    let mut group = c.benchmark_group("demo");
    // Each sample is one pair: criterion's ramp would run the demo for many minutes.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_nanos(1))
        .measurement_time(Duration::from_nanos(1));
    group.bench_function("gilsim (no arguments), paired with one seed run", |b| {
        b.iter_custom(|iters| {
            let mut total = 0.0;
            for _ in 0..iters {
                let seed = seconds(&python, &[SCRIPT]);
                let demo = seconds(GILSIM, &[]);
                PAIRS.lock().unwrap().push((demo, seed));
                total += demo;
            }
            Duration::from_secs_f64(total)
        })
    });
    group.finish();
}

fn report_ratio() {
    let pairs = PAIRS.lock().unwrap().clone();
    if pairs.is_empty() {
        return;
    }
    let ratios: Vec<f64> = pairs.iter().map(|(d, s)| d / s).collect();
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    println!(
        "demo vs one seed run: demo {:.2} s, seed {:.2} s (medians of {} pairs); median paired ratio {:.2} (range {lo:.2}-{hi:.2}; goal ≤ 10)",
        median(pairs.iter().map(|p| p.0).collect()),
        median(pairs.iter().map(|p| p.1).collect()),
        pairs.len(),
        median(ratios),
    );
}

criterion_group!(benches, demo);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report_ratio();
}
