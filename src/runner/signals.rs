//! Ctrl-C, SIGTERM and SIGHUP in the parent: remembered, so the supervising loop can kill its
//! workers' process groups and exit instead of dying with children left running.
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
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores into an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(signal, remember as *const () as libc::sighandler_t);
        }
    }
}

/// The last terminating signal received, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}
