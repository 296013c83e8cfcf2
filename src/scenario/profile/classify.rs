//! What a thread does with the GIL at one sample, from two readings of the same moment: the
//! interpreter's record of the holder, and the system call the kernel says the thread sleeps in.
use crate::measure::outside::kernel_wait::KernelWait;
use serde::Serialize;
use std::ops::Range;

/// A thread's relation to the GIL at one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GilUse {
    /// Holding the GIL.
    Held = 0,
    /// Asleep on the GIL's own condition variable or mutex.
    Waiting = 1,
    /// On a CPU (or runnable) without the GIL: C code that released it.
    Released = 2,
    /// Asleep elsewhere: I/O, `time.sleep`, a lock, a queue.
    Idle = 3,
}

impl GilUse {
    pub const ALL: [GilUse; 4] = [
        GilUse::Held,
        GilUse::Waiting,
        GilUse::Released,
        GilUse::Idle,
    ];

    /// The state in words, for tables and flame graphs.
    pub fn words(self) -> &'static str {
        match self {
            GilUse::Held => "holding the GIL",
            GilUse::Waiting => "waiting for the GIL",
            GilUse::Released => "running without the GIL",
            GilUse::Idle => "idle",
        }
    }

    /// The state in words for a free-threaded build running without its GIL.
    pub fn words_without_gil(self) -> &'static str {
        match self {
            GilUse::Held | GilUse::Released => "running",
            GilUse::Waiting => "parked inside the interpreter",
            GilUse::Idle => "idle",
        }
    }
}

/// The holder holds; a thread asleep in `futex` inside the GIL's state waits for it; any other
/// sleep is idle. A thread the kernel calls running runs without the GIL, unless a second look
/// (`later`: holding, and the kernel state, once the stacks are read) finds it holding the GIL
/// or asleep on it: then it was being handed the GIL (woken, not yet holding), and waited.
pub fn classify(
    holds_gil: bool,
    wait: KernelWait,
    gil_state: &Range<u64>,
    later: Option<(bool, KernelWait)>,
) -> GilUse {
    let on_gil = |w: KernelWait| matches!(w, KernelWait::Futex(a) if gil_state.contains(&a));
    match wait {
        _ if holds_gil => GilUse::Held,
        w if on_gil(w) => GilUse::Waiting,
        KernelWait::Running => match later {
            Some((true, _)) => GilUse::Waiting,
            Some((_, w)) if on_gil(w) => GilUse::Waiting,
            _ => GilUse::Released,
        },
        _ => GilUse::Idle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reading_gives_its_state() {
        let gil = 0x1000..0x10d0;
        let state = |holds, wait| classify(holds, wait, &gil, None);
        assert_eq!(state(true, KernelWait::Running), GilUse::Held);
        assert_eq!(state(true, KernelWait::Futex(0x1020)), GilUse::Held);
        assert_eq!(state(false, KernelWait::Futex(0x1020)), GilUse::Waiting);
        assert_eq!(state(false, KernelWait::Futex(0x10cf)), GilUse::Waiting);
        assert_eq!(state(false, KernelWait::Futex(0x10d0)), GilUse::Idle);
        assert_eq!(state(false, KernelWait::Futex(0x0fff)), GilUse::Idle);
        assert_eq!(state(false, KernelWait::Running), GilUse::Released);
        assert_eq!(state(false, KernelWait::Elsewhere), GilUse::Idle);
    }

    #[test]
    fn a_waiter_woken_to_take_the_gil_still_waits() {
        let gil = 0x1000..0x10d0;
        let running = |later| classify(false, KernelWait::Running, &gil, Some(later));
        assert_eq!(running((true, KernelWait::Running)), GilUse::Waiting);
        assert_eq!(running((false, KernelWait::Futex(0x1030))), GilUse::Waiting);
        assert_eq!(running((false, KernelWait::Running)), GilUse::Released);
        assert_eq!(running((false, KernelWait::Elsewhere)), GilUse::Released);
        let later = Some((false, KernelWait::Futex(0x1030)));
        assert_eq!(
            classify(true, KernelWait::Running, &gil, later),
            GilUse::Held
        );
        assert_eq!(
            classify(false, KernelWait::Elsewhere, &gil, later),
            GilUse::Idle
        );
    }
}
