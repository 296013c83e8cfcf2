//! What `gilsim watch` and `gilsim profile` cost the process they read: the study note's
//! countdown on 2 threads (the interpreter gilsim embeds) timed alone, with `watch` counting
//! hand-offs only (`--sample-rate 0`), with `watch` sampling the holder (default rate), and with
//! `profile` sampling stacks and states at its default 100 Hz, in rotating order so every
//! variant sees the same machine. Goals: counting-only and profiling ratios ≤ 1.02.
mod common;
use common::{median, GILSIM};
use criterion::{criterion_group, Criterion, SamplingMode};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// Waits for a line on stdin, then counts down 30,000,000 on 2 threads and prints its time.
const TARGET: &str = "import sys, threading, time\n\
def countdown(n):\n    while n > 0: n -= 1\n\
print('ready', flush=True)\nsys.stdin.readline()\n\
t0 = time.perf_counter()\n\
ts = [threading.Thread(target=countdown, args=(15000000,)) for _ in range(2)]\n\
[t.start() for t in ts]\n[t.join() for t in ts]\n\
print(time.perf_counter() - t0, flush=True)\n";

/// How the countdown is read from outside.
#[derive(Clone, Copy)]
enum Reader {
    Alone,
    Watch(&'static str),
    Profile,
}

const VARIANTS: [(&str, Reader); 4] = [
    ("alone", Reader::Alone),
    ("watched, counting", Reader::Watch("0")),
    ("watched, sampling", Reader::Watch("1000")),
    ("profiled, 100 Hz", Reader::Profile),
];
/// The variants with a cost goal.
const GOAL: [bool; 4] = [false, true, false, true];

/// (variant, seconds) in the order measured.
static TIMES: Mutex<Vec<(usize, f64)>> = Mutex::new(Vec::new());

fn line(child: &mut Child) -> String {
    let mut text = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut text)
        .unwrap();
    text.trim().to_string()
}

/// One timed countdown, read by `reader`.
fn countdown(python: &str, reader: Reader) -> f64 {
    let mut target = Command::new(python)
        .args(["-c", TARGET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(line(&mut target), "ready");
    let pid = target.id().to_string();
    let watcher = match reader {
        Reader::Alone => None,
        Reader::Watch(rate) => {
            let mut w = Command::new(GILSIM)
                .args(["watch", "--pid", &pid, "--every", "0.1"])
                .args(["--sample-rate", rate, "--format", "json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // The first interval line: attached and reading.
            assert!(line(&mut w).starts_with('{'), "watch attached");
            Some(w)
        }
        Reader::Profile => {
            let w = Command::new(GILSIM)
                .args(["profile", "--pid", &pid, "--format", "json"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // profile prints nothing until the end: give it time to attach and sample.
            std::thread::sleep(Duration::from_millis(500));
            Some(w)
        }
    };
    writeln!(target.stdin.as_mut().unwrap(), "go").unwrap();
    let seconds: f64 = line(&mut target).parse().unwrap();
    drop(target.stdin.take());
    target.wait().unwrap();
    if let Some(mut w) = watcher {
        // It ends by itself once the target has gone.
        assert!(w.wait().unwrap().success());
    }
    seconds
}

fn watch(c: &mut Criterion) {
    let python = common::embedded_python();
    let mut group = c.benchmark_group("watch");
    group
        .sample_size(40)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_nanos(1))
        .measurement_time(Duration::from_nanos(1));
    group.bench_function(
        "2-thread countdown: alone, counting, sampling, profiling (rotating)",
        |b| {
            b.iter_custom(|iters| {
                let mut total = 0.0;
                for i in 0..iters as usize {
                    for k in 0..VARIANTS.len() {
                        let v = (i + k) % VARIANTS.len();
                        let s = countdown(&python, VARIANTS[v].1);
                        TIMES.lock().unwrap().push((v, s));
                        total += s;
                    }
                }
                Duration::from_secs_f64(total)
            })
        },
    );
    group.finish();
}

fn report_ratios() {
    let times = TIMES.lock().unwrap().clone();
    // Rounds of four: each read run against the unread run of the same round.
    let rounds: Vec<[f64; 4]> = times
        .chunks_exact(4)
        .filter_map(|round| {
            let mut r = [f64::NAN; 4];
            for &(v, s) in round {
                r[v] = s;
            }
            r.iter().all(|s| s.is_finite()).then_some(r)
        })
        .collect();
    if rounds.is_empty() {
        return;
    }
    for (v, (name, _)) in VARIANTS.iter().enumerate().skip(1) {
        let mut ratios: Vec<f64> = rounds.iter().map(|r| r[v] / r[0]).collect();
        ratios.sort_by(f64::total_cmp);
        let (lo, hi) = median_interval(&ratios);
        let verdict = if !GOAL[v] {
            String::new()
        } else if hi <= 1.02 {
            "; goal ≤ 1.02: met".into()
        } else if lo > 1.02 {
            "; goal ≤ 1.02: missed".into()
        } else {
            "; goal ≤ 1.02: undetermined (the interval straddles it)".into()
        };
        println!(
            "{name} vs alone: {:.3} s vs {:.3} s (medians of {} rounds); median paired ratio {:.3}, 95 % interval {lo:.3}-{hi:.3}{verdict}",
            median(rounds.iter().map(|r| r[v]).collect()),
            median(rounds.iter().map(|r| r[0]).collect()),
            rounds.len(),
            median(ratios.clone()),
        );
    }
}

/// A distribution-free 95 % confidence interval of the median of sorted values: the order
/// statistics at n/2 ∓ 0.98·√n (the binomial's normal approximation).
fn median_interval(sorted: &[f64]) -> (f64, f64) {
    let n = sorted.len() as f64;
    let half = 0.98 * n.sqrt();
    let lo = ((n / 2.0 - half).floor().max(1.0) as usize).min(sorted.len()) - 1;
    let hi = ((n / 2.0 + half).ceil() as usize).clamp(1, sorted.len()) - 1;
    (sorted[lo], sorted[hi])
}

criterion_group!(benches, watch);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report_ratios();
}
