//! The GIL instrument's cost: the 2-thread countdown with GIL stats on (the default: exact
//! counter in the timed runs, sampler in a separate run) vs off (budget ≤ 1.02), with the
//! sampler during the timed runs vs off, and with the
//! gilknocker-style probe at 1 ms vs off (reported; gilknocker's published figure is +3 %). On this kind of machine run-to-run drift (±5 %) is larger than the budget,
//! so the settings alternate run by run (rotating which goes first) and the ratios are
//! medians of the per-round ratios, printed at the end from this one run.
mod common;
use common::words;
use common::{first_row, median};
use criterion::{criterion_group, Criterion, SamplingMode};
use std::sync::Mutex;
use std::time::Duration;

const BASE: &str =
    "countdown --runtimes python-threads --threads 2 --count 20000000 --repeat 1 --warmup 0";

/// Off first: every ratio is against it. `gil-stats` is the default (`separate`: the timed
/// runs carry the exact counter, the sampler runs in one more, untimed run).
const SETTINGS: [(&str, &[&str]); 4] = [
    ("off", &["--no-gil-stats"]),
    ("gil-stats", &[]),
    ("continuous", &["--gil-sampling", "continuous"]),
    ("probe-1ms", &["--no-gil-stats", "--probe-interval", "1"]),
];

/// One wall time per setting per round.
static ROUNDS: Mutex<Vec<[f64; SETTINGS.len()]>> = Mutex::new(Vec::new());

fn wall(extra: &[&str]) -> f64 {
    let mut args = words(BASE);
    args.extend_from_slice(extra);
    first_row(&args)["wall_s"]["median"].as_f64().unwrap()
}

fn overhead(c: &mut Criterion) {
    let mut g = c.benchmark_group("countdown_2_threads");
    // Each sample is one round of the settings; criterion times the gil-stats run.
    g.sample_size(25)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_nanos(1))
        .measurement_time(Duration::from_nanos(1));
    g.bench_function("gil-stats_interleaved_with_off_continuous_probe", |b| {
        b.iter_custom(|iters| {
            let mut total = 0.0;
            for _ in 0..iters {
                let mut round = [0.0; SETTINGS.len()];
                let first = ROUNDS.lock().unwrap().len();
                for k in 0..SETTINGS.len() {
                    let i = (first + k) % SETTINGS.len();
                    round[i] = wall(SETTINGS[i].1);
                }
                total += round[1];
                ROUNDS.lock().unwrap().push(round);
            }
            Duration::from_secs_f64(total)
        })
    });
    g.finish();
}

fn report() {
    let rounds = ROUNDS.lock().unwrap();
    if rounds.is_empty() {
        return;
    }
    let column = |i: usize| median(rounds.iter().map(|r| r[i]).collect());
    let ratio = |i: usize| median(rounds.iter().map(|r| r[i] / r[0]).collect());
    let medians: Vec<String> = SETTINGS
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("{name} {:.4} s", column(i)))
        .collect();
    println!("\n{} rounds, medians: {}", rounds.len(), medians.join(", "));
    println!(
        "GIL stats overhead (default, sampler in a separate run): median per-round ratio on/off = {:.3} (budget 1.02)",
        ratio(1)
    );
    println!(
        "sampler during the timed runs (--gil-sampling continuous): median per-round ratio continuous/off = {:.3}",
        ratio(2)
    );
    println!(
        "probe at 1 ms: median per-round ratio probe/off = {:.3} (gilknocker publishes +3 %)",
        ratio(3)
    );
}

criterion_group!(benches, overhead);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
