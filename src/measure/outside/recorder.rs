//! Every GIL state change of another process, for a timeline: a thread reads the GIL's words
//! at a fixed period, as the in-process sampler does, and keeps the changes. Lanes are the
//! thread states seen holding the GIL, in order of first appearance (at most 64); a lane's
//! "running" bit is its OS thread's kernel state (`R`), where the build says which thread a
//! thread state belongs to.
use super::OutsideGil;
use crate::measure::clock::monotonic_ns;
use crate::measure::gil::sampler::{sleep_until, SamplerData};
use crate::measure::rusage::{Usage, Who};
use crate::measure::tasks;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// One lane: a thread state and, where known, its OS thread.
#[derive(Clone, Copy, Debug)]
pub struct Lane {
    pub tstate: usize,
    pub tid: Option<i32>,
}

/// What the recording saw; `data.transitions` name holders by thread-state address.
pub struct Recording {
    pub data: SamplerData,
    pub lanes: Vec<Lane>,
}

pub struct Recorder {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Recording>,
}

impl Recorder {
    /// Starts recording `gil` every `period`, until `stop` or until a read fails (the process
    /// ended).
    pub fn start(gil: OutsideGil, period: Duration) -> Recorder {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        // Before the first sample: on 3.9-3.12 this calibrates on a sibling process.
        let layout = gil.thread_layout().ok();
        let handle = std::thread::spawn(move || {
            // Short sleeps stay short (default timer slack would stretch each by 50 µs).
            let _ = nix::sys::prctl::set_timerslack(1);
            let pid = gil.pid();
            let mut data = SamplerData::new(true, period);
            let mut lanes: Vec<Lane> = Vec::new();
            let step = period.as_nanos() as i64;
            let mut next = monotonic_ns();
            while !flag.load(Ordering::Relaxed) {
                let Ok(r) = gil.read() else { break };
                if r.locked && lanes.len() < 64 && !lanes.iter().any(|l| l.tstate == r.last_holder)
                {
                    let tid = layout
                        .as_ref()
                        .and_then(|l| l.os_thread_id(pid, r.last_holder))
                        .map(|t| t as i32);
                    lanes.push(Lane {
                        tstate: r.last_holder,
                        tid,
                    });
                }
                let running = lanes.iter().enumerate().fold(0u64, |mask, (i, lane)| {
                    match lane.tid.map(|tid| tasks::state(pid, tid)) {
                        Some(Some('R')) => mask | 1 << i,
                        _ => mask,
                    }
                });
                data.observe(r, running);
                next += step;
                let now = monotonic_ns();
                if next < now {
                    next = now + step;
                }
                sleep_until(next);
            }
            data.own_usage = Usage::of(Who::Thread);
            Recording { data, lanes }
        });
        Recorder { stop, handle }
    }

    pub fn stop(self) -> Option<Recording> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().ok()
    }
}
