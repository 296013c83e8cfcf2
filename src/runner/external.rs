//! Running another program (e.g. an old Python) as a measured subprocess: its own process
//! group, a timeout, and its resource usage read from `wait4` (measured from outside).
use super::{signals, RunError};
use crate::measure::rusage::Usage;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct External {
    pub wall_s: f64,
    pub usage: Usage,
    pub exit_code: i32,
    pub stdout: String,
}

/// Restricts the command's process (and what it starts) to `cpus` CPUs, where given.
pub fn limit_cpus(command: &mut Command, cpus: Option<usize>) {
    if let Some(n) = cpus {
        // SAFETY: sched_setaffinity is async-signal-safe.
        unsafe {
            command.pre_exec(move || crate::measure::affinity::limit_to(n));
        }
    }
}

/// `python -c program args…` run to its end on `cpus` CPUs (None: all); an error names the
/// interpreter and what it was `running`, also when it exits with another code than 0.
pub fn run_python(
    python: &str,
    program: &str,
    args: &[String],
    cpus: Option<usize>,
    timeout: Duration,
    running: &str,
) -> anyhow::Result<External> {
    use anyhow::Context;
    let mut command = Command::new(python);
    command.arg("-c").arg(program).args(args);
    limit_cpus(&mut command, cpus);
    let out = run(command, timeout).with_context(|| format!("running {python}"))?;
    if out.exit_code != 0 {
        anyhow::bail!(
            "{python} exited with code {} running {running}",
            out.exit_code
        );
    }
    Ok(out)
}

pub fn run(mut command: Command, timeout: Duration) -> Result<External, RunError> {
    let _supervising = signals::Supervising::start();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command.process_group(0);
    let start = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut text);
        text
    });
    loop {
        if let Some((exit_code, usage)) = try_reap(pid) {
            return Ok(External {
                wall_s: start.elapsed().as_secs_f64(),
                usage,
                exit_code,
                stdout: reader.join().unwrap_or_default(),
            });
        }
        let interrupted = signals::received();
        if interrupted.is_some() || start.elapsed() >= timeout {
            signals::kill_group(pid);
            let _ = child.wait();
            return Err(match interrupted {
                Some(signal) => RunError::Interrupted { signal },
                None => RunError::Timeout {
                    seconds: timeout.as_secs_f64(),
                },
            });
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Reaps child `pid` if it has ended (killing whatever is left in its process group): its exit
/// code (128+N after signal N) and its process tree's usage from `wait4`.
pub fn try_reap(pid: libc::pid_t) -> Option<(i32, Usage)> {
    let mut status = 0;
    // wait4 is the one call that returns a reaped child's rusage (nix wraps waitpid only).
    // SAFETY: wait4 on our own child, writing into locals we own.
    let (r, ru) = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        let r = libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru);
        (r, ru)
    };
    if r < 0 {
        // Not our child any more (already reaped elsewhere): nothing to wait for.
        return Some((1, Usage::default()));
    }
    if r != pid {
        return None;
    }
    // The group may hold leftovers.
    signals::kill_group(pid);
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let usage = Usage {
        user_s: secs(ru.ru_utime),
        sys_s: secs(ru.ru_stime),
        voluntary: ru.ru_nvcsw,
        involuntary: ru.ru_nivcsw,
    };
    Some((code, usage))
}

/// Waits for child `pid`, calling `kill` whenever the deadline has passed or a terminating
/// signal has arrived; its exit status and usage (`try_reap`), and whether the deadline passed.
pub fn wait_or_kill(
    pid: libc::pid_t,
    deadline: Option<Instant>,
    kill: impl Fn(),
) -> (i32, Usage, bool) {
    let mut timed_out = false;
    loop {
        if let Some((code, usage)) = try_reap(pid) {
            return (code, usage, timed_out);
        }
        timed_out |= deadline.is_some_and(|d| Instant::now() >= d);
        if timed_out || signals::received().is_some() {
            kill();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
