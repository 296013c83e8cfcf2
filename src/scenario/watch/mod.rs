//! Watching a running CPython from outside: exact hand-offs (the GIL's `switch_number`), the
//! held share and its holders (sampled), and each thread's CPU, run-queue and off-CPU time
//! (`schedstat`), reported every interval and summed up at the end. Read-only throughout.
pub mod rows;
pub mod verdict;

use crate::measure::outside::memory;
use crate::measure::outside::sampler::{Sampler, Tally};
use crate::measure::outside::sibling::BuildLayout;
use crate::measure::outside::{GilEnabled, OutsideError, OutsideGil, OutsideReading};
use crate::measure::tasks::{self, TaskTimes};
use crate::runner::signals;
pub use crate::scenario::spec::WatchSpec;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One thread over one interval (or the whole watch).
#[derive(Clone, Debug, Serialize)]
pub struct ThreadFigures {
    /// OS thread id; None for a holder whose thread could not be identified.
    pub tid: Option<u64>,
    pub name: String,
    /// Share of the samples in which this thread held the GIL (None without sampling).
    pub held_fraction: Option<f64>,
    /// Share of the kernel-state samples in which this thread slept on the GIL's condition
    /// variable or mutex: waiting for the GIL (None without sampling).
    pub waiting_fraction: Option<f64>,
    /// A free-threaded build: share of the kernel-state samples in which this thread was
    /// parked inside the interpreter (an object's lock, an interpreter lock or event; not a
    /// threading.Lock). Absent on a GIL build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked_fraction: Option<f64>,
    /// Whether the process is a free-threaded build (its table has the parked column).
    #[serde(skip)]
    pub free_threaded: bool,
    /// Shares of the wall time on a CPU, runnable but waiting for one, and off CPU (blocked:
    /// waiting for the GIL, for I/O, or sleeping).
    pub cpu_fraction: Option<f64>,
    pub runqueue_fraction: Option<f64>,
    pub off_cpu_fraction: Option<f64>,
}

/// Figures for one interval, or (in the summary) for the whole watch.
#[derive(Clone, Debug, Serialize)]
pub struct Interval {
    /// Seconds since watching started (the end of the interval).
    pub t_s: f64,
    /// Exact hand-offs of the GIL in the interval.
    pub switches: u64,
    pub switches_per_s: f64,
    /// Share of samples with the GIL held (None without sampling).
    pub held_fraction: Option<f64>,
    pub samples: u64,
    pub threads: Vec<ThreadFigures>,
}

/// The whole watch: totals, how it was read, and the verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub summary: bool,
    #[serde(flatten)]
    pub totals: Interval,
    pub pid: i32,
    pub python: String,
    /// `gil` or `free-threaded`: how the interpreter was built.
    pub build: &'static str,
    /// Whether the GIL was in use at the end (`always` on a GIL build; `disabled` or `enabled`
    /// on a free-threaded one, read from its state's `enabled` field).
    pub gil_enabled: GilEnabled,
    /// Seconds from the start at which the free-threaded build's GIL was seen to turn on or
    /// off (read every 10 ms), with the state it turned to.
    pub gil_enabled_changes: Vec<GilChange>,
    /// `debug-offsets` or `calibrated`.
    pub gil_found_by: &'static str,
    /// The process ended while watched.
    pub ended: bool,
    /// Samples per second achieved, and the sampler thread's CPU time.
    pub sample_rate_hz: f64,
    pub sampler_cpu_s: f64,
    /// Why holders are not mapped to threads, when they are not.
    pub note: Option<String>,
    pub verdict: String,
}

/// A free-threaded build's GIL turning on or off.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct GilChange {
    pub t_s: f64,
    pub enabled: GilEnabled,
}

/// Attaches to `spec.pid`, calls `each` after every interval, and returns the summary.
pub fn watch(spec: &WatchSpec, mut each: impl FnMut(&Interval)) -> Result<Summary, OutsideError> {
    let gil = OutsideGil::attach(spec.pid, None)?;
    let pid = spec.pid;
    // The thread states' OS ids need the build's layout; without it holders stay anonymous.
    let layout = gil.thread_layout();
    let note = layout
        .as_ref()
        .err()
        .map(|e| format!("GIL holders are not mapped to threads: {e}"));
    let layout = layout.ok();
    let _supervising = signals::Supervising::start();
    let sampler = (spec.sample_hz > 0).then(|| Sampler::start(gil.clone(), spec.sample_hz));
    let start = Instant::now();
    let first = gil.read()?;
    let first_enabled = gil.enabled()?;
    let mut enabled = first_enabled;
    let mut changes: Vec<GilChange> = Vec::new();
    let mut see_enabled = |t_s: f64| {
        if let Ok(now) = gil.enabled() {
            if now != enabled {
                changes.push(GilChange { t_s, enabled: now });
                enabled = now;
            }
        }
    };
    let first_tasks = tasks::read(pid);
    let ids = ThreadIds {
        pid,
        free_threaded: gil.free_threaded(),
        layout,
        seen: Default::default(),
    };
    let (mut last, mut last_tasks, mut last_t) = (first, first_tasks.clone(), 0.0);
    let mut total = Tally::default();
    let mut ended = false;
    let mut ticks = 0u32;
    let mut freshest = (first, 0.0, first_tasks.clone());
    'watching: loop {
        ticks += 1;
        let tick = start + spec.every * ticks;
        let stop_at = spec.duration.map(|d| start + d);
        let until = stop_at.map_or(tick, |s| s.min(tick));
        while Instant::now() < until {
            if signals::received().is_some() {
                break 'watching;
            }
            std::thread::sleep(Duration::from_millis(10).min(until - Instant::now()));
            // The freshest reading, for the last interval of a process that ends.
            if let Ok(r) = gil.read() {
                freshest = (r, start.elapsed().as_secs_f64(), tasks::read(pid));
            }
            see_enabled(start.elapsed().as_secs_f64());
        }
        // A process that ended gets its last interval up to the freshest reading.
        let (reading, t, now_tasks) = match gil.read() {
            Ok(r) if memory::alive(pid) => (r, start.elapsed().as_secs_f64(), tasks::read(pid)),
            _ => {
                ended = true;
                freshest.clone()
            }
        };
        if t > last_t {
            let tally = sampler.as_ref().map(Sampler::take).unwrap_or_default();
            total.add(&tally);
            each(&figures(
                &ids,
                &last,
                &reading,
                &last_tasks,
                &now_tasks,
                &tally,
                sampler.is_some(),
                t - last_t,
                t,
            ));
            (last, last_tasks, last_t) = (reading, now_tasks, t);
        }
        if ended {
            break;
        }
        let target_ended = sampler.as_ref().is_some_and(Sampler::target_ended);
        if target_ended || stop_at.is_some_and(|s| Instant::now() >= s) {
            ended |= target_ended;
            break;
        }
    }
    let (sample_rate_hz, sampler_cpu_s) = match sampler {
        Some(s) => {
            total.add(&s.take());
            let cpu = s.stop();
            (total.samples as f64 / last_t.max(1e-9), cpu)
        }
        None => (0.0, 0.0),
    };
    let mut totals = figures(
        &ids,
        &first,
        &last,
        &first_tasks,
        &last_tasks,
        &total,
        spec.sample_hz > 0,
        last_t,
        last_t,
    );
    let gil_state = verdict::GilState {
        free_threaded: gil.free_threaded(),
        first: first_enabled,
        last: enabled,
        changes: changes.clone(),
    };
    if !gil_state.ever_in_use() {
        // No GIL at any reading: held and waiting-for-the-GIL shares do not apply.
        totals.held_fraction = None;
        for t in &mut totals.threads {
            t.held_fraction = None;
            t.waiting_fraction = None;
        }
    }
    let python = format!(
        "{}{}",
        gil.version,
        if gil.free_threaded() { "t" } else { "" }
    );
    let verdict = verdict::verdict(&totals, ended, &gil_state);
    Ok(Summary {
        summary: true,
        totals,
        pid,
        python,
        build: if gil.free_threaded() {
            "free-threaded"
        } else {
            "gil"
        },
        gil_enabled: enabled,
        gil_enabled_changes: changes,
        gil_found_by: gil.source,
        ended,
        sample_rate_hz,
        sampler_cpu_s,
        note,
        verdict,
    })
}

/// Thread-state addresses mapped to OS thread ids, read each time they are asked for (a state
/// can be freed and its memory reused by another thread); the last mapping read is kept for
/// when the process has ended and its memory can no longer be read.
struct ThreadIds {
    pid: i32,
    /// A free-threaded build: its threads' parked shares are given.
    free_threaded: bool,
    layout: Option<BuildLayout>,
    seen: std::cell::RefCell<BTreeMap<usize, u64>>,
}

impl ThreadIds {
    fn of(&self, tstate: usize, live: &BTreeMap<u64, TaskTimes>) -> Option<u64> {
        let read = self.layout.as_ref()?.os_thread_id(self.pid, tstate);
        if let Some(tid) = read {
            self.seen.borrow_mut().insert(tstate, tid);
        }
        read.or_else(|| self.seen.borrow().get(&tstate).copied())
            .filter(|tid| live.contains_key(tid))
    }
}

#[allow(clippy::too_many_arguments)]
fn figures(
    ids: &ThreadIds,
    from: &OutsideReading,
    to: &OutsideReading,
    from_tasks: &BTreeMap<u64, TaskTimes>,
    to_tasks: &BTreeMap<u64, TaskTimes>,
    tally: &Tally,
    sampling: bool,
    seconds: f64,
    t_s: f64,
) -> Interval {
    let switches = to.switch_number.saturating_sub(from.switch_number);
    let share = |n: u64| (sampling && tally.samples > 0).then(|| n as f64 / tally.samples as f64);
    let mut held_by: BTreeMap<Option<u64>, u64> = BTreeMap::new();
    let mut anonymous: Vec<(usize, u64)> = Vec::new();
    for (&tstate, &n) in &tally.by_holder {
        match ids.of(tstate, to_tasks) {
            Some(tid) => *held_by.entry(Some(tid)).or_default() += n,
            None => anonymous.push((tstate, n)),
        }
    }
    let wall_ns = seconds * 1e9;
    let fraction = |ns: u64| (wall_ns > 0.0).then(|| ns as f64 / wall_ns);
    let mut threads: Vec<ThreadFigures> = to_tasks
        .iter()
        .map(|(tid, now)| {
            let before = from_tasks.get(tid);
            let cpu = now.cpu_ns.saturating_sub(before.map_or(0, |b| b.cpu_ns));
            let queue = now
                .runqueue_ns
                .saturating_sub(before.map_or(0, |b| b.runqueue_ns));
            let cpu_fraction = fraction(cpu);
            let runqueue_fraction = fraction(queue);
            ThreadFigures {
                tid: Some(*tid),
                name: now.name.clone(),
                held_fraction: share(held_by.get(&Some(*tid)).copied().unwrap_or(0)),
                waiting_fraction: (sampling && tally.wait_samples > 0).then(|| {
                    tally.waiting.get(tid).copied().unwrap_or(0) as f64 / tally.wait_samples as f64
                }),
                free_threaded: ids.free_threaded,
                parked_fraction: (ids.free_threaded && sampling && tally.wait_samples > 0).then(
                    || {
                        tally.parked.get(tid).copied().unwrap_or(0) as f64
                            / tally.wait_samples as f64
                    },
                ),
                cpu_fraction,
                runqueue_fraction,
                off_cpu_fraction: cpu_fraction
                    .zip(runqueue_fraction)
                    .map(|(c, q)| (1.0 - c - q).max(0.0)),
            }
        })
        .collect();
    anonymous.sort();
    threads.extend(anonymous.into_iter().map(|(tstate, n)| ThreadFigures {
        tid: None,
        name: format!("thread state {tstate:#x}"),
        held_fraction: share(n),
        waiting_fraction: None,
        parked_fraction: None,
        free_threaded: ids.free_threaded,
        cpu_fraction: None,
        runqueue_fraction: None,
        off_cpu_fraction: None,
    }));
    Interval {
        t_s,
        switches,
        switches_per_s: if seconds > 0.0 {
            switches as f64 / seconds
        } else {
            0.0
        },
        held_fraction: share(tally.held),
        samples: tally.samples,
        threads,
    }
}
