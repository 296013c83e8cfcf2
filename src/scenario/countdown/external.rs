//! The countdown under another interpreter (Python 2.7 or any 3.x), as a child process measured
//! from outside: the driver times its own region, `wait4` gives the process tree's CPU and
//! context switches, and on 3.13+ the GIL's exact hand-offs are read from the child's memory
//! (`measure::outside`) just before and just after the timed region, while the driver waits.
use crate::domain::{ExternalPython, Runtime, ThreadUsage};
use crate::measure::gil::stats::GilStats;
use crate::measure::outside::OutsideGil;
use crate::measure::tasks;
use crate::protocol::{CountdownTrial, TrialMeasurement};
use crate::runner::{external, signals, RunError};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The study note's countdown on 1 thread, N threads or N processes, written so that Python 2.7
/// and 3.x both run it; prints the wall time of the timed region.
pub const DRIVER: &str = include_str!("../../../python/drivers/countdown_external.py");

/// Runs the driver once with `python`, on `cpus` CPUs where given.
pub fn run_driver(
    python: &str,
    count: u64,
    workers: usize,
    mode: &str,
    cpus: Option<usize>,
    timeout: Duration,
) -> Result<(f64, external::External)> {
    let args = [count.to_string(), workers.to_string(), mode.to_string()];
    let out = external::run_python(python, DRIVER, &args, cpus, timeout, "the countdown")?;
    let wall = out
        .stdout
        .trim()
        .parse::<f64>()
        .with_context(|| format!("{python} printed no time: {:?}", out.stdout))?;
    Ok((wall, out))
}

/// One countdown trial under `python`: started, held at the start line while gilsim reads the
/// GIL (3.13+), timed by the driver, held again at the finish for the second reading.
pub fn measure(
    trial: &CountdownTrial,
    python: &ExternalPython,
    timeout: Duration,
) -> Result<TrialMeasurement> {
    let mode = match trial.runtime {
        Runtime::PythonSubinterpreters => "subinterpreters",
        r if r.uses_threads() => "threads",
        _ => "processes",
    };
    let interval = trial
        .switch_interval_s
        .unwrap_or(crate::domain::DEFAULT_SWITCH_INTERVAL_S);
    let mut command = Command::new(&python.path);
    command
        .args([
            "-c",
            DRIVER,
            &trial.count.to_string(),
            &trial.workers.to_string(),
            mode,
        ])
        .arg(
            trial
                .switch_interval_s
                .map_or(String::new(), |s| s.to_string()),
        )
        .arg("handshake")
        .envs(python.python_gil.map(|g| ("PYTHON_GIL", g.to_string())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    external::limit_cpus(&mut command, trial.cpus);
    let _supervising = signals::Supervising::start();
    let deadline = Instant::now() + timeout;
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", python.path))?;
    let pid = child.id() as i32;
    let result = converse(&mut child, python, interval, deadline);
    // Whatever happened, the child and anything it started end here.
    drop(child.stdin.take());
    // Its group is killed at the deadline or on a signal.
    let (status, usage, _) =
        external::wait_or_kill(pid, Some(deadline), || signals::kill_group(pid));
    let (wall_s, gil, threads) = result?;
    if status != 0 {
        bail!(
            "{} exited with code {status} running the countdown",
            python.path
        );
    }
    Ok(TrialMeasurement {
        wall_s,
        usage,
        threads,
        gil: Some(if trial.runtime == Runtime::PythonSubinterpreters {
            GilStats::unavailable(crate::worker::countdown::SUBINTERPRETERS_GIL)
        } else {
            gil
        }),
        probe: None,
        other_load: None,
    })
}

/// The start line, the GIL's first reading, the run (its threads' CPU polled from `/proc`),
/// its time, the second reading.
fn converse(
    child: &mut Child,
    python: &ExternalPython,
    interval: f64,
    deadline: Instant,
) -> Result<(f64, GilStats, Vec<ThreadUsage>)> {
    let lines = crate::child_output::lines_of(child.stdout.take().expect("piped stdout"));
    let next_line = |what: &str| -> Result<String> {
        loop {
            if let Some(signal) = signals::received() {
                return Err(RunError::Interrupted { signal }.into());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("{} did not {what} before the timeout", python.path);
            }
            match lines.recv_timeout(left.min(Duration::from_millis(50))) {
                Ok(line) => return Ok(line),
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("{} ended before it could {what}", python.path)
                }
            }
        }
    };
    if next_line("start the countdown")?.trim() != "ready" {
        bail!("{} did not start the countdown driver", python.path);
    }
    let pid = child.id() as i32;
    let interval_us = (interval * 1e6).round() as u64;
    let gil = OutsideGil::attach(pid, Some(interval_us));
    let before = gil.as_ref().ok().map(|g| g.read());
    let poller = tasks::Poller::start(pid);
    writeln!(child.stdin.as_mut().expect("piped stdin"), "go")?;
    let finished = next_line("finish the countdown");
    let threads = poller
        .stop()
        .into_iter()
        .map(|(tid, t)| ThreadUsage {
            name: if tid == pid as u64 {
                "main".into()
            } else {
                format!("thread {tid}")
            },
            cpu_s: t.cpu_ns as f64 * 1e-9,
            voluntary: t.voluntary,
            involuntary: t.involuntary,
        })
        .collect();
    let wall_s: f64 = finished?
        .trim()
        .parse()
        .with_context(|| format!("{} printed no time", python.path))?;
    let after = gil.as_ref().ok().map(|g| g.read());
    let stats = crate::measure::outside::counted_between(&gil, before, after, wall_s);
    Ok((wall_s, stats, threads))
}
