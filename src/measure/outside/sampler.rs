//! Sampling who holds another process's GIL: a thread reads `locked` and `last_holder` at a
//! fixed rate and counts, per interval, how often the GIL was held and by which thread state;
//! at most `WAIT_HZ` times a second it also counts, per OS thread, how often the thread slept
//! on the GIL's own condition variable or mutex (waiting for it).
use super::kernel_wait::{self, KernelWait};
use super::parked::{parked_on, ParkedOn};
use super::OutsideGil;
use crate::measure::tasks;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most kernel-state samples per second.
const WAIT_HZ: u32 = 100;

/// What the samples of one interval saw.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub samples: u64,
    pub held: u64,
    /// Samples with the GIL held, by the holder's thread-state address.
    pub by_holder: HashMap<usize, u64>,
    /// Samples of the threads' kernel states, and per OS thread those asleep on the GIL.
    pub wait_samples: u64,
    pub waiting: HashMap<u64, u64>,
    /// A free-threaded build: per OS thread, the kernel-state samples in which it was parked
    /// inside the interpreter (on an object's lock or an interpreter lock or event; a
    /// threading.Lock's wait is not counted).
    pub parked: HashMap<u64, u64>,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.samples += other.samples;
        self.held += other.held;
        for (holder, n) in &other.by_holder {
            *self.by_holder.entry(*holder).or_default() += n;
        }
        self.wait_samples += other.wait_samples;
        for (tid, n) in &other.waiting {
            *self.waiting.entry(*tid).or_default() += n;
        }
        for (tid, n) in &other.parked {
            *self.parked.entry(*tid).or_default() += n;
        }
    }
}

/// The running sampler; `take` empties its tally, `stop` ends it.
pub struct Sampler {
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
    ended: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<f64>,
}

impl Sampler {
    pub fn start(gil: OutsideGil, rate_hz: u32) -> Sampler {
        let tally = Arc::new(Mutex::new(Tally::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let ended = Arc::new(AtomicBool::new(false));
        let period = Duration::from_secs_f64(1.0 / f64::from(rate_hz.max(1)));
        // Reading every thread's kernel state costs more than the GIL's words: fewer of those.
        let wait_every = (rate_hz / WAIT_HZ).max(1);
        let (pid, on_gil) = (gil.pid(), gil.state_range());
        let free_threaded = gil.free_threaded();
        let thread = {
            let (tally, stop, ended) = (tally.clone(), stop.clone(), ended.clone());
            std::thread::spawn(move || {
                let mut next = Instant::now();
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    n = n.wrapping_add(1);
                    // Per sleeping thread: on the GIL (true), or parked inside the interpreter.
                    let waiting: Option<Vec<(u64, bool)>> =
                        n.is_multiple_of(wait_every).then(|| {
                            tasks::ids(pid)
                                .into_iter()
                                .filter_map(|tid| match kernel_wait::read(pid, tid)? {
                                    KernelWait::Futex(a) if on_gil.contains(&a) => {
                                        Some((tid, true))
                                    }
                                    KernelWait::Futex(a) if free_threaded => {
                                        match parked_on(pid, a)? {
                                            ParkedOn::ThreadingLock => None,
                                            _ => Some((tid, false)),
                                        }
                                    }
                                    _ => None,
                                })
                                .collect()
                        });
                    match gil.read() {
                        Ok(r) => {
                            let mut t = tally.lock().expect("sampler tally");
                            if let Some(waiting) = waiting {
                                t.wait_samples += 1;
                                for (tid, on_gil) in waiting {
                                    let count = if on_gil {
                                        &mut t.waiting
                                    } else {
                                        &mut t.parked
                                    };
                                    *count.entry(tid).or_default() += 1;
                                }
                            }
                            t.samples += 1;
                            if r.locked {
                                t.held += 1;
                                *t.by_holder.entry(r.last_holder).or_default() += 1;
                            }
                        }
                        Err(_) => {
                            ended.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                    next += period;
                    let now = Instant::now();
                    if next > now {
                        std::thread::sleep(next - now);
                    } else if now - next > period * 10 {
                        // Far behind (the machine is busy): skip the missed samples.
                        next = now;
                    }
                }
                crate::measure::clock::thread_cpu_s()
            })
        };
        Sampler {
            tally,
            stop,
            ended,
            thread,
        }
    }

    /// The samples since the last call.
    pub fn take(&self) -> Tally {
        std::mem::take(&mut *self.tally.lock().expect("sampler tally"))
    }

    /// Whether a read failed (the process ended or its memory went away).
    pub fn target_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Stops sampling; returns the sampler thread's own CPU time (seconds).
    pub fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0.0)
    }
}
