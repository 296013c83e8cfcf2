//! Starting `gilsim __worker` and supervising it until it ends, times out or is interrupted.
use super::{reaper, signals, Finished, RunError, RunOptions, Streams};
use crate::protocol::{Job, Record, JOB_ENV, RECORD_FD};
use nix::unistd::Pid;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest the supervisor sleeps between looks at the clock and the signal flag. It
/// sleeps on the worker's pidfd, which wakes it as soon as the worker ends (a signal wakes it
/// too), so it neither notices the end late nor wakes often: a wake-up every few
/// milliseconds takes CPU time from the measured threads and perturbs their scheduling.
const POLL: Duration = Duration::from_millis(100);
/// Without a pidfd (Linux before 5.3): how often to look instead.
const POLL_WITHOUT_PIDFD: Duration = Duration::from_millis(2);

pub fn run(job: &Job, options: &RunOptions) -> Result<Finished, RunError> {
    reaper::become_subreaper();
    let _supervising = signals::Supervising::start();
    if let Some(signal) = signals::received() {
        return Err(RunError::Interrupted { signal });
    }
    let (read_end, write_end) = pipe()?;
    let mut command = crate::install::gilsim_command()?;
    command
        .arg("__worker")
        .env(JOB_ENV, serde_json::to_string(job).expect("jobs serialize"));
    match options.streams {
        Streams::Quiet => {
            command
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
        }
        Streams::Inherit => {
            command
                .stdin(Stdio::inherit())
                .stdout(Stdio::inherit())
                .stderr(Stdio::inherit());
        }
    }
    let write_fd = write_end.as_raw_fd();
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // Its own process group, so one kill reaches every process the job starts.
            libc::setpgid(0, 0);
            // A parent killed outright (SIGKILL) still takes its worker with it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::dup2(write_fd, RECORD_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    drop(write_end);
    let pgid = child.id() as libc::pid_t;
    // Also from the parent, so the group exists before we might signal it (no race).
    let _ = nix::unistd::setpgid(Pid::from_raw(pgid), Pid::from_raw(pgid));
    let terminal = (options.streams == Streams::Inherit)
        .then(|| Terminal::hand_to(pgid))
        .flatten();

    let records = read_first_line(read_end);
    let stderr_text = child.stderr.take().map(read_all);
    let outcome = supervise(&mut child, pgid, options.timeout);
    // Whatever happened, nothing the job started outlives it.
    kill_group(pgid);
    reaper::kill_and_reap_children();
    drop(terminal);
    let status = outcome?;

    let record = records
        .recv_timeout(Duration::from_secs(2))
        .ok()
        .and_then(|line| serde_json::from_str::<Record>(&line).ok());
    let stderr = stderr_text
        .and_then(|rx| rx.recv_timeout(Duration::from_secs(1)).ok())
        .unwrap_or_default();
    if record.is_none() {
        if let Some(signal) = status.signal() {
            return Err(RunError::Crashed {
                detail: format!("was killed by signal {signal}{}", tail(&stderr)),
            });
        }
    }
    Ok(Finished {
        record,
        exit_code: status.code().unwrap_or(1),
        stderr_tail: tail(&stderr),
    })
}

fn supervise(
    child: &mut Child,
    pgid: i32,
    timeout: Option<Duration>,
) -> Result<ExitStatus, RunError> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let pidfd = pidfd_open(child.id());
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if let Some(signal) = signals::received() {
            kill_group(pgid);
            let _ = child.wait();
            return Err(RunError::Interrupted { signal });
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            kill_group(pgid);
            let _ = child.wait();
            return Err(RunError::Timeout {
                seconds: timeout.unwrap_or_default().as_secs_f64(),
            });
        }
        match &pidfd {
            Some(fd) => {
                let until_deadline =
                    deadline.map_or(POLL, |d| d.saturating_duration_since(Instant::now()));
                wait_readable(fd, POLL.min(until_deadline));
            }
            None => std::thread::sleep(POLL_WITHOUT_PIDFD),
        }
    }
}

/// A file descriptor that becomes readable when process `pid` ends (None where the kernel has
/// no `pidfd_open`).
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: a plain syscall; on success it returns a new descriptor that we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Sleeps until `fd` is readable, a signal arrives or `limit` passes.
fn wait_readable(fd: &OwnedFd, limit: Duration) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let millis = limit.as_millis().clamp(1, i32::MAX as u128) as i32;
    let timeout = PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX);
    // EINTR and timeouts just return.
    let _ = poll(&mut [PollFd::new(fd.as_fd(), PollFlags::POLLIN)], timeout);
}

fn kill_group(pgid: libc::pid_t) {
    super::signals::kill_group(pgid);
}

/// Close-on-exec keeps both ends out of other children (the worker gets its end through dup2
/// onto fd 3).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?)
}

/// The worker's record arrives as one line. Read in a thread: a forked grandchild may hold
/// the pipe open after the worker exits, so the parent must not wait for end-of-file.
fn read_first_line(fd: OwnedFd) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        if BufReader::new(File::from(fd)).read_line(&mut line).is_ok() && !line.is_empty() {
            let _ = tx.send(line);
        }
    });
    rx
}

/// A quiet worker's stderr, kept for the error message if it fails.
fn read_all(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stream).read_to_string(&mut text);
        let _ = tx.send(text);
    });
    rx
}

/// The last lines of a worker's stderr, as the end of an error message ("" when it was empty).
fn tail(stderr: &str) -> String {
    let last: Vec<&str> = stderr
        .lines()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(8)
        .collect();
    if last.is_empty() {
        String::new()
    } else {
        let lines: Vec<&str> = last.into_iter().rev().collect();
        format!("; its stderr ended with:\n{}", lines.join("\n"))
    }
}

/// The controlling terminal handed to the worker's group while it runs (so the script can read
/// input and Ctrl-C reaches it), and taken back when dropped.
struct Terminal {
    own_group: libc::pid_t,
}

impl Terminal {
    fn hand_to(pgid: libc::pid_t) -> Option<Terminal> {
        use nix::unistd::{getpgrp, isatty, tcgetpgrp};
        let stdin = std::io::stdin();
        if !isatty(&stdin).unwrap_or(false) || tcgetpgrp(&stdin).ok() != Some(getpgrp()) {
            return None;
        }
        let own_group = getpgrp().as_raw();
        with_sigttou_ignored(|| set_foreground(pgid));
        Some(Terminal { own_group })
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // A background group taking the terminal back must ignore SIGTTOU.
        with_sigttou_ignored(|| set_foreground(self.own_group));
    }
}

fn set_foreground(pgid: libc::pid_t) {
    let _ = nix::unistd::tcsetpgrp(std::io::stdin(), Pid::from_raw(pgid));
}

fn with_sigttou_ignored(f: impl FnOnce()) {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: SIG_IGN and the handler it replaced, put back at once; no handler code runs.
    let previous = unsafe { signal(Signal::SIGTTOU, SigHandler::SigIgn) };
    f();
    if let Ok(previous) = previous {
        // SAFETY: as above.
        unsafe {
            let _ = signal(Signal::SIGTTOU, previous);
        }
    }
}
