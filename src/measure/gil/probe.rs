//! gilknocker's method, for comparison: a host thread that periodically times how long it
//! takes to attach to the interpreter (acquire the GIL). Each probe makes the running thread
//! hand the GIL over and back, so the probe perturbs what it measures; its cost is reported.
use crate::stats::percentile;
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// At most this many latencies are kept (a 60 s run at 1 ms needs 60,000).
const MAX_PROBES: usize = 1_000_000;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProbeStats {
    pub interval_s: f64,
    pub acquisitions: usize,
    /// Time from asking for the GIL to holding it.
    pub latency_s: Option<Latencies>,
    /// Total time the probe thread kept the GIL (what it took from the workload directly).
    pub held_s: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Latencies {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

pub struct Probe {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(Vec<f64>, f64)>,
    interval: Duration,
}

impl Probe {
    /// Starts probing. Call detached or attached; the probe thread attaches on its own.
    pub fn start(interval: Duration) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("gilsim-probe".into())
            .spawn(move || {
                let mut latencies = Vec::new();
                let mut held = 0.0;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(interval);
                    let asked = Instant::now();
                    Python::attach(|_py| {
                        let got = Instant::now();
                        if latencies.len() < MAX_PROBES {
                            latencies.push((got - asked).as_secs_f64());
                        }
                        held += got.elapsed().as_secs_f64();
                    });
                }
                (latencies, held)
            })
            .expect("starting the GIL probe");
        Probe {
            stop,
            handle,
            interval,
        }
    }

    pub fn stop(self) -> ProbeStats {
        self.stop.store(true, Ordering::Relaxed);
        let (latencies, held_s) = self.handle.join().unwrap_or_default();
        ProbeStats {
            interval_s: self.interval.as_secs_f64(),
            acquisitions: latencies.len(),
            latency_s: (!latencies.is_empty()).then(|| Latencies {
                p50: percentile(&latencies, 50.0),
                p90: percentile(&latencies, 90.0),
                p99: percentile(&latencies, 99.0),
                max: percentile(&latencies, 100.0),
            }),
            held_s,
        }
    }
}
