//! The Python package's cost: `gilsim run python/seed/countdown_single.py` from the package
//! against the same virtual environment's `python` running the same script, in pairs whose
//! order alternates so both see the same machine. Goal: the fastest-runs ratio within 3 %.
//!
//! Reads the virtual environments from `GILSIM_PACKAGE_VENVS` (colon-separated; e.g. one
//! installed from the wheel and one with `pip install .`); without it, says so and measures
//! nothing.
mod common;
use common::seconds;
use criterion::{criterion_group, Criterion, SamplingMode};
use gilsim::stats::{fastest_ratio, median, Summary};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/python/seed/countdown_single.py"
);

/// (package, python) wall times of each pair.
type Pairs = Vec<(f64, f64)>;
/// Per venv, its pairs.
static PAIRS: Mutex<Vec<(PathBuf, Pairs)>> = Mutex::new(Vec::new());

fn venvs() -> Vec<PathBuf> {
    std::env::var_os("GILSIM_PACKAGE_VENVS")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default()
}

fn package(c: &mut Criterion) {
    let venvs = venvs();
    if venvs.is_empty() {
        println!("package: skipped (set GILSIM_PACKAGE_VENVS to venvs holding the package)");
        return;
    }
    let mut group = c.benchmark_group("package");
    // Each sample is one pair; criterion's ramp would run for many minutes.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_nanos(1))
        .measurement_time(Duration::from_nanos(1));
    for venv in venvs {
        let (gilsim, python) = (venv.join("bin/gilsim"), venv.join("bin/python"));
        let name = format!("gilsim run vs python, {}", venv.display());
        let mut flip = false;
        group.bench_function(&name, |b| {
            b.iter_custom(|iters| {
                let mut total = 0.0;
                for _ in 0..iters {
                    flip = !flip;
                    let (run, plain) = if flip {
                        let run = seconds(&gilsim, &["run", SCRIPT]);
                        (run, seconds(&python, &[SCRIPT]))
                    } else {
                        let plain = seconds(&python, &[SCRIPT]);
                        (seconds(&gilsim, &["run", SCRIPT]), plain)
                    };
                    let mut all = PAIRS.lock().unwrap();
                    match all.iter_mut().find(|(v, _)| *v == venv) {
                        Some((_, pairs)) => pairs.push((run, plain)),
                        None => all.push((venv.clone(), vec![(run, plain)])),
                    }
                    total += run;
                }
                Duration::from_secs_f64(total)
            })
        });
    }
    group.finish();
}

fn report_ratios() {
    for (venv, pairs) in PAIRS.lock().unwrap().iter() {
        let run = Summary::of(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
        let plain = Summary::of(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
        let ratios: Vec<f64> = pairs.iter().map(|(r, p)| r / p).collect();
        let (point, range) = fastest_ratio(&run, &plain);
        let range = range.map_or("no range".into(), |[lo, hi]| format!("{lo:.3}-{hi:.3}"));
        println!(
            "package {}: gilsim run {:.3} s, python {:.3} s (fastest of {} pairs); ratio {:.3} \
             (95 % range {range}; median paired ratio {:.3}; goal ≤ 1.03)",
            venv.display(),
            run.min,
            plain.min,
            pairs.len(),
            point.unwrap_or(f64::NAN),
            median(&ratios),
        );
    }
}

criterion_group!(benches, package);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report_ratios();
}
