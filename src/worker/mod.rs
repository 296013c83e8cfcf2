//! The hidden worker mode: one job in a fresh process, one JSON record back over a pipe.
//!
//! The parent (see `runner`) starts `gilsim __worker` with the job in the environment and the
//! write end of a pipe on fd 3, owns the timeout and kills the worker's process group when
//! needed. Keeping each trial in its own process means every measurement starts from a fresh
//! interpreter and nothing one trial leaves behind can skew the next.
pub mod convoy;
pub mod countdown;
pub mod on_python;
pub mod pool;
pub mod queue;
pub mod segments;
pub mod share;
pub mod timeline;

use crate::embed::{error::PythonError, interpreter, script};
use crate::measure::gil::stats::GilStats;
use crate::measure::rusage::Usage;
use crate::protocol::{Job, Measured, Record, JOB_ENV, RECORD_FD};
use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;

/// Runs `measure` as a trial's timed region and records its wall time and the process tree's
/// usage around it, with what it returns: the scenario's figures and, where Python ran, the
/// GIL's.
fn timed(
    measure: impl FnOnce() -> anyhow::Result<(Measured, Option<GilStats>)>,
) -> anyhow::Result<Record> {
    let before = Usage::process_tree();
    let start = std::time::Instant::now();
    let (data, gil) = measure()?;
    Ok(Record::Measured {
        wall_s: start.elapsed().as_secs_f64(),
        usage: Usage::process_tree().since(&before),
        gil,
        data,
    })
}

/// Runs the job named in the environment and exits.
pub fn main() -> ! {
    // SAFETY: fd 3 was set up by the parent for this process alone, which takes it over here.
    let mut record_out = unsafe { File::from_raw_fd(RECORD_FD) };
    // Close-on-exec, so that processes the job execs (spawned Python children) do not hold the
    // record pipe open.
    let _ = nix::fcntl::fcntl(
        &record_out,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
    let job = std::env::var(JOB_ENV)
        .map_err(anyhow::Error::from)
        .and_then(|text| Ok(serde_json::from_str::<Job>(&text)?));
    // The job is ours alone; children the script starts must not see it.
    std::env::remove_var(JOB_ENV);

    let (record, exit_code) = match job {
        Ok(job) => execute(&job),
        Err(err) => (failure(err.context("reading the worker's job")), 2),
    };
    let mut line = serde_json::to_string(&record).expect("records serialize");
    line.push('\n');
    let _ = record_out.write_all(line.as_bytes());
    drop(record_out);
    std::process::exit(exit_code)
}

fn execute(job: &Job) -> (Record, i32) {
    let result = match job {
        Job::Info { python: None } => interpreter::start()
            .and_then(|_| interpreter::describe())
            .map(|info| (Record::Info(info), 0)),
        Job::Info {
            python: Some(python),
        } => on_python::function(python, "gilsim_info", "describe", serde_json::json!([null]))
            .map(|(info, _)| (Record::Info(info), 0)),
        Job::Countdown(trial) => countdown::run(trial).map(|m| (m.into_record(), 0)),
        Job::Pool(trial) => pool::run(trial).map(|r| (r, 0)),
        Job::Queue(trial) => queue::run(trial).map(|r| (r, 0)),
        Job::Share(trial) => share::run(trial).map(|r| (r, 0)),
        Job::Timeline(job) => timeline::run(job),
        Job::Convoy(trial) => convoy::run(trial).map(|r| (r, 0)),
        Job::Segments(trial) => segments::run(trial).map(|r| (r, 0)),
        Job::Script(job) => interpreter::start()
            .and_then(|_| script::run(job))
            .map(|outcome| {
                let code = outcome.exit_code;
                (Record::Script(outcome), code)
            }),
    };
    result.unwrap_or_else(|err| (failure(err), 1))
}

fn failure(err: anyhow::Error) -> Record {
    let traceback = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<PythonError>())
        .map(|p| p.traceback.clone());
    Record::Error {
        message: format!("{err:#}"),
        traceback,
    }
}
