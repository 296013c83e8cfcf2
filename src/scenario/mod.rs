//! Scenarios: each turns its options into trials, runs them in worker processes and condenses
//! the measurements into rows and a verdict.
pub mod calibrate;
pub mod convoy;
pub mod countdown;
pub mod external_script;
pub mod host;
pub mod old_gil;
pub mod pool;
pub mod profile;
pub mod queue;
pub mod scale;
pub mod share;
pub mod sharing;
pub mod simulate;
pub mod spec;
pub mod timeline;
pub mod validate;
pub mod watch;

use crate::measure::gil::stats::GilStats;
use crate::protocol::{Job, Measured, Record};
use crate::runner::rounds;
use crate::runner::{self, RunError};
use std::time::Duration;

/// The trial order's seed: fixed, so a report can be re-run in the same order.
const ROUND_SEED: u64 = 0x005e_ed0f_9115;

/// Runs every trial `warmup` times unmeasured, then `repeat` measured times. Trials take turns
/// within each repetition, in a shuffled order each round, so slow drift of the machine (heat,
/// other load) spreads over all of them instead of biasing the ones that ran last or first.
pub fn run_interleaved<T, R>(
    trials: &[T],
    warmup: usize,
    repeat: usize,
    progress: &mut crate::report::progress::Progress,
    label: impl Fn(&T) -> String,
    mut run: impl FnMut(&T) -> anyhow::Result<R>,
) -> anyhow::Result<Vec<Vec<R>>> {
    for trial in trials {
        for w in 0..warmup {
            progress.start(&format!("{} warm-up {}/{warmup}", label(trial), w + 1));
            run(trial)?;
        }
    }
    let mut results: Vec<Vec<R>> = trials.iter().map(|_| Vec::new()).collect();
    // Each round in a fresh order, so that no setting always runs first after a pause (or
    // right after another) and a slow phase of the machine is spread over all of them.
    rounds::fixed(trials.len(), ROUND_SEED, repeat, |turn| {
        let t = turn.setting;
        progress.start(&format!(
            "{} run {}/{repeat}",
            label(&trials[t]),
            turn.round + 1
        ));
        results[t].push(run(&trials[t])?);
        Ok(())
    })?;
    Ok(results)
}

/// One trial as its worker measured it: the wall time, the parent interpreter's GIL figures
/// where it ran Python, and the scenario's own typed data.
#[derive(Clone, Debug)]
pub struct Run<T> {
    pub wall_s: f64,
    pub gil: Option<GilStats>,
    pub data: T,
    /// What else the machine did while the trial ran (measured by the parent).
    pub other_load: Option<crate::measure::load::OtherLoad>,
}

/// The median over runs of the machine's other load (CPUs), when every run has it.
pub fn other_load<T>(runs: &[&Run<T>]) -> Option<f64> {
    let loads: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.other_load.map(|l| l.other_cpus))
        .collect();
    (!loads.is_empty() && loads.len() == runs.len()).then(|| crate::stats::median(&loads))
}

/// One trial's run, or the error that stopped it.
pub type Outcome<T> = Result<Run<T>, String>;

/// Every run of a trial; None where there is none or one failed, whose error (the first: a
/// row reports one error, not a mix) goes into `error`.
pub fn all_runs<'a, T>(
    outcomes: &'a [Outcome<T>],
    error: &mut Option<String>,
) -> Option<Vec<&'a Run<T>>> {
    let runs: Result<Vec<&Run<T>>, String> = outcomes
        .iter()
        .map(|o| o.as_ref().map_err(Clone::clone))
        .collect();
    match runs {
        Ok(runs) if !runs.is_empty() => Some(runs),
        Ok(_) => None,
        Err(message) => {
            *error = Some(message);
            None
        }
    }
}

/// Runs one trial whose worker answers with `Record::Measured`. A trial that fails (a broken
/// pool, a pickling error, a timeout) becomes an error row rather than ending the whole
/// comparison; only an interruption stops everything.
pub fn measure_job<T: TryFrom<Measured, Error = Measured>>(
    job: &Job,
    timeout: Duration,
) -> anyhow::Result<Outcome<T>> {
    measure_job_on(&runner::Workers, job, timeout)
}

/// `measure_job` on `runner`'s workers.
pub fn measure_job_on<T: TryFrom<Measured, Error = Measured>>(
    runner: &dyn runner::Runner,
    job: &Job,
    timeout: Duration,
) -> anyhow::Result<Outcome<T>> {
    let window = runner.load_window();
    let answer = runner.run_quiet(job, timeout);
    let other_load = window.and_then(|w| w.close());
    match answer {
        Ok(Record::Measured {
            wall_s, gil, data, ..
        }) => Ok(T::try_from(data)
            .map(|data| Run {
                wall_s,
                gil,
                data,
                other_load,
            })
            .map_err(|other| format!("unexpected answer from the worker: {other:?}"))),
        Ok(other) => Ok(Err(format!("unexpected answer from the worker: {other:?}"))),
        Err(err @ RunError::Interrupted { .. }) => Err(err.into()),
        Err(err) => Ok(Err(err.to_string())),
    }
}

/// The items in first-seen order, without repeats (`--threads 2,1,2` runs 2 and 1 once each).
pub fn dedup<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}
