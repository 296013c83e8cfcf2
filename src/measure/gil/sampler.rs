//! A host thread that reads the GIL state at a fixed period (50 µs; ≥ 10 kHz achieved) into counters
//! whose size does not grow with the run (plus, for timelines only, a capped list of state
//! changes). It never touches Python, so it cannot take part in the GIL it watches; it is
//! stopped before every `fork` (registered with `os.register_at_fork`) and before shutdown.
//!
//! Watching costs the workload on a machine with few CPUs: every wake-up keeps another CPU from
//! halting, and a busy neighbour CPU slows the GIL holder whoever keeps it busy
//! (`cargo bench --bench gil` measures it; docs/methodology.md has the figures).
use super::locate::GilState;
use crate::measure::clock::monotonic_ns;
use crate::measure::layout::Reading;
use crate::measure::rusage::{Usage, Who};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A step longer than this many periods is a gap (the sampler woke late).
const GAP_PERIODS: f64 = 25.0;

/// Timelines keep at most this many state changes (a 60 s two-thread run at 1 ms needs ~120k).
const MAX_TRANSITIONS: usize = 2_000_000;

#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Transition {
    /// Seconds since the sampler started.
    pub t: f64,
    pub locked: bool,
    pub holder: usize,
    /// Bit i: registered thread i was running or runnable (timelines only).
    pub running: u64,
}

#[derive(Debug)]
pub struct SamplerData {
    pub started: Instant,
    pub samples: u64,
    /// Time (s) the GIL was seen locked, and by whom: each sample's state stands for the time
    /// until the next sample, so late wake-ups weigh what they missed instead of biasing counts.
    pub locked_s: f64,
    /// Keyed by (thread state address, registration epoch when the time was seen).
    pub by_holder: HashMap<(usize, u64), f64>,
    pub observed_s: f64,
    /// The part of `observed_s` in steps no longer than a gap: what was watched closely.
    pub watched_s: f64,
    /// Changes of `last_holder` between consecutive samples: hand-offs the sampler saw.
    pub handoffs_seen: u64,
    pub transitions: Vec<Transition>,
    previous_at: f64,
    /// The longest time between two samples (s): how long the sampler was kept off a core.
    pub longest_gap_s: f64,
    /// The sampler thread's own CPU time and context switches, to take out of the workload's.
    pub own_usage: Usage,
    period_s: f64,
    record: bool,
    previous: Option<Reading>,
}

impl SamplerData {
    pub(crate) fn new(record: bool, period: Duration) -> SamplerData {
        SamplerData {
            longest_gap_s: 0.0,
            period_s: period.as_secs_f64(),
            started: Instant::now(),
            samples: 0,
            locked_s: 0.0,
            by_holder: HashMap::new(),
            observed_s: 0.0,
            watched_s: 0.0,
            handoffs_seen: 0,
            transitions: Vec::new(),
            previous_at: 0.0,
            own_usage: Usage::default(),
            record,
            previous: None,
        }
    }

    fn credit(&mut self, r: Reading, seconds: f64, epoch: u64) {
        if r.locked && seconds > 0.0 {
            self.locked_s += seconds;
            *self.by_holder.entry((r.last_holder, epoch)).or_insert(0.0) += seconds;
        }
    }

    pub(crate) fn observe(&mut self, r: Reading, running: u64) {
        self.samples += 1;
        let epoch = super::registry::epoch();
        let now = self.started.elapsed().as_secs_f64();
        if let Some(p) = self.previous {
            let dt = now - self.previous_at;
            self.longest_gap_s = self.longest_gap_s.max(dt);
            // A sample's state stands for the time until the next one. A longer gap means
            // the sampler woke late, which happens around hand-offs (the waking threads
            // compete for the cores): when the state changed across it, the change happened
            // somewhere inside, so half goes to each side instead of all to the old holder.
            self.observed_s += dt;
            let changed = p.locked != r.locked || p.last_holder != r.last_holder;
            if dt <= GAP_PERIODS * self.period_s {
                self.watched_s += dt;
                self.credit(p, dt, epoch);
            } else if changed {
                self.credit(p, dt / 2.0, epoch);
                self.credit(r, dt / 2.0, epoch);
            } else {
                self.credit(p, dt, epoch);
            }
        }
        self.previous_at = now;
        let changed = match self.previous {
            Some(p) => {
                if p.last_holder != r.last_holder {
                    self.handoffs_seen += 1;
                }
                p.locked != r.locked
                    || p.last_holder != r.last_holder
                    || self
                        .transitions
                        .last()
                        .is_some_and(|t| t.running != running)
            }
            None => true,
        };
        if self.record && changed && self.transitions.len() < MAX_TRANSITIONS {
            self.transitions.push(Transition {
                t: now,
                locked: r.locked,
                holder: r.last_holder,
                running,
            });
        }
        self.previous = Some(r);
    }
}

enum Slot {
    Idle,
    Running {
        stop: Arc<AtomicBool>,
        handle: JoinHandle<SamplerData>,
        gil: GilState,
        period: Duration,
    },
    Paused {
        data: SamplerData,
        gil: GilState,
        period: Duration,
    },
}

static SLOT: Mutex<Slot> = Mutex::new(Slot::Idle);

fn spawn(gil: GilState, period: Duration, mut data: SamplerData) -> Slot {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handle = std::thread::Builder::new()
        .name("gilsim-sampler".into())
        .spawn(move || {
            // Default timer slack (50 µs) would stretch every short sleep by half. Normal
            // priority and sleeping on purpose: at nice 19 or SCHED_IDLE the sampler waited for
            // a free core and so woke mostly at hand-offs (biased shares, ~6 kHz); a sampler
            // spinning at SCHED_IDLE cost as much and slowed the GIL's hand-offs by 15-30 %.
            // It affects only this thread.
            let _ = nix::sys::prctl::set_timerslack(1);
            // Absolute deadlines keep the rate at 1/period however long each sample takes;
            // after a gap it skips ahead instead of bursting to catch up.
            let step = period.as_nanos() as i64;
            let mut next = monotonic_ns();
            while !flag.load(Ordering::Relaxed) {
                let running = if data.record {
                    super::registry::running_mask()
                } else {
                    0
                };
                data.observe(gil.read(), running);
                next += step;
                let now = monotonic_ns();
                if next < now {
                    next = now + step;
                }
                sleep_until(next);
            }
            data.own_usage = data.own_usage.plus(&Usage::of(Who::Thread));
            data
        })
        .expect("starting the GIL sampler");
    Slot::Running {
        stop,
        handle,
        gil,
        period,
    }
}

/// An absolute sleep on the monotonic clock; an early return (EINTR) only samples sooner.
pub(crate) fn sleep_until(deadline_ns: i64) {
    use nix::time::{clock_nanosleep, ClockId, ClockNanosleepFlags};
    let deadline =
        nix::sys::time::TimeSpec::new(deadline_ns / 1_000_000_000, deadline_ns % 1_000_000_000);
    let _ = clock_nanosleep(
        ClockId::CLOCK_MONOTONIC,
        ClockNanosleepFlags::TIMER_ABSTIME,
        &deadline,
    );
}

/// Starts sampling (replacing any earlier run). `record` keeps state changes for a timeline.
pub fn start(gil: GilState, period: Duration, record: bool) {
    let mut slot = SLOT.lock().expect("sampler slot");
    if let Slot::Running { stop, handle, .. } = std::mem::replace(&mut *slot, Slot::Idle) {
        stop.store(true, Ordering::Relaxed);
        let _ = handle.join();
    }
    *slot = spawn(gil, period, SamplerData::new(record, period));
}

/// Stops sampling and returns what was seen.
pub fn stop() -> Option<SamplerData> {
    let mut slot = SLOT.lock().expect("sampler slot");
    match std::mem::replace(&mut *slot, Slot::Idle) {
        Slot::Running { stop, handle, .. } => {
            stop.store(true, Ordering::Relaxed);
            handle.join().ok()
        }
        Slot::Paused { data, .. } => Some(data),
        Slot::Idle => None,
    }
}

/// Before a fork: the sampler thread ends, keeping its counts (embedding.md rule 6).
#[pyfunction]
pub fn pause(py: Python<'_>) {
    py.detach(|| {
        let mut slot = SLOT.lock().expect("sampler slot");
        if let Slot::Running {
            stop,
            handle,
            gil,
            period,
        } = std::mem::replace(&mut *slot, Slot::Idle)
        {
            stop.store(true, Ordering::Relaxed);
            if let Ok(data) = handle.join() {
                *slot = Slot::Paused { data, gil, period };
            }
        }
    })
}

/// After a fork, in the parent: sampling goes on into the same counts.
#[pyfunction]
pub fn resume() {
    let mut slot = SLOT.lock().expect("sampler slot");
    if let Slot::Paused { data, gil, period } = std::mem::replace(&mut *slot, Slot::Idle) {
        *slot = spawn(gil, period, data);
    }
}
