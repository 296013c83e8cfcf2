//! Each thread of a process as the kernel accounts it: `/proc/PID/task/TID/schedstat` (time on
//! a CPU, time runnable but waiting for one), `status` (context switches) and `comm` (the
//! thread's name).
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One thread's counters at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskTimes {
    pub name: String,
    /// Nanoseconds on a CPU.
    pub cpu_ns: u64,
    /// Nanoseconds runnable, waiting in the run queue.
    pub runqueue_ns: u64,
    /// Voluntary and involuntary context switches.
    pub voluntary: i64,
    pub involuntary: i64,
}

/// The threads of `pid` (none once the process is gone).
fn tasks(pid: i32) -> Vec<procfs::process::Task> {
    procfs::process::Process::new(pid)
        .and_then(|p| p.tasks())
        .map(|tasks| tasks.flatten().collect())
        .unwrap_or_default()
}

/// The thread ids of `pid` (empty once the process is gone).
pub fn ids(pid: i32) -> std::collections::BTreeSet<u64> {
    tasks(pid).iter().map(|t| t.tid as u64).collect()
}

/// Thread `tid`'s one-letter state (`R`: running or runnable), read at every sample of a
/// timeline: found without parsing the rest of the line as procfs would.
pub fn state(pid: i32, tid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    stat.get(stat.rfind(')')? + 2..)?.chars().next()
}

/// Every thread of `pid` by thread id (empty once the process is gone).
pub fn read(pid: i32) -> BTreeMap<u64, TaskTimes> {
    let mut times = BTreeMap::new();
    for task in tasks(pid) {
        let Ok(sched) = task.schedstat() else {
            continue;
        };
        let status = task.status().ok();
        let switches = |of: fn(&procfs::process::Status) -> Option<u64>| {
            status.as_ref().and_then(of).unwrap_or(0) as i64
        };
        times.insert(
            task.tid as u64,
            TaskTimes {
                name: status.as_ref().map_or(String::new(), |s| s.name.clone()),
                cpu_ns: sched.sum_exec_runtime,
                runqueue_ns: sched.run_delay,
                voluntary: switches(|s| s.voluntary_ctxt_switches),
                involuntary: switches(|s| s.nonvoluntary_ctxt_switches),
            },
        );
    }
    times
}

/// Each thread's counters over a stretch of time, polled (a thread's counters vanish with it,
/// so the last reading before it ended is kept; the poll period bounds what is missed).
pub struct Poller {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(u64, TaskTimes)>>,
}

impl Poller {
    const PERIOD: Duration = Duration::from_millis(5);

    pub fn start(pid: i32) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let start = read(pid);
            let mut last = start.clone();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Self::PERIOD);
                last.extend(read(pid));
            }
            last.extend(read(pid));
            last.into_iter()
                .map(|(tid, now)| {
                    let before = start.get(&tid);
                    let since = TaskTimes {
                        cpu_ns: now.cpu_ns.saturating_sub(before.map_or(0, |b| b.cpu_ns)),
                        runqueue_ns: now
                            .runqueue_ns
                            .saturating_sub(before.map_or(0, |b| b.runqueue_ns)),
                        voluntary: now.voluntary - before.map_or(0, |b| b.voluntary),
                        involuntary: now.involuntary - before.map_or(0, |b| b.involuntary),
                        name: now.name,
                    };
                    (tid, since)
                })
                .collect()
        });
        Poller { stop, thread }
    }

    /// Each thread seen (by id) with its counters since `start`.
    pub fn stop(self) -> Vec<(u64, TaskTimes)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_its_threads_listed_with_cpu_time() {
        let spin = std::thread::spawn(|| {
            let start = std::time::Instant::now();
            while start.elapsed() < std::time::Duration::from_millis(50) {}
        });
        let tasks = read(std::process::id() as i32);
        spin.join().unwrap();
        assert!(tasks.len() >= 2, "{tasks:?}");
        let me = &tasks[&(std::process::id() as u64)];
        assert!(me.cpu_ns > 0 && me.voluntary + me.involuntary > 0, "{me:?}");
    }
}
