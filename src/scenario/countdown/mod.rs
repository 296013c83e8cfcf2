//! The study note's countdown benchmark: 1 thread vs N threads vs N processes vs Rust.
pub mod external;
mod rows;
mod verdict;

pub use rows::CountdownRow;

use crate::domain::ExternalPython;
use crate::measure::gil::watch::GilSampling;
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::runner::{self, RunError};
use crate::scenario::spec::CountdownSpec;
use crate::scenario::{dedup, host, run_interleaved};
use crate::worker::protocol::{CountdownTrial, Job, Record, TrialMeasurement};
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

/// The interpreters `--python` names (None: the embedded one; no names: only that).
fn interpreters(names: &[String]) -> Result<Vec<Option<ExternalPython>>> {
    if names.is_empty() {
        return Ok(vec![None]);
    }
    dedup(names)
        .iter()
        .map(|name| {
            if name == "embedded" {
                return Ok(None);
            }
            let found = crate::interpreters::resolve(name).map_err(|e| {
                anyhow::Error::new(crate::usage::UsageError(format!("--python {name}: {e}")))
            })?;
            if found.gil == crate::interpreters::GilKind::FreeThreaded {
                crate::usage_bail!(
                    "--python {name}: free-threaded builds are not measured yet (no GIL to compare)"
                );
            }
            Ok(Some(ExternalPython {
                name: found.name,
                version: found.version,
                path: found.path,
                gil: found.gil,
            }))
        })
        .collect()
}

pub fn run(spec: &CountdownSpec) -> Result<Document<CountdownRow>> {
    let timeout = Duration::from_secs_f64(spec.timeout);
    let pythons = interpreters(&spec.python)?;
    let trials = trials(spec, &pythons);
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
    let verdict = verdict::write(&results, &python, switch_interval, spec.count);
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
            "timeout_s": spec.timeout,
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}

/// Python rows of the embedded interpreter get sampled runs for their held shares.
fn gets_sampled_runs(trial: &CountdownTrial) -> bool {
    trial.runtime.is_python() && trial.python.is_none()
}

fn label(trial: &CountdownTrial) -> String {
    let mut text = format!("{} ×{}", trial.runtime.name(), trial.workers);
    if let Some(p) = &trial.python {
        text += &format!(" (Python {})", p.version);
    }
    if let Some(n) = trial.cpus {
        text += &format!(" on {n} CPU{}", if n == 1 { "" } else { "s" });
    }
    text
}

/// One countdown trial in a fresh worker (or, under another interpreter, as its child).
pub fn measure(trial: &CountdownTrial, timeout: Duration) -> Result<TrialMeasurement> {
    if let Some(python) = &trial.python {
        return external::measure(trial, python, timeout)
            .with_context(|| format!("countdown trial {} failed", label(trial)));
    }
    let outcome = runner::run_quiet(&Job::Countdown(trial.clone()), timeout);
    match outcome {
        Ok(Record::Trial(m)) => Ok(m),
        Ok(other) => Err(RunError::Crashed {
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
    use crate::domain::Runtime;

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
            cpus: Vec::new(),
            timeout: 1.0,
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
}
