//! One of gilsim's Python functions, or a script, called under another interpreter: a child of
//! the worker (in its process group, so the parent's timeout and cleanup reach it, and on its
//! standard streams), held at a start line while its GIL is read from outside, and at a finish
//! line for the second reading.
use crate::domain::{ExternalPython, DEFAULT_SWITCH_INTERVAL_S};
use crate::embed::error::PythonError;
use crate::measure::gil::stats::GilStats;
use crate::measure::layout::OLDEST;
use crate::measure::outside::{counted_between, OutsideError, OutsideGil};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Instant;

/// The driver: calls the target between handshakes on fds 3 (out) and 4 (in).
const DRIVER: &str = include_str!("../../python/drivers/call.py");

/// What to call.
pub enum Target<'a> {
    /// A function of one of gilsim's own modules (`gilsim_pool`, …) with JSON arguments.
    Function {
        module: &'a str,
        function: &'a str,
        args: serde_json::Value,
    },
    /// A script run as `__main__` with these arguments; its value is its exit code.
    Script { path: &'a str, args: &'a [String] },
}

/// What came back.
pub struct Called {
    /// The function's return value (a script: its exit code).
    pub value: serde_json::Value,
    /// From the start line to the finish line, timed by the worker.
    pub wall_s: f64,
    /// Exact hand-offs over the call, or why there are none.
    pub gil: GilStats,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Answer {
    Value { value: serde_json::Value },
    Error { error: String, traceback: String },
}

/// Calls `target` under `python`. `watch` starts once the child waits at its start line (given
/// its pid and its GIL where one was found); `stop` ends it at the finish line.
pub fn call<W, R>(
    python: &ExternalPython,
    target: &Target,
    switch_interval_s: Option<f64>,
    watch: impl FnOnce(i32, Option<&OutsideGil>) -> W,
    stop: impl FnOnce(W) -> R,
) -> Result<(Called, R)> {
    let (module, function, args) = match target {
        Target::Function {
            module,
            function,
            args,
        } => (module.to_string(), function.to_string(), args.to_string()),
        Target::Script { path, args } => (
            "__script__".into(),
            path.to_string(),
            serde_json::to_string(args)?,
        ),
    };
    // Close-on-exec: the child gets only the copies made for it below.
    let pipe = || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).context("creating a pipe");
    let (from_child, to_parent) = pipe()?;
    let (from_parent, to_child) = pipe()?;
    let mut command = Command::new(&python.path);
    command
        .arg("-c")
        .arg(DRIVER)
        .arg(crate::embed::modules::directory()?)
        .args([module, function, args])
        .arg(switch_interval_s.map_or(String::new(), |s| s.to_string()))
        .envs(python.python_gil.map(|g| ("PYTHON_GIL", g.to_string())));
    let (out_fd, in_fd) = (to_parent.as_raw_fd(), from_parent.as_raw_fd());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // Above the target numbers first, so one dup2 cannot overwrite the other's source.
            let out = libc::fcntl(out_fd, libc::F_DUPFD, 10);
            let input = libc::fcntl(in_fd, libc::F_DUPFD, 10);
            if out < 0 || input < 0 || libc::dup2(out, 3) < 0 || libc::dup2(input, 4) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::close(out);
            libc::close(input);
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", python.path))?;
    drop((to_parent, from_parent));
    let pid = child.id() as i32;
    let lines = crate::child_output::lines_of(File::from(from_child));
    let mut go = File::from(to_child);
    let next = |what: &str| -> Result<String> {
        lines
            .recv()
            .map_err(|_| anyhow::anyhow!("{} ended before it could {what}", python.path))
    };
    let result = (|| {
        let first = next("start")?;
        if first.trim() != "ready" {
            return Err(answer(&python.path, &first)
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("{} did not start the driver", python.path)));
        }
        let interval = switch_interval_s.unwrap_or(DEFAULT_SWITCH_INTERVAL_S);
        let gil = if crate::interpreters::version_at_least(&python.version, (3, 9)) {
            OutsideGil::attach(pid, Some((interval * 1e6).round() as u64))
        } else {
            Err(OutsideError::Unsupported(format!(
                "CPython {}: reading the GIL from outside needs CPython {OLDEST} or later",
                python.version
            )))
        };
        let before = gil.as_ref().ok().map(|g| g.read());
        let watching = watch(pid, gil.as_ref().ok());
        let start = Instant::now();
        writeln!(go, "go")?;
        let finished = next("finish");
        let wall_s = start.elapsed().as_secs_f64();
        let after = gil.as_ref().ok().map(|g| g.read());
        let stopped = stop(watching);
        let value = answer(&python.path, &finished?)?;
        let gil = counted_between(&gil, before, after, wall_s);
        Ok((Called { value, wall_s, gil }, stopped))
    })();
    // Lets the driver end, and waits for it (a timeout is the parent's: it kills our group).
    drop(go);
    let status = child.wait()?;
    let out = result?;
    if !status.success() {
        bail!("{} exited with {status} after its call", python.path);
    }
    Ok(out)
}

/// The driver's JSON answer: the value, or the Python error it reports.
fn answer(python: &str, line: &str) -> Result<serde_json::Value> {
    match serde_json::from_str::<Answer>(line.trim()) {
        Ok(Answer::Value { value }) => Ok(value),
        Ok(Answer::Error { error, traceback }) => Err(PythonError {
            message: format!("{error} (under {python})"),
            traceback,
        }
        .into()),
        Err(_) => bail!("{python} answered {line:?} instead of a result"),
    }
}

/// `module.function(*args)` under `python`, its value read as `T`, with the GIL's hand-offs.
pub fn function<T: serde::de::DeserializeOwned>(
    python: &ExternalPython,
    module: &str,
    function: &str,
    args: serde_json::Value,
) -> Result<(T, GilStats)> {
    let target = Target::Function {
        module,
        function,
        args,
    };
    let (called, ()) = call(python, &target, None, |_, _| (), |_| ())?;
    let value = serde_json::from_value(called.value).with_context(|| {
        format!(
            "reading what {module}.{function} returned under {}",
            python.path
        )
    })?;
    Ok((value, called.gil))
}
