//! `gilsim simulate --validate --gil old`: the old GIL's model against a real old interpreter.
//! Python 2.7 (found as `gilsim interpreters` finds it) runs the study note's countdown on 1
//! and 2 threads, on all CPUs and on one (`sched_setaffinity`), as a subprocess measured from
//! outside (wall, CPU, context switches from `wait4`). Its 1-thread time calibrates the
//! model's time per iteration; the other settings are predicted, with the model's cores set to
//! the trial's CPUs.
pub mod alternating;
mod rows;

pub use rows::OldRow;

use crate::measure::rusage::Usage;
use crate::report::progress::Progress;
use crate::report::units::{seconds, thousands};
use crate::report::{Document, Host};
use crate::runner::external;
use crate::runner::rounds;
use crate::scenario::countdown::external::run_driver;
use crate::scenario::spec::SimulateSpec;
use crate::sim::{self, Params, Policy, Scenario};
use crate::stats::{fast_half_mean, median};
use anyhow::{bail, Context, Result};
use serde_json::json;

/// All the CPUs (`cores`, else the machine's) and Beazley's comparison: the runs on all of
/// them and on one (sched_setaffinity for the trial); just one where there is one.
pub(crate) fn cpu_counts(cores: Option<usize>) -> (usize, Vec<usize>) {
    let all = cores.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |c| c.get()));
    (all, if all > 1 { vec![all, 1] } else { vec![1] })
}

pub fn validate(spec: &SimulateSpec) -> Result<Document<OldRow>> {
    let Some(found) = &spec.old_gil_python else {
        bail!("the old GIL is validated against a real Python 2.7, and none was given");
    };
    let python = found.path.clone();
    let count = spec.count.unwrap_or(20_000_000);
    let timeout = spec.timeout;
    let threads = if spec.threads.is_empty() {
        vec![1, 2]
    } else {
        spec.threads.clone()
    };
    if !threads.contains(&1) {
        crate::usage_bail!("--threads must include 1: the 1-thread run calibrates the model");
    }
    let (all_cpus, cpu_counts) = cpu_counts(spec.cores);
    let settings: Vec<(usize, usize)> = cpu_counts
        .iter()
        .flat_map(|&c| threads.iter().map(move |&n| (n, c)))
        .collect();
    let mut progress = Progress::new(settings.len() * spec.repeat);
    // Settings take turns in a fresh random order each round (see `runner::rounds`).
    let mut measured: Vec<Vec<external::External>> = settings.iter().map(|_| Vec::new()).collect();
    rounds::fixed(settings.len(), spec.seed, spec.repeat, |turn| {
        let (n, c) = settings[turn.setting];
        progress.start(&format!(
            "Python 2.7, {n} thread{} on {c} CPU{}, run {}/{}",
            if n == 1 { "" } else { "s" },
            if c == 1 { "" } else { "s" },
            turn.round + 1,
            spec.repeat
        ));
        let limit = (c < all_cpus || all_cpus == 1).then_some(c);
        let (_, out) = run_driver(&python, count, n, "threads", limit, timeout)
            .context("running Python 2.7")?;
        measured[turn.setting].push(out);
        Ok(())
    })?;
    progress.finish();
    // As `calibrate` measures: the fastest half's mean (see `stats::fast_half`).
    let walls: Vec<f64> = measured
        .iter()
        .map(|runs| fast_half_mean(&runs.iter().map(|r| r.wall_s).collect::<Vec<_>>()))
        .collect();
    let one_on = |c: usize| {
        settings
            .iter()
            .position(|&(n, cc)| n == 1 && cc == c)
            .map(|k| walls[k])
            .expect("checked above")
    };
    let params = Params {
        source: "old-GIL defaults, time per iteration from Python 2.7's own 1-thread run".into(),
        iteration_s: one_on(all_cpus) / count as f64,
        ..Params::default()
    };
    let rows: Vec<OldRow> = settings
        .iter()
        .zip(measured.iter().zip(&walls))
        .map(|(&(n, c), (runs, &wall))| {
            let model = |threads: usize| old_gil_wall(&params, threads, count, c, spec.seed);
            let predicted = model(n);
            OldRow {
                python: found.version.clone(),
                threads: n,
                cpus: c,
                measured_wall_s: wall,
                measured_cpu_s: of(runs, &|u| u.cpu_s()),
                ctx_switches: (
                    of(runs, &|u| u.voluntary as f64) as i64,
                    of(runs, &|u| u.involuntary as f64) as i64,
                ),
                predicted_wall_s: predicted,
                wall_error: (predicted - wall) / wall,
                slowdown: wall / one_on(c),
                predicted_slowdown: predicted / model(1),
            }
        })
        .collect();
    let verdict = verdict(&rows, all_cpus);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "simulate-validate-old".into(),
        params: json!({
            "count": count,
            "threads": threads,
            "cpus": cpu_counts,
            "repeat": spec.repeat,
            "python": python,
            "model": params,
        }),
        host: Host::new(None),
        results: rows,
        verdict,
    })
}

/// The old-GIL model's wall for `threads` CPU-bound threads on `cores` cores.
pub(crate) fn old_gil_wall(
    params: &Params,
    threads: usize,
    count: u64,
    cores: usize,
    seed: u64,
) -> f64 {
    sim::simulate(
        params,
        &Scenario {
            cpu_threads: threads,
            count,
            io_threads: 0,
            cores,
            switch_interval_s: 0.005,
            policy: Policy::Old,
            seed,
            duration_s: None,
            record: false,
            main_thread: false,
            exact: true,
        },
    )
    .wall_s
}

/// Each multi-thread setting against one thread, then Beazley's direction (2 threads slower
/// on all CPUs than on one) as measured and as modelled.
fn verdict(rows: &[OldRow], all_cpus: usize) -> String {
    let mut text: Vec<String> = rows
        .iter()
        .filter(|r| r.threads > 1)
        .map(|r| {
            format!(
                "Python {} (old GIL), {} threads on {} CPU{}: {} (×{:.2} one thread), CPU/wall {:.2}, {} voluntary / {} involuntary context switches; the old-GIL model predicted {} (×{:.2}, {:+.1} %).",
                r.python,
                r.threads,
                r.cpus,
                if r.cpus == 1 { "" } else { "s" },
                seconds(r.measured_wall_s),
                r.slowdown,
                r.measured_cpu_s / r.measured_wall_s,
                thousands(r.ctx_switches.0.max(0) as u64),
                thousands(r.ctx_switches.1.max(0) as u64),
                seconds(r.predicted_wall_s),
                r.predicted_slowdown,
                r.wall_error * 100.0
            )
        })
        .collect();
    let two = |c: usize| rows.iter().find(|r| r.threads == 2 && r.cpus == c);
    if let (Some(many), Some(one), true) = (two(all_cpus), two(1), all_cpus > 1) {
        let measured = many.measured_wall_s / one.measured_wall_s;
        let modelled = many.predicted_wall_s / one.predicted_wall_s;
        let direction = |r: f64| if r > 1.0 { "slower" } else { "not slower" };
        text.push(format!(
            "Beazley's direction (2009, Python 2.6: 45.5 s for 2 threads on 2 cores against \
             38.0 s with one core disabled, 24.6 s sequential): 2 threads on {all_cpus} CPUs \
             against 1 CPU were ×{measured:.2} as measured ({}) and ×{modelled:.2} in the model \
             ({}); {}.",
            direction(measured),
            direction(modelled),
            if (measured > 1.0) == (modelled > 1.0) {
                "the model reproduces the direction"
            } else {
                "the model does not reproduce the direction"
            }
        ));
    }
    text.join("\n")
}

/// The median of one usage figure over the runs.
fn of(runs: &[external::External], figure: &dyn Fn(&Usage) -> f64) -> f64 {
    median(&runs.iter().map(|r| figure(&r.usage)).collect::<Vec<_>>())
}
