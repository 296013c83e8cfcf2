//! The study note's countdown benchmark: 1 thread vs N threads vs N processes vs Rust.
pub mod chart;
pub mod external;
mod rows;
mod verdict;
pub use verdict::PUBLISHED_SINGLE_THREAD_COST;

pub use rows::CountdownRow;

use crate::domain::{ExternalPython, Runtime};
use crate::measure::gil::watch::GilSampling;
use crate::protocol::{CountdownTrial, Job, TrialMeasurement};
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::runner::{self, RunError};
use crate::scenario::spec::CountdownSpec;
use crate::scenario::{dedup, host, run_interleaved};
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Duration;

/// Every (CPUs, runtime, interpreter, workers) combination the options ask for, in the order
/// given, without repeats. `pythons`: the interpreters of the Python rows (None: embedded).
pub fn trials(spec: &CountdownSpec, pythons: &[Option<ExternalPython>]) -> Vec<CountdownTrial> {
    let mut out = Vec::new();
    let cpus: Vec<Option<usize>> = if spec.cpus.is_empty() {
        vec![None]
    } else {
        dedup(&spec.cpus).into_iter().map(Some).collect()
    };
    for &cpus in &cpus {
        for runtime in dedup(&spec.runtimes) {
            let mut counts = dedup(if runtime.uses_threads() {
                &spec.threads
            } else {
                &spec.processes
            });
            counts.sort_unstable();
            let interpreters: &[Option<ExternalPython>] = if runtime.is_python() {
                pythons
            } else {
                &[None]
            };
            for python in interpreters {
                for &workers in &counts {
                    out.push(CountdownTrial {
                        runtime,
                        workers,
                        count: spec.count,
                        switch_interval_s: spec.switch_interval,
                        gil: spec.gil_sampling.timed(),
                        probe_interval_s: spec.probe_interval,
                        python: python.clone(),
                        cpus,
                    });
                }
            }
        }
    }
    out
}

pub fn run(spec: &CountdownSpec) -> Result<Document<CountdownRow>> {
    let timeout = spec.timeout;
    let (trials, skipped) = without_unsupported(trials(spec, &spec.interpreters))?;
    let warmup = spec.warmup as usize;
    // With `separate`, each Python row gets up to 3 more runs, untimed, with the sampler: its
    // held shares (medians; one run alone can be unfair at short intervals). They run after the
    // timed ones, so those see the same history as without them.
    let sampled_rows = spec.gil_sampling == GilSampling::Separate;
    let per_row = spec.repeat.min(spec.sampled_runs);
    let sampled_runs = if sampled_rows {
        per_row * trials.iter().filter(|t| gets_sampled_runs(t)).count()
    } else {
        0
    };
    let mut progress = Progress::new(1 + trials.len() * (warmup + spec.repeat) + sampled_runs);

    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;

    let measurements = run_interleaved(&trials, warmup, spec.repeat, &mut progress, label, |t| {
        measure(t, timeout)
    })?;
    let mut sampled: Vec<Vec<TrialMeasurement>> = trials.iter().map(|_| Vec::new()).collect();
    for r in 0..per_row {
        for (t, runs) in trials.iter().zip(sampled.iter_mut()) {
            if !(sampled_rows && gets_sampled_runs(t)) {
                continue;
            }
            progress.start(&format!(
                "{} sampling the GIL (untimed) {}/{per_row}",
                label(t),
                r + 1
            ));
            let sampling = CountdownTrial {
                gil: GilSampling::Continuous,
                count: spec.sampled_count.unwrap_or(t.count),
                ..t.clone()
            };
            runs.push(measure(&sampling, timeout)?);
        }
    }
    progress.finish();

    let results = rows::build(&trials, &measurements, &sampled);
    let runtime_names: Vec<&str> = dedup(&spec.runtimes).iter().map(|r| r.name()).collect();
    let switch_interval = spec.switch_interval.unwrap_or(python.switch_interval_s);
    let mut verdict = verdict::write(&results, &python, switch_interval, spec.count);
    if !skipped.is_empty() {
        verdict += &format!(
            "\n\nNo python-subinterpreters rows for {}: subinterpreters with a GIL of their \
             own need CPython 3.12 or later.",
            skipped.join(", ")
        );
    }
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "countdown".into(),
        params: json!({
            "count": spec.count,
            "repeat": spec.repeat,
            "warmup": spec.warmup,
            "switch_interval_s": switch_interval,
            "gil_stats": spec.gil_sampling != GilSampling::Off,
            "gil_sampling": spec.gil_sampling.name(),
            "sampled_count": spec.sampled_count.unwrap_or(spec.count),
            "sampled_runs": per_row,
            "probe_interval_s": spec.probe_interval,
            "threads": spec.threads,
            "processes": spec.processes,
            "python": spec.python,
            "cpus": spec.cpus,
            "runtimes": runtime_names,
            "start_method": "fork",
            "timeout_s": spec.timeout.as_secs_f64(),
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}

/// The trials an interpreter can run, and the interpreters left without their
/// `python-subinterpreters` rows (3.12+ only). Asking for them where no interpreter has them is
/// a usage error.
fn without_unsupported(trials: Vec<CountdownTrial>) -> Result<(Vec<CountdownTrial>, Vec<String>)> {
    let embedded = crate::install::version();
    let embedded_has = crate::interpreters::version_at_least(&embedded, (3, 12));
    let mut skipped: Vec<String> = Vec::new();
    let wanted = trials
        .iter()
        .any(|t| t.runtime == Runtime::PythonSubinterpreters);
    let kept: Vec<CountdownTrial> = trials
        .into_iter()
        .filter(|t| {
            if t.runtime != Runtime::PythonSubinterpreters {
                return true;
            }
            let (has, name) = match &t.python {
                Some(p) => (p.subinterpreters, format!("Python {}", p.version)),
                None => (embedded_has, format!("the embedded Python {embedded}")),
            };
            if !has && !skipped.contains(&name) {
                skipped.push(name);
            }
            has
        })
        .collect();
    if wanted
        && !kept
            .iter()
            .any(|t| t.runtime == Runtime::PythonSubinterpreters)
    {
        crate::usage_bail!(
            "python-subinterpreters needs CPython 3.12 or later with subinterpreters of their \
             own GIL; {} has none (try --python 3.12; `gilsim interpreters` lists them)",
            skipped.join(", ")
        );
    }
    Ok((kept, skipped))
}

/// Python rows of the embedded interpreter get sampled runs for their held shares.
fn gets_sampled_runs(trial: &CountdownTrial) -> bool {
    trial.runtime.is_python()
        && trial.runtime != Runtime::PythonSubinterpreters
        && trial.python.is_none()
}

fn label(trial: &CountdownTrial) -> String {
    let mut text = format!("{} ×{}", trial.runtime.name(), trial.workers);
    if let Some(p) = &trial.python {
        text += &format!(" (Python {})", p.version);
        if let Some(g) = p.python_gil {
            text += &format!(" PYTHON_GIL={g}");
        }
    }
    if let Some(n) = trial.cpus {
        text += &format!(" on {n} CPU{}", if n == 1 { "" } else { "s" });
    }
    text
}

/// One countdown trial in a fresh worker (or, under another interpreter, as its child).
pub fn measure(trial: &CountdownTrial, timeout: Duration) -> Result<TrialMeasurement> {
    // The machine's other load over the whole trial, its worker's start included.
    let window = crate::measure::load::LoadWindow::open();
    let mut measured = measure_alone(trial, timeout)?;
    measured.other_load = window.and_then(|w| w.close());
    Ok(measured)
}

fn measure_alone(trial: &CountdownTrial, timeout: Duration) -> Result<TrialMeasurement> {
    if let Some(python) = &trial.python {
        return external::measure(trial, python, timeout)
            .with_context(|| format!("countdown trial {} failed", label(trial)));
    }
    let outcome = runner::run_quiet(&Job::Countdown(trial.clone()), timeout);
    match outcome.map(TrialMeasurement::from_record) {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(other)) => Err(RunError::Crashed {
            detail: format!("answered a countdown trial with {other:?}"),
        }
        .into()),
        Err(err) => {
            Err(anyhow::Error::new(err).context(format!("countdown trial {} failed", label(trial))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trials_follow_the_spec_in_order_without_repeats() {
        let spec = CountdownSpec {
            count: 1_000,
            threads: vec![2, 1, 2],
            processes: vec![2],
            runtimes: vec![
                Runtime::PythonThreads,
                Runtime::PythonProcesses,
                Runtime::RustThreads,
                Runtime::PythonThreads,
            ],
            repeat: 1,
            warmup: 0,
            switch_interval: None,
            gil_sampling: GilSampling::Counter,
            sampled_count: None,
            sampled_runs: 1,
            probe_interval: None,
            python: Vec::new(),
            interpreters: vec![None],
            cpus: Vec::new(),
            timeout: Duration::from_secs(1),
        };
        let got: Vec<(Runtime, usize)> = trials(&spec, &[None])
            .iter()
            .map(|t| (t.runtime, t.workers))
            .collect();
        assert_eq!(
            got,
            vec![
                (Runtime::PythonThreads, 1),
                (Runtime::PythonThreads, 2),
                (Runtime::PythonProcesses, 2),
                (Runtime::RustThreads, 1),
                (Runtime::RustThreads, 2),
            ]
        );
        assert!(trials(&spec, &[None]).iter().all(|t| t.count == 1_000));
    }

    #[test]
    fn versions_compare_by_number() {
        assert!(crate::interpreters::version_at_least("3.12.1", (3, 12)));
        assert!(crate::interpreters::version_at_least("3.13.0rc1", (3, 12)));
        assert!(!crate::interpreters::version_at_least("3.11.7", (3, 12)));
        assert!(!crate::interpreters::version_at_least("2.7.18", (3, 12)));
    }
}
