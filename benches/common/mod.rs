//! Shared by the benchmarks that drive the real gilsim binary: run a scenario, read a figure
//! from its JSON report, hand criterion that figure, and keep every sample for ratios.
#![allow(dead_code)]
use criterion::{Criterion, SamplingMode};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

pub const GILSIM: &str = env!("CARGO_BIN_EXE_gilsim");

pub static SAMPLES: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

/// A command line's words: `words("countdown --repeat 1")`.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Runs a gilsim scenario once (JSON) and returns its first row.
pub fn first_row(args: &[&str]) -> Value {
    let out = Command::new(GILSIM)
        .args(args)
        .args(["--format", "json"])
        .stderr(std::process::Stdio::null())
        .output()
        .expect("gilsim runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let row = doc["results"][0].clone();
    if let Some(status) = row.get("status") {
        assert_eq!(status, "ok", "gilsim {args:?} failed: {row}");
    }
    row
}

/// A benchmark whose per-iteration figure (seconds) is read from the report.
pub fn bench_figure(
    c: &mut Criterion,
    group: &str,
    name: &str,
    args: &[&str],
    figure: fn(&Value) -> f64,
) {
    let mut g = c.benchmark_group(group);
    // Flat sampling and tiny time targets: the figures are far smaller than the commands that
    // measure them, so criterion's usual ramp of iterations per sample would run for minutes;
    // this way each of the 10 samples is one run of the command.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_nanos(1))
        .measurement_time(Duration::from_nanos(1));
    let key = format!("{group}/{name}");
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = 0.0;
            for _ in 0..iters {
                let seconds = figure(&first_row(args));
                SAMPLES
                    .lock()
                    .unwrap()
                    .entry(key.clone())
                    .or_default()
                    .push(seconds);
                total += seconds;
            }
            Duration::from_secs_f64(total)
        })
    });
    g.finish();
}

/// The interpreter gilsim embeds, as `gilsim doctor` names it (its sys.executable).
pub fn embedded_python() -> String {
    let out = Command::new(GILSIM)
        .arg("doctor")
        .output()
        .expect("gilsim doctor runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("sys.executable"))
        .map(|s| s.trim().to_string())
        .expect("doctor names sys.executable")
}

/// The median of owned samples (gilsim's own `stats::median`).
pub fn median(v: Vec<f64>) -> f64 {
    gilsim::stats::median(&v)
}

/// Wall seconds of one successful run of a command, its output discarded.
pub fn seconds(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> f64 {
    let program = program.as_ref();
    let start = std::time::Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("runs");
    assert!(status.success(), "{program:?} {args:?} failed");
    start.elapsed().as_secs_f64()
}
