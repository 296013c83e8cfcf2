//! CPU time and context switches from `getrusage`, for a process, its reaped children or one
//! thread.
use serde::{Deserialize, Serialize};

/// Resource usage counters; differences of two snapshots measure an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub user_s: f64,
    pub sys_s: f64,
    pub voluntary: i64,
    pub involuntary: i64,
}

#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// The calling process (all its threads).
    Process,
    /// Descendants that have ended and been waited for.
    Children,
    /// The calling thread only.
    Thread,
}

impl Usage {
    pub fn cpu_s(&self) -> f64 {
        self.user_s + self.sys_s
    }

    pub fn of(who: Who) -> Usage {
        use nix::sys::resource::{getrusage, UsageWho};
        let which = match who {
            Who::Process => UsageWho::RUSAGE_SELF,
            Who::Children => UsageWho::RUSAGE_CHILDREN,
            Who::Thread => UsageWho::RUSAGE_THREAD,
        };
        // getrusage fails only for an unknown `who`.
        let ru = getrusage(which).expect("getrusage of a known `who`");
        let secs = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 * 1e-6;
        Usage {
            user_s: secs(ru.user_time()),
            sys_s: secs(ru.system_time()),
            voluntary: ru.voluntary_context_switches(),
            involuntary: ru.involuntary_context_switches(),
        }
    }

    /// This process plus every descendant it has waited for: the whole process tree once the
    /// children have been joined.
    pub fn process_tree() -> Usage {
        Usage::of(Who::Process).plus(&Usage::of(Who::Children))
    }

    pub fn plus(&self, other: &Usage) -> Usage {
        Usage {
            user_s: self.user_s + other.user_s,
            sys_s: self.sys_s + other.sys_s,
            voluntary: self.voluntary + other.voluntary,
            involuntary: self.involuntary + other.involuntary,
        }
    }

    /// The difference, never negative. The kernel splits a thread's precise run time into
    /// user and system by tick sampling, per thread and per process separately, so a part's
    /// user/sys split need not match the whole's: the total is exact, the split is re-fitted.
    pub fn since(&self, earlier: &Usage) -> Usage {
        let total = (self.cpu_s() - earlier.cpu_s()).max(0.0);
        let user_s = (self.user_s - earlier.user_s).clamp(0.0, total);
        Usage {
            user_s,
            sys_s: total - user_s,
            voluntary: (self.voluntary - earlier.voluntary).max(0),
            involuntary: (self.involuntary - earlier.involuntary).max(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_keep_the_exact_total() {
        let whole = Usage {
            user_s: 0.699,
            sys_s: 0.036,
            voluntary: 10,
            involuntary: 3,
        };
        let part = Usage {
            user_s: 0.0,
            sys_s: 0.168,
            voluntary: 12,
            involuntary: 1,
        };
        let rest = whole.since(&part);
        assert!((rest.cpu_s() - 0.567).abs() < 1e-9, "{rest:?}");
        assert_eq!(rest.voluntary, 0);
        assert_eq!(rest.involuntary, 2);
    }

    #[test]
    fn busy_thread_accumulates_cpu_time() {
        let before = Usage::of(Who::Thread);
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed().as_millis() < 60 {
            x = std::hint::black_box(x + 1);
        }
        let spent = Usage::of(Who::Thread).since(&before);
        // The clock tick is 1-10 ms; 60 ms of spinning cannot read as less than 20 ms of CPU.
        assert!(spent.cpu_s() > 0.02, "spent {spent:?}");
        assert!(Usage::process_tree().cpu_s() >= spent.cpu_s());
    }
}
