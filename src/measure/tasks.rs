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

/// The thread ids of `pid` (empty once the process is gone).
pub fn ids(pid: i32) -> std::collections::BTreeSet<u64> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Every thread of `pid` by thread id (empty once the process is gone).
pub fn read(pid: i32) -> BTreeMap<u64, TaskTimes> {
    let mut tasks = BTreeMap::new();
    for tid in ids(pid) {
        let path = std::path::PathBuf::from(format!("/proc/{pid}/task/{tid}"));
        let Some((cpu_ns, runqueue_ns)) = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| parse_schedstat(&s))
        else {
            continue;
        };
        let name = std::fs::read_to_string(path.join("comm"))
            .map(|n| n.trim_end().to_string())
            .unwrap_or_default();
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        let switches = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        tasks.insert(
            tid,
            TaskTimes {
                name,
                cpu_ns,
                runqueue_ns,
                voluntary: switches("voluntary_ctxt_switches:"),
                involuntary: switches("nonvoluntary_ctxt_switches:"),
            },
        );
    }
    tasks
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

/// "on-CPU ns, run-queue ns, time slices".
fn parse_schedstat(text: &str) -> Option<(u64, u64)> {
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    Some((fields.next()??, fields.next()??))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_gives_cpu_and_runqueue_time() {
        assert_eq!(parse_schedstat("12345 678 9\n"), Some((12345, 678)));
        assert_eq!(parse_schedstat("garbage"), None);
    }

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
