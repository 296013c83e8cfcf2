//! The countdown under another interpreter (Python 2.7 or any 3.x), as a child process measured
//! from outside: the driver times its own region, `wait4` gives the process tree's CPU and
//! context switches. The GIL's state inside that process is not read (yet): its figures say so.
use crate::domain::ExternalPython;
use crate::measure::gil::stats::GilStats;
use crate::runner::{affinity, external};
use crate::worker::protocol::{CountdownTrial, TrialMeasurement};
use anyhow::{bail, Context, Result};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// The study note's countdown on 1 thread, N threads or N processes, written so that Python 2.7
/// and 3.x both run it; prints the wall time of the timed region.
pub const DRIVER: &str = r#"
import sys, time
from threading import Thread
def countdown(n):
    while n>0:
        n -= 1
count, workers, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
if mode == "processes":
    import multiprocessing
    ctx = multiprocessing.get_context("fork") if hasattr(multiprocessing, "get_context") else multiprocessing
t0 = time.time()
if workers == 1 and mode == "threads":
    countdown(count)
elif mode == "threads":
    ts = [Thread(target=countdown, args=(n,)) for n in shares]
    for t in ts: t.start()
    for t in ts: t.join()
else:
    ps = [ctx.Process(target=countdown, args=(n,)) for n in shares]
    for p in ps: p.start()
    for p in ps: p.join()
print(time.time() - t0)
"#;

/// Runs the driver once with `python`, on `cpus` CPUs where given.
pub fn run_driver(
    python: &str,
    count: u64,
    workers: usize,
    mode: &str,
    cpus: Option<usize>,
    timeout: Duration,
) -> Result<(f64, external::External)> {
    let mut command = Command::new(python);
    command.args(["-c", DRIVER, &count.to_string(), &workers.to_string(), mode]);
    if let Some(n) = cpus {
        // SAFETY: sched_setaffinity is async-signal-safe.
        unsafe {
            command.pre_exec(move || affinity::limit_to(n));
        }
    }
    let out = external::run(command, timeout).with_context(|| format!("running {python}"))?;
    if out.exit_code != 0 {
        bail!(
            "{python} exited with code {} running the countdown",
            out.exit_code
        );
    }
    let wall = out
        .stdout
        .trim()
        .parse::<f64>()
        .with_context(|| format!("{python} printed no time: {:?}", out.stdout))?;
    Ok((wall, out))
}

/// One countdown trial under `python`.
pub fn measure(
    trial: &CountdownTrial,
    python: &ExternalPython,
    timeout: Duration,
) -> Result<TrialMeasurement> {
    let mode = if trial.runtime.uses_threads() {
        "threads"
    } else {
        "processes"
    };
    let (wall_s, out) = run_driver(
        &python.path,
        trial.count,
        trial.workers,
        mode,
        trial.cpus,
        timeout,
    )?;
    Ok(TrialMeasurement {
        wall_s,
        usage: out.usage,
        threads: Vec::new(),
        gil: Some(GilStats::unavailable(
            "reading the GIL of another interpreter's process is not implemented yet",
        )),
        probe: None,
    })
}
