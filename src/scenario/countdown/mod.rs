//! The seed's countdown benchmark: 1 thread vs N threads vs N processes vs Rust.
mod rows;
mod verdict;

pub use rows::CountdownRow;

use crate::cli::CountdownArgs;
use crate::measure::gil::watch::GilSampling;
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::runner::{self, RunError};
use crate::scenario::{dedup, host, run_interleaved};
use crate::worker::protocol::{CountdownTrial, Job, Record, TrialMeasurement};
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Duration;

/// Every (runtime, workers) pair the options ask for, in the order given, without repeats.
pub fn trials(args: &CountdownArgs) -> Vec<CountdownTrial> {
    let mut out = Vec::new();
    for runtime in dedup(&args.runtimes) {
        let mut counts = dedup(if runtime.uses_threads() {
            &args.threads
        } else {
            &args.processes
        });
        counts.sort_unstable();
        for workers in counts {
            out.push(CountdownTrial {
                runtime,
                workers,
                count: args.count,
                switch_interval_s: args.switch_interval,
                gil: args.gil_sampling().timed(),
                probe_interval_s: args.probe_interval,
            });
        }
    }
    out
}

pub fn run(args: &CountdownArgs) -> Result<Document<CountdownRow>> {
    let timeout = Duration::from_secs_f64(args.timeout);
    let trials = trials(args);
    let warmup = args.warmup as usize;
    // With `separate`, each Python row gets up to 3 more runs, untimed, with the sampler: its
    // held shares (medians; one run alone can be unfair at short intervals). They run after the
    // timed ones, so those see the same history as without them.
    let sampled_rows = args.gil_sampling() == GilSampling::Separate;
    let per_row = args.repeat.min(args.sampled_runs);
    let sampled_runs = if sampled_rows {
        per_row * trials.iter().filter(|t| t.runtime.is_python()).count()
    } else {
        0
    };
    let mut progress = Progress::new(1 + trials.len() * (warmup + args.repeat) + sampled_runs);

    progress.start("starting the embedded interpreter");
    let python = host::python_info(timeout).context("describing the embedded interpreter")?;

    let measurements = run_interleaved(&trials, warmup, args.repeat, &mut progress, label, |t| {
        measure(t, timeout)
    })?;
    let mut sampled: Vec<Vec<TrialMeasurement>> = trials.iter().map(|_| Vec::new()).collect();
    for r in 0..per_row {
        for (t, runs) in trials.iter().zip(sampled.iter_mut()) {
            if !(sampled_rows && t.runtime.is_python()) {
                continue;
            }
            progress.start(&format!(
                "{} sampling the GIL (untimed) {}/{per_row}",
                label(t),
                r + 1
            ));
            let sampling = CountdownTrial {
                gil: GilSampling::Continuous,
                count: args.sampled_count.unwrap_or(t.count),
                ..t.clone()
            };
            runs.push(measure(&sampling, timeout)?);
        }
    }
    progress.finish();

    let results = rows::build(&trials, &measurements, &sampled);
    let runtime_names: Vec<&str> = dedup(&args.runtimes).iter().map(|r| r.name()).collect();
    let switch_interval = args.switch_interval.unwrap_or(python.switch_interval_s);
    let verdict = verdict::write(&results, &python, switch_interval, args.count);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "countdown".into(),
        params: json!({
            "count": args.count,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "switch_interval_s": switch_interval,
            "gil_stats": !args.no_gil_stats,
            "gil_sampling": args.gil_sampling().name(),
            "sampled_count": args.sampled_count.unwrap_or(args.count),
            "sampled_runs": per_row,
            "probe_interval_s": args.probe_interval,
            "threads": args.threads,
            "processes": args.processes,
            "runtimes": runtime_names,
            "start_method": "fork",
            "timeout_s": args.timeout,
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}

fn label(trial: &CountdownTrial) -> String {
    format!("{} ×{}", trial.runtime.name(), trial.workers)
}

/// One countdown trial in a fresh worker.
pub fn measure(trial: &CountdownTrial, timeout: Duration) -> Result<TrialMeasurement> {
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
    use clap::Parser;

    #[test]
    fn default_trials_follow_the_seed() {
        let cli = crate::cli::Cli::parse_from(["gilsim", "countdown"]);
        let Some(crate::cli::Command::Countdown(args)) = cli.command else {
            panic!("not a countdown")
        };
        let got: Vec<(Runtime, usize)> = trials(&args)
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
        assert_eq!(args.count, 50_000_000);
    }
}
