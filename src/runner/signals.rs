//! Ctrl-C, SIGTERM and SIGHUP in the parent: remembered, so the supervising loop can kill its
//! workers' process groups and exit instead of dying with children left running.
pub use nix::sys::signal::Signal;
use nix::unistd::Pid;
use std::sync::atomic::{AtomicI32, Ordering};

static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// How many workers are being supervised right now (they must be killed before exiting).
static SUPERVISING: AtomicI32 = AtomicI32::new(0);

extern "C" fn remember(signal: libc::c_int) {
    if SUPERVISING.load(Ordering::SeqCst) == 0 {
        // Nothing of ours to clean up (gilsim is computing, e.g. simulating): end now.
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(128 + signal) };
    }
    RECEIVED.store(signal, Ordering::SeqCst);
}

/// Marks a stretch during which a worker runs; the supervisor then handles signals itself.
pub struct Supervising;

impl Supervising {
    pub fn start() -> Supervising {
        SUPERVISING.fetch_add(1, Ordering::SeqCst);
        Supervising
    }
}

impl Drop for Supervising {
    fn drop(&mut self) {
        SUPERVISING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Installs the handlers; call once at start-up of a supervising command.
pub fn install() {
    use nix::sys::signal::{signal, SigHandler};
    for which in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores into an atomic or calls _exit, both
        // async-signal-safe.
        unsafe {
            let _ = signal(which, SigHandler::Handler(remember));
        }
    }
}

/// Sends SIGKILL to process group `pgid`; a group already gone (ESRCH) is fine.
pub fn kill_group(pgid: i32) {
    let _ = nix::sys::signal::killpg(Pid::from_raw(pgid), Signal::SIGKILL);
}

/// Sends `signal` to process `pid`; a process already gone (ESRCH) is fine.
pub fn send(pid: i32, signal: Signal) {
    let _ = nix::sys::signal::kill(Pid::from_raw(pid), signal);
}

/// The exit code after a run that a terminating signal ended early (128 + N), else 0.
pub fn exit_code() -> i32 {
    received().map_or(0, |signal| 128 + signal)
}

/// The last terminating signal received, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}
