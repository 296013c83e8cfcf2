//! The GIL instrument's cost: the 2-thread countdown with GIL stats on vs off (budget ≤ 1.02)
//! and with the gilknocker-style probe at 1 ms vs off (reported; gilknocker's published
//! figure is +3 %). Runs alternate within one criterion group, so the ratios compare like
//! with like; they are printed at the end from medians of this one run.
mod common;
use common::bench_figure;
use criterion::{criterion_group, Criterion};

const BASE: &[&str] = &[
    "countdown",
    "--runtimes",
    "python-threads",
    "--threads",
    "2",
    "--count",
    "20000000",
    "--repeat",
    "1",
    "--warmup",
    "0",
];

fn wall(r: &serde_json::Value) -> f64 {
    r["wall_s"]["median"].as_f64().unwrap()
}

fn overhead(c: &mut Criterion) {
    // Interleave the three settings several times so that drift hits all of them alike.
    for round in 0..3 {
        for (name, extra) in [
            ("gil-stats-off", &["--no-gil-stats"][..]),
            ("gil-stats-on", &[][..]),
            (
                "probe-1ms",
                &["--no-gil-stats", "--probe-interval", "1"][..],
            ),
        ] {
            let mut args = BASE.to_vec();
            args.extend_from_slice(extra);
            bench_figure(
                c,
                &format!("countdown_2_threads_round{round}"),
                name,
                &args,
                wall,
            );
        }
    }
}

fn report() {
    let pooled = |name: &str| -> Option<f64> {
        let mut all = Vec::new();
        let samples = common::SAMPLES.lock().unwrap();
        for (k, v) in samples.iter() {
            if k.ends_with(&format!("/{name}")) {
                all.extend(v.iter().copied());
            }
        }
        (!all.is_empty()).then(|| common::median(all))
    };
    if let (Some(off), Some(on), Some(probe)) = (
        pooled("gil-stats-off"),
        pooled("gil-stats-on"),
        pooled("probe-1ms"),
    ) {
        println!(
            "\nGIL stats overhead: on {on:.4} s / off {off:.4} s = {:.3} (budget 1.02)\nprobe at 1 ms: {probe:.4} s / off {off:.4} s = {:.3} (gilknocker publishes +3 %)",
            on / off,
            probe / off
        );
    }
}

criterion_group!(benches, overhead);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
