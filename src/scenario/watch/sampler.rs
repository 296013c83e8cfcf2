//! Sampling who holds another process's GIL: a thread reads `locked` and `last_holder` at a
//! fixed rate and counts, per interval, how often the GIL was held and by which thread state.
use crate::measure::outside::OutsideGil;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the samples of one interval saw.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub samples: u64,
    pub held: u64,
    /// Samples with the GIL held, by the holder's thread-state address.
    pub by_holder: HashMap<usize, u64>,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.samples += other.samples;
        self.held += other.held;
        for (holder, n) in &other.by_holder {
            *self.by_holder.entry(*holder).or_default() += n;
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
        let thread = {
            let (tally, stop, ended) = (tally.clone(), stop.clone(), ended.clone());
            std::thread::spawn(move || {
                let mut next = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    match gil.read() {
                        Ok(r) => {
                            let mut t = tally.lock().expect("sampler tally");
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
                thread_cpu_seconds()
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

/// CPU time of the calling thread.
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
