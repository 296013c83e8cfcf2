//! The GIL figures of one trial, built from the exact counter, the sampler and the registry.
use super::locate::GilState;
use super::registry::ThreadRecord;
use super::sampler::SamplerData;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GilStats {
    /// Where the GIL state was found: `debug-offsets` (3.13+) or `calibrated` (read from the
    /// interpreter's own GIL state either way), `rust-gil`, or `unavailable`.
    pub source: String,
    /// Why the figures are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How the GIL state was found, when that needs saying (e.g. calibrated because the
    /// interpreter's `_Py_DebugOffsets` has a layout gilsim does not know).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Exact hand-offs: the interpreter's `switch_number` delta over the trial.
    pub switches: Option<u64>,
    pub switches_per_s: Option<f64>,
    /// Share of the time the GIL was locked (time-weighted samples).
    pub held_fraction: Option<f64>,
    /// How the GIL was watched: `separate`, `continuous` or `counter` (no samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<String>,
    /// Share of the trial covered by steps between samples no longer than 25 periods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    pub samples: Option<u64>,
    pub sample_rate_hz: Option<f64>,
    /// Changes of holder between consecutive samples (an independent lower estimate of
    /// `switches`: two hand-offs between samples count once).
    pub handoffs_seen: Option<u64>,
    /// CPU time the sampler itself used (taken out of the row's CPU figure).
    pub sampler_cpu_s: Option<f64>,
    /// With `sampling: separate`: the exact hand-offs of the sampled run, to set beside
    /// `handoffs_seen` (the timed runs' count is `switches`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampled_switches: Option<u64>,
    /// The longest time between two samples (s), while every core was busy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_gap_s: Option<f64>,
    pub threads: Vec<ThreadGil>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreadGil {
    pub name: String,
    /// Share of the time this thread was `last_holder` with the GIL locked (absent without
    /// a sampler).
    pub held_fraction: Option<f64>,
    /// Time neither running nor runnable: wall − on-CPU − run-queue delay (schedstat).
    pub wait_s: f64,
    pub cpu_s: f64,
    pub wall_s: f64,
}

impl GilStats {
    pub fn unavailable(reason: impl Into<String>) -> GilStats {
        GilStats {
            source: "unavailable".into(),
            reason: Some(reason.into()),
            ..GilStats::default()
        }
    }

    /// Only an exact hand-off count, from a GIL that counts its own switches.
    pub fn counted(source: &str, switches: u64, wall_s: f64) -> GilStats {
        GilStats {
            source: source.into(),
            switches: Some(switches),
            switches_per_s: Some(switches as f64 / wall_s),
            ..GilStats::default()
        }
    }

    pub fn build(
        gil: &GilState,
        switches: u64,
        wall_s: f64,
        data: &SamplerData,
        threads: &[ThreadRecord],
    ) -> GilStats {
        let mut stats = GilStats::sampled(
            gil.source,
            switches,
            wall_s,
            data,
            Self::thread_times(threads, Some(data)),
        );
        stats.note = gil.note.map(Into::into);
        stats
    }

    /// The figures of a sampler that ran during the run itself (in this process or reading
    /// another's GIL from outside), with the exact hand-off count and the threads' figures.
    pub fn sampled(
        source: &str,
        switches: u64,
        wall_s: f64,
        data: &SamplerData,
        threads: Vec<ThreadGil>,
    ) -> GilStats {
        let observed = data.observed_s.max(1e-9);
        let sampling_s = data.started.elapsed().as_secs_f64();
        GilStats {
            source: source.into(),
            reason: None,
            note: None,
            switches: Some(switches),
            switches_per_s: Some(switches as f64 / wall_s),
            held_fraction: Some(data.locked_s / observed),
            sampling: Some("continuous".into()),
            coverage: Some(data.watched_s / sampling_s.max(1e-9)),
            samples: Some(data.samples),
            sample_rate_hz: Some(data.samples as f64 / sampling_s.max(1e-9)),
            handoffs_seen: Some(data.handoffs_seen),
            sampler_cpu_s: Some(data.own_usage.cpu_s()),
            sampled_switches: None,
            longest_gap_s: Some(data.longest_gap_s),
            threads,
        }
    }

    /// Per-thread figures from the registry; held shares only where a sampler ran.
    pub fn thread_times(threads: &[ThreadRecord], data: Option<&SamplerData>) -> Vec<ThreadGil> {
        // A thread owns its address's credits from its registration until another thread
        // registers with the same (reused) address.
        let held = |t: &ThreadRecord, d: &SamplerData| -> f64 {
            let until = threads
                .iter()
                .filter(|o| o.tstate == t.tstate && o.epoch > t.epoch)
                .map(|o| o.epoch)
                .min()
                .unwrap_or(u64::MAX);
            d.by_holder
                .iter()
                .filter(|((a, e), _)| *a == t.tstate && *e >= t.epoch && *e < until)
                .map(|(_, s)| s)
                .sum()
        };
        threads
            .iter()
            .map(|t| {
                let (ended, sched) = t.end.expect("snapshot fills every end");
                let wall = (ended - t.started).as_secs_f64();
                let busy = sched.on_cpu_ns.saturating_sub(t.start_sched.on_cpu_ns) as f64 * 1e-9;
                let queued = sched
                    .run_queue_ns
                    .saturating_sub(t.start_sched.run_queue_ns) as f64
                    * 1e-9;
                ThreadGil {
                    name: t.name.clone(),
                    held_fraction: data.map(|d| held(t, d) / d.observed_s.max(1e-9)),
                    wait_s: (wall - busy - queued).max(0.0),
                    // schedstat's on-CPU time: exact (ns) and from the thread's registration.
                    cpu_s: busy,
                    wall_s: wall,
                }
            })
            .collect()
    }

    /// Read from the interpreter's own GIL state (found either way), not a Rust GIL or nothing.
    pub fn from_the_interpreter(&self) -> bool {
        matches!(self.source.as_str(), "calibrated" | "debug-offsets")
    }

    /// The timed runs' figures (exact counts, thread times) with the held shares and the
    /// sampler's own figures from a separate sampled run of the same trial.
    pub fn with_shares_from(mut self, sampled: &GilStats) -> GilStats {
        if self.source == "unavailable" {
            return self;
        }
        if sampled.source == "unavailable" {
            self.reason = Some(format!(
                "held shares unavailable: {}",
                sampled.reason.clone().unwrap_or_default()
            ));
            return self;
        }
        self.sampling = Some("separate".into());
        self.held_fraction = sampled.held_fraction;
        self.coverage = sampled.coverage;
        self.samples = sampled.samples;
        self.sample_rate_hz = sampled.sample_rate_hz;
        self.handoffs_seen = sampled.handoffs_seen;
        self.sampler_cpu_s = sampled.sampler_cpu_s;
        self.longest_gap_s = sampled.longest_gap_s;
        self.sampled_switches = sampled.switches;
        for (t, s) in self.threads.iter_mut().zip(&sampled.threads) {
            t.held_fraction = s.held_fraction;
        }
        self
    }
}

/// One set of figures for several runs of the same trial: medians, thread by thread.
pub fn aggregate(runs: &[GilStats]) -> GilStats {
    if let Some(bad) = runs.iter().find(|r| r.source == "unavailable") {
        return bad.clone();
    }
    let Some(first) = runs.first() else {
        return GilStats::unavailable("no runs");
    };
    let med = |f: &dyn Fn(&GilStats) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = runs.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| crate::stats::median(&v))
    };
    let thread_count = runs.iter().map(|r| r.threads.len()).min().unwrap_or(0);
    GilStats {
        source: first.source.clone(),
        reason: None,
        note: first.note.clone(),
        switches: med(&|r| r.switches.map(|s| s as f64)).map(|s| s.round() as u64),
        switches_per_s: med(&|r| r.switches_per_s),
        held_fraction: med(&|r| r.held_fraction),
        sampling: first.sampling.clone(),
        coverage: med(&|r| r.coverage),
        samples: med(&|r| r.samples.map(|s| s as f64)).map(|s| s.round() as u64),
        sample_rate_hz: med(&|r| r.sample_rate_hz),
        handoffs_seen: med(&|r| r.handoffs_seen.map(|s| s as f64)).map(|s| s.round() as u64),
        sampler_cpu_s: med(&|r| r.sampler_cpu_s),
        sampled_switches: None,
        longest_gap_s: runs.iter().filter_map(|r| r.longest_gap_s).reduce(f64::max),
        threads: (0..thread_count)
            .map(|i| ThreadGil {
                name: first.threads[i].name.clone(),
                held_fraction: med(&|r| r.threads[i].held_fraction),
                wait_s: med(&|r| Some(r.threads[i].wait_s)).unwrap_or(0.0),
                cpu_s: med(&|r| Some(r.threads[i].cpu_s)).unwrap_or(0.0),
                wall_s: med(&|r| Some(r.threads[i].wall_s)).unwrap_or(0.0),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::gil::registry::SchedStat;
    use std::time::{Duration, Instant};

    fn record(name: &str, tstate: usize, epoch: u64) -> ThreadRecord {
        let now = Instant::now();
        ThreadRecord {
            name: name.into(),
            tid: 1,
            tstate,
            epoch,
            started: now,
            start_sched: SchedStat::default(),
            end: Some((now, SchedStat::default())),
        }
    }

    #[test]
    fn a_reused_thread_state_address_is_not_credited_twice() {
        // Two threads ran one after the other with the same thread state address.
        let threads = [record("Thread-1", 0xa0, 1), record("Thread-2", 0xa0, 2)];
        let mut data = SamplerData::new(false, Duration::from_micros(50));
        data.observed_s = 4.0;
        data.by_holder.insert((0xa0, 1), 1.0);
        data.by_holder.insert((0xa0, 2), 3.0);
        let shares: Vec<f64> = GilStats::thread_times(&threads, Some(&data))
            .iter()
            .map(|t| t.held_fraction.unwrap())
            .collect();
        assert_eq!(shares, vec![0.25, 0.75]);
    }
}
