//! A script run by another interpreter (`run --python`), measured from outside: wall time
//! between two handshakes, the process tree's CPU and context switches (`wait4`), each thread's
//! CPU (`/proc/PID/task`), and the GIL's exact hand-offs read from the child's memory where it
//! can be found (3.9+). The handshakes go over a socket the child inherits as fd 3: the wrapper
//! says "r" once the interpreter is up and waits for "g"; after the script, its threads and its
//! own `atexit` handlers, it says "d" and waits for "k", so the last reading sees every hand-off.
use crate::measure::outside::{GilEnabled, OutsideGil};
use crate::measure::tasks;
use crate::protocol::ScriptOutcome;
use crate::runner::{external, reaper, signals, RunError};
use anyhow::{Context, Result};
use std::io::{IsTerminal, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs the script as `__main__` (its directory first on `sys.path`, `sys.argv` as given),
/// between the handshakes. Written so that Python 2.7 and 3.x both run it.
const WRAPPER: &str = include_str!("../../python/drivers/external_script.py");

/// What the run measured, and the reason hand-offs are missing when they are.
pub struct ExternalScript {
    pub outcome: ScriptOutcome,
    pub gil_note: Option<String>,
    /// With sampling: who held the GIL, over the run's samples.
    pub held: Option<Held>,
    /// Whether a GIL was in use, read from the process before and after the script (None
    /// where the GIL state was not found).
    pub gil_enabled: Option<[GilEnabled; 2]>,
}

impl ExternalScript {
    /// A free-threaded build that ran without its GIL at both readings.
    pub fn ran_without_gil(&self) -> bool {
        self.gil_enabled
            .is_some_and(|e| e.iter().all(|e| !e.in_use()))
    }
}

/// The GIL's holders as samples from outside saw them.
#[derive(Clone, Debug, Default)]
pub struct Held {
    pub samples: u64,
    /// Share of the samples with the GIL held.
    pub fraction: f64,
    /// Each holder's share of the samples, largest first.
    pub by_thread: Vec<f64>,
}

/// `run`, also sampling who holds the GIL at `rate_hz` from outside while the script runs.
pub fn run_sampled(
    python: &str,
    script: &str,
    args: &[String],
    timeout: Option<Duration>,
    rate_hz: u32,
) -> Result<ExternalScript> {
    run_with(python, script, args, timeout, Some(rate_hz))
}

pub fn run(
    python: &str,
    script: &str,
    args: &[String],
    timeout: Option<Duration>,
) -> Result<ExternalScript> {
    run_with(python, script, args, timeout, None)
}

fn run_with(
    python: &str,
    script: &str,
    args: &[String],
    timeout: Option<Duration>,
    sample_hz: Option<u32>,
) -> Result<ExternalScript> {
    let (mine, theirs) = UnixStream::pair().context("creating the handshake socket")?;
    let fd = theirs.as_raw_fd();
    let mut command = Command::new(python);
    command
        .args(["-c", WRAPPER, script])
        .args(args)
        .env("GILSIM_SYNC_FD", "3");
    // A terminal's reader must stay in the foreground group; otherwise the script gets its own
    // group, so that everything it starts can be killed with it.
    let own_group = !std::io::stdin().is_terminal();
    // SAFETY: dup2 and fcntl are async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            if fd == 3 {
                let flags = libc::fcntl(3, libc::F_GETFD);
                libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            } else if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if own_group {
                libc::setpgid(0, 0);
            }
            Ok(())
        });
    }
    let _supervising = signals::Supervising::start();
    // Whatever the script leaves behind becomes gilsim's to end, as with the embedded run.
    reaper::become_subreaper();
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {python}"))?;
    drop(theirs);
    let pid = child.id() as i32;
    let deadline = timeout.map(|t| (started + t, t.as_secs_f64()));
    let mut sync = Handshake {
        socket: mine,
        deadline,
    };
    let kill = |pid: i32| {
        if own_group {
            signals::kill_group(pid);
        }
        signals::send(pid, signals::Signal::SIGKILL);
    };
    let run = (|| -> Result<Option<Handshaken>, RunError> {
        if sync.expect(b'r')?.is_none() {
            return Ok(None);
        }
        let gil = OutsideGil::attach(pid, None);
        let before = gil.as_ref().ok().and_then(|g| g.read().ok());
        let enabled_before = gil.as_ref().ok().and_then(|g| g.enabled().ok());
        let poller = tasks::Poller::start(pid);
        let sampler = sample_hz.and_then(|hz| {
            OutsideGil::attach(pid, None)
                .ok()
                .map(|g| crate::measure::outside::sampler::Sampler::start(g, hz))
        });
        let go = Instant::now();
        sync.send(b'g');
        let done = sync.expect(b'd')?;
        let wall = go.elapsed().as_secs_f64();
        let held = sampler.map(|s| {
            let tally = s.take();
            s.stop();
            let n = tally.samples.max(1) as f64;
            let mut by_thread: Vec<f64> = tally.by_holder.values().map(|&k| k as f64 / n).collect();
            by_thread.sort_by(|a, b| b.total_cmp(a));
            Held {
                samples: tally.samples,
                fraction: tally.held as f64 / n,
                by_thread,
            }
        });
        let after = gil.as_ref().ok().and_then(|g| g.read().ok());
        let enabled_after = gil.as_ref().ok().and_then(|g| g.enabled().ok());
        sync.send(b'k');
        let threads = poller.stop().len();
        let without_gil = matches!(
            (enabled_before, enabled_after),
            (Some(GilEnabled::Disabled), Some(GilEnabled::Disabled))
        );
        let (switches, note) = match (&gil, before, after, done) {
            _ if without_gil => (None, Some("not applicable: a free-threaded build that ran without its GIL (its `enabled` field read 0 before and after the script)".into())),
            (Ok(_), Some(b), Some(a), Some(_)) => (Some(a.switch_number - b.switch_number), None),
            (Err(e), ..) => (None, Some(e.to_string())),
            (_, _, _, None) => (None, Some("the script ended the process itself (os._exit or a signal), before the last reading".into())),
            _ => (None, Some("reading the GIL from outside failed during the run".into())),
        };
        Ok(Some(Handshaken {
            wall_s: wall,
            switches,
            note,
            threads,
            held,
            gil_enabled: enabled_before.zip(enabled_after).map(|(b, a)| [b, a]),
        }))
    })();
    let result = match run {
        Ok(r) => r,
        Err(e) => {
            kill(pid);
            let _ = child.wait();
            reaper::kill_and_reap_children();
            return Err(e.into());
        }
    };
    let (exit_code, usage, timed_out) =
        external::wait_or_kill(pid, deadline.map(|(d, _)| d), || kill(pid));
    reaper::kill_and_reap_children();
    if let Some((_, seconds)) = deadline.filter(|_| timed_out) {
        return Err(RunError::Timeout { seconds }.into());
    }
    if let Some(signal) = signals::received() {
        return Err(RunError::Interrupted { signal }.into());
    }
    let measured = result.unwrap_or_else(|| Handshaken {
        wall_s: started.elapsed().as_secs_f64(),
        switches: None,
        note: Some("the interpreter ended before the script started".into()),
        threads: 0,
        held: None,
        gil_enabled: None,
    });
    Ok(ExternalScript {
        outcome: ScriptOutcome {
            exit_code,
            wall_s: measured.wall_s,
            usage,
            threads_seen: measured.threads,
            gil_switches: measured.switches,
            gil_unavailable: measured.note.clone(),
        },
        gil_note: measured.note,
        held: measured.held,
        gil_enabled: measured.gil_enabled,
    })
}

/// What was measured between the handshakes.
struct Handshaken {
    wall_s: f64,
    switches: Option<u64>,
    note: Option<String>,
    threads: usize,
    held: Option<Held>,
    gil_enabled: Option<[GilEnabled; 2]>,
}

/// The parent's end of the handshake socket, and the run's deadline (instant, seconds).
struct Handshake {
    socket: UnixStream,
    deadline: Option<(Instant, f64)>,
}

impl Handshake {
    /// Waits for byte `want`; None when the child closed its end (it ended) first.
    fn expect(&mut self, want: u8) -> Result<Option<u8>, RunError> {
        self.socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .map_err(RunError::from)?;
        let mut byte = [0u8];
        loop {
            if let Some(signal) = signals::received() {
                return Err(RunError::Interrupted { signal });
            }
            if let Some((_, seconds)) = self.deadline.filter(|(d, _)| Instant::now() >= *d) {
                return Err(RunError::Timeout { seconds });
            }
            match self.socket.read(&mut byte) {
                Ok(0) => return Ok(None),
                Ok(_) if byte[0] == want => return Ok(Some(want)),
                Ok(_) => return Ok(None),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return Ok(None),
            }
        }
    }

    fn send(&mut self, byte: u8) {
        // A child that has gone cannot be told anything; waiting for it says so.
        let _ = self.socket.write_all(&[byte]);
    }
}
