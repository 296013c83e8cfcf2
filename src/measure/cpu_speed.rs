//! Whether this machine's CPUs run at the same speed: a busy loop pinned to each CPU in turn,
//! in short slices, compared slice by slice. On a virtual machine a CPU can run slower for
//! seconds at a time (its host core shared with another guest) without any steal being
//! reported; a lone thread then stays on that CPU for a whole run, while threads that hand
//! the GIL to each other run on both, which can make several threads finish sooner than one.
use super::affinity;
use serde::Serialize;
use std::time::{Duration, Instant};

/// One slice's length: long enough for the scheduler to settle, short enough to see phases.
const SLICE: Duration = Duration::from_millis(60);

#[derive(Clone, Debug, Serialize)]
pub struct CpuSpeeds {
    pub cpus: Vec<usize>,
    /// Per round (one slice on each CPU, in a rotating order): the slowest CPU's speed over
    /// the fastest's.
    pub ratios: Vec<f64>,
    /// Each CPU's median speed relative to the fastest CPU's median.
    pub relative_median: Vec<f64>,
}

impl CpuSpeeds {
    /// The median and the 10th percentile of the per-round slowest/fastest ratios.
    pub fn summary(&self) -> (f64, f64) {
        (
            crate::stats::percentile(&self.ratios, 50.0),
            crate::stats::percentile(&self.ratios, 10.0),
        )
    }
}

/// Loop iterations per second on the calling thread for one slice.
fn spin() -> f64 {
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < SLICE {
        for _ in 0..1000 {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// `rounds` rounds of one slice per CPU, on a thread of its own (its affinity is changed);
/// None with fewer than 2 CPUs to compare.
pub fn measure(rounds: usize) -> std::io::Result<Option<CpuSpeeds>> {
    let cpus = affinity::allowed()?;
    if cpus.len() < 2 {
        return Ok(None);
    }
    let worker = std::thread::spawn(move || -> std::io::Result<CpuSpeeds> {
        let mut per_cpu: Vec<Vec<f64>> = vec![Vec::new(); cpus.len()];
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let mut speeds = vec![0.0; cpus.len()];
            for k in 0..cpus.len() {
                let i = (k + round) % cpus.len();
                affinity::pin(&[cpus[i]])?;
                std::thread::sleep(Duration::from_millis(2));
                speeds[i] = spin();
                per_cpu[i].push(speeds[i]);
            }
            let fastest = speeds.iter().copied().fold(0.0, f64::max);
            let slowest = speeds.iter().copied().fold(f64::INFINITY, f64::min);
            ratios.push(slowest / fastest);
        }
        let medians: Vec<f64> = per_cpu.iter().map(|v| crate::stats::median(v)).collect();
        let best = medians.iter().copied().fold(0.0, f64::max);
        Ok(CpuSpeeds {
            cpus,
            ratios,
            relative_median: medians.iter().map(|m| m / best).collect(),
        })
    });
    worker
        .join()
        .map_err(|_| std::io::Error::other("the CPU speed thread panicked"))?
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cpu_is_timed_and_the_ratios_are_fractions() {
        match measure(3).unwrap() {
            None => assert!(affinity::allowed().unwrap().len() < 2),
            Some(s) => {
                assert_eq!(s.ratios.len(), 3);
                assert!(s.ratios.iter().all(|r| *r > 0.0 && *r <= 1.0), "{s:?}");
                assert_eq!(s.relative_median.len(), s.cpus.len());
                assert!(s.relative_median.iter().any(|r| (*r - 1.0).abs() < 1e-12));
            }
        }
    }
}
