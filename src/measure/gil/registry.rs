//! Which Python thread owns which thread state: each thread registers itself (name, OS thread
//! id, `PyThreadState*`) when it starts and reports its scheduler times when it ends, because
//! an exited thread's /proc entry is gone.
use pyo3::prelude::*;
use serde::Serialize;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Debug, Serialize)]
pub struct ThreadRecord {
    pub name: String,
    pub tid: i32,
    #[serde(skip)]
    pub tstate: usize,
    /// Registration order: a thread state's address is reused once its thread has ended, so
    /// the sampler's credits to an address are told apart by the epoch they were taken in.
    #[serde(skip)]
    pub epoch: u64,
    #[serde(skip)]
    pub started: Instant,
    #[serde(skip)]
    pub start_sched: SchedStat,
    #[serde(skip)]
    pub end: Option<(Instant, SchedStat)>,
}

/// /proc/<tid>/schedstat: time on a CPU, time waiting in the run queue (both ns).
#[derive(Clone, Copy, Debug, Default)]
pub struct SchedStat {
    pub on_cpu_ns: u64,
    pub run_queue_ns: u64,
}

impl SchedStat {
    pub fn of_this_thread() -> SchedStat {
        Self::of(gettid())
    }

    /// Thread `tid` of this process (zeros where it cannot be read).
    pub fn of(tid: i32) -> SchedStat {
        procfs::process::Process::myself()
            .and_then(|me| me.task_from_tid(tid))
            .and_then(|task| task.schedstat())
            .map_or(SchedStat::default(), |s| SchedStat {
                on_cpu_ns: s.sum_exec_runtime,
                run_queue_ns: s.run_delay,
            })
    }
}

static THREADS: Mutex<Vec<ThreadRecord>> = Mutex::new(Vec::new());

/// Counts registrations; read by the sampler at every sample (see `ThreadRecord::epoch`).
static EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The registration epoch now.
pub fn epoch() -> u64 {
    EPOCH.load(std::sync::atomic::Ordering::Relaxed)
}

fn gettid() -> i32 {
    nix::unistd::gettid().as_raw()
}

/// Called by a Python thread as it starts (attached, so it has a thread state).
#[pyfunction]
pub fn register_thread(name: String) {
    // SAFETY: called from Python, so this thread is attached.
    let tstate = unsafe { pyo3::ffi::PyThreadState_Get() } as usize;
    let tid = gettid();
    let mut threads = THREADS.lock().expect("thread registry");
    threads.retain(|t| t.tid != tid || t.end.is_some());
    let epoch = EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    threads.push(ThreadRecord {
        name,
        tid,
        tstate,
        epoch,
        started: Instant::now(),
        start_sched: SchedStat::of_this_thread(),
        end: None,
    });
}

/// Called by a registered thread as it finishes its work.
#[pyfunction]
pub fn thread_done() {
    let tid = gettid();
    let sched = SchedStat::of_this_thread();
    if let Some(t) = THREADS
        .lock()
        .expect("thread registry")
        .iter_mut()
        .rev()
        .find(|t| t.tid == tid && t.end.is_none())
    {
        t.end = Some((Instant::now(), sched));
    }
}

/// Bit i set when registered thread i is running or runnable (/proc state `R`); for
/// timelines, read on every sample.
pub fn running_mask() -> u64 {
    let tids: Vec<i32> = THREADS
        .lock()
        .expect("thread registry")
        .iter()
        .take(64)
        .map(|t| if t.end.is_some() { 0 } else { t.tid })
        .collect();
    let mut mask = 0;
    for (i, tid) in tids.into_iter().enumerate() {
        if tid != 0 && crate::measure::tasks::state(std::process::id() as i32, tid) == Some('R') {
            mask |= 1 << i;
        }
    }
    mask
}

/// Forgets every thread (a new trial starts).
pub fn clear() {
    THREADS.lock().expect("thread registry").clear();
}

/// The registered threads; those still running are read now.
pub fn snapshot() -> Vec<ThreadRecord> {
    let mut threads = THREADS.lock().expect("thread registry").clone();
    for t in threads.iter_mut().filter(|t| t.end.is_none()) {
        t.end = Some((Instant::now(), SchedStat::of(t.tid)));
    }
    threads
}
