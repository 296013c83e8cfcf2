//! Benchmarks for processes (run through the real gilsim binary, each figure measured inside
//! its worker):
//! - process start-up per start method (Python Pool(1) until its worker is ready) and per Rust
//!   gilsim child process;
//! - pool overhead per item (fork, 1024 items, no work) at chunksize 1 and at the default;
//! - queue throughput (messages/s, no sleeps) for each variant and the Rust twins.
//!
//! Ratios between rows are printed at the end, from medians measured in this one run.
mod common;
use common::words;
use common::{bench_figure, median, SAMPLES};
use criterion::{criterion_group, Criterion};

fn startup(c: &mut Criterion) {
    for sm in ["spawn", "forkserver", "fork"] {
        bench_figure(
            c,
            "process_startup",
            &format!("python-{sm}"),
            &[
                "pool",
                "--workers",
                "1",
                "--items",
                "1",
                "--method",
                "with",
                "--runtimes",
                "python-processes",
                "--start-method",
                sm,
                "--repeat",
                "1",
                "--warmup",
                "0",
            ],
            |r| r["startup_s"].as_f64().unwrap(),
        );
    }
    bench_figure(
        c,
        "process_startup",
        "rust-process",
        &words("pool --workers 1 --items 1 --runtimes rust-processes --repeat 1 --warmup 0"),
        |r| r["startup_s"].as_f64().unwrap(),
    );
}

fn pool_overhead(c: &mut Criterion) {
    for (name, chunk) in [("chunksize-1", Some("1")), ("chunksize-default", None)] {
        let mut args = words("pool --items 1024 --method with --runtimes python-processes --start-method fork --repeat 1 --warmup 0");
        if let Some(c) = chunk {
            args.extend(["--chunksize", c]);
        }
        // Per item: the map's time divided by the items.
        bench_figure(c, "pool_map_per_item", name, &args, |r| {
            r["map_s"].as_f64().unwrap() / 1024.0
        });
    }
}

fn queue_throughput(c: &mut Criterion) {
    let rows: [(&str, &[&str]); 5] = [
        (
            "python-process",
            &words("--runtimes python --variant process"),
        ),
        (
            "python-process-class",
            &words("--runtimes python --variant process-class"),
        ),
        (
            "python-thread",
            &words("--runtimes python --variant thread"),
        ),
        ("rust-threads", &["--runtimes", "rust-threads"]),
        ("rust-processes", &["--runtimes", "rust-processes"]),
    ];
    for (name, extra) in rows {
        let mut args = words("queue --messages 5000 --interval 0");
        args.extend_from_slice(extra);
        // Seconds per message (criterion shows its inverse as throughput-like figures below).
        bench_figure(c, "queue_seconds_per_message", name, &args, |r| {
            1.0 / r["messages_per_s"].as_f64().unwrap()
        });
    }
}

fn report() {
    let samples = SAMPLES.lock().unwrap();
    let m = |k: &str| samples.get(k).map(|v| median(v.clone()));
    println!("\nmedians from this run:");
    for (k, v) in samples.iter() {
        println!("  {k}: {:.6} s ({} samples)", median(v.clone()), v.len());
    }
    if let (Some(s), Some(f)) = (
        m("process_startup/python-spawn"),
        m("process_startup/python-fork"),
    ) {
        println!("  start-up spawn / fork: ×{:.1}", s / f);
    }
    if let (Some(s), Some(f)) = (
        m("process_startup/python-forkserver"),
        m("process_startup/python-fork"),
    ) {
        println!("  start-up forkserver / fork: ×{:.1}", s / f);
    }
    if let (Some(p), Some(r)) = (
        m("process_startup/python-fork"),
        m("process_startup/rust-process"),
    ) {
        println!("  start-up python fork / rust process: ×{:.1}", p / r);
    }
    if let (Some(one), Some(def)) = (
        m("pool_map_per_item/chunksize-1"),
        m("pool_map_per_item/chunksize-default"),
    ) {
        println!("  pool per item, chunksize 1 / default: ×{:.1}", one / def);
    }
    for k in [
        "python-process",
        "python-process-class",
        "python-thread",
        "rust-threads",
        "rust-processes",
    ] {
        if let Some(s) = m(&format!("queue_seconds_per_message/{k}")) {
            println!("  queue {k}: {:.0} messages/s", 1.0 / s);
        }
    }
}

criterion_group!(benches, startup, pool_overhead, queue_throughput);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
