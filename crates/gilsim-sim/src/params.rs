//! The model's parameters: measured on the user's computer by `gilsim calibrate`, or documented
//! defaults (reference figures measured with CPython 3.11; see docs/figures.md).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where one parameter's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldSource {
    /// Measured by `gilsim calibrate` on the computer and interpreter `Params::python` names.
    Calibrated,
    /// Fitted on a validation's own training points.
    Fitted,
    /// A documented default, fitted on the developers' machine (see `Params::default`).
    Default,
}

/// The parameters fitted on countdown runs (`calibrate` and the validations), by field name,
/// with the runs they were fitted on (`measured`).
pub const COUNTDOWN_FIELDS: [&str; 7] = [
    "iteration_s",
    "threaded_iteration_s",
    "switch_cost_s",
    "wakeup_s",
    "rewait_s",
    "timeout_latency_s",
    "measured",
];

/// The other parameters, by field name.
pub const OTHER_FIELDS: [&str; 10] = [
    "thread_start_s",
    "old_release_cost_s",
    "old_check_ticks",
    "old_ticks_per_iteration",
    "old_win_probability",
    "io_request_cpu_s",
    "io_outside_s",
    "jitter",
    "requester_wins",
    "single_core_slice_s",
];

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Params {
    /// Where these numbers come from ("defaults" or a calibration with its date).
    pub source: String,
    /// The interpreter they were measured on.
    pub python: Option<String>,
    /// CPU time of one countdown iteration on one thread (CPython 3.11 here: ~21 ns).
    pub iteration_s: f64,
    /// The same when other Python threads exist: the 2-thread wall with no hand-off, from
    /// `calibrate`'s fit (never below the 1-thread time).
    #[serde(default)]
    pub threaded_iteration_s: Option<f64>,
    /// Extra CPU time a thread spends after taking the GIL from another (cold caches, the
    /// eval-breaker round trip).
    pub switch_cost_s: f64,
    /// From the holder dropping the GIL to the signalled waiter holding it: the GIL is free.
    pub wakeup_s: f64,
    /// From a forced switch to the thread that dropped the GIL waiting for it again (it is
    /// woken through `switch_cond`): its switch-interval clock starts only then.
    pub rewait_s: f64,
    /// How late a timed wait's timeout wakes the waiter (timer latency); the drop request is
    /// set only then.
    #[serde(default)]
    pub timeout_latency_s: f64,
    /// From `t.start()` creating a thread to that thread asking for the GIL (documented
    /// default: thread creation and CPython's bootstrap up to take_gil).
    #[serde(default = "default_thread_start_s")]
    pub thread_start_s: f64,
    /// Old GIL: extra cost of each release-and-re-acquire while other threads wait (the signal
    /// system call and the mutex cache line moving between cores).
    pub old_release_cost_s: f64,
    /// Old GIL: interpreter ticks between releases (`sys.setcheckinterval`, default 100) and
    /// ticks per countdown iteration.
    pub old_check_ticks: f64,
    pub old_ticks_per_iteration: f64,
    /// Old GIL: chance that a woken waiter, rather than the releasing thread, gets the GIL.
    pub old_win_probability: f64,
    /// I/O threads: GIL-holding work per request (split over its two acquisitions) and time
    /// outside the GIL per request (system calls, the client's turn).
    pub io_request_cpu_s: f64,
    pub io_outside_s: f64,
    /// Relative jitter of wake-up delays (uniform ±), so runs differ like real ones.
    pub jitter: f64,
    /// New GIL, at a forced drop with others in line: the chance that the thread whose timed
    /// wait set the drop request is still awake when the holder signals, and so takes the GIL
    /// ahead of the one longest in line. Set so that the model's requesters win about as often
    /// as a trace of the condition-variable calls shows (tools/condtrace, docs/figures.md); the
    /// model's requesters win less often than this, as some hand-offs go to timed waits that
    /// end while the GIL is free.
    #[serde(default = "default_requester_wins")]
    pub requester_wins: f64,
    /// New GIL on one core: the holder's time slice. A waiter whose timed wait has ended gets
    /// the CPU (and sets the drop request) only when the holder's slice, counted from its
    /// take, runs out. 0 (the default): at once. `simulate --validate` fits it on a 1-CPU
    /// training point.
    #[serde(default)]
    pub single_core_slice_s: f64,
    /// What a calibration measured (empty for the defaults): the evidence behind the numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measured: Vec<CalibrationPoint>,
    /// Where each field's value came from; a field not named here is a documented default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_sources: BTreeMap<String, FieldSource>,
}

impl Params {
    /// Where `field`'s value came from.
    pub fn source_of(&self, field: &str) -> FieldSource {
        self.field_sources
            .get(field)
            .copied()
            .unwrap_or(FieldSource::Default)
    }

    /// Records that `fields` came from `source`.
    pub fn mark(&mut self, fields: &[&str], source: FieldSource) {
        for f in fields {
            self.field_sources.insert((*f).to_string(), source);
        }
    }

    /// The numeric parameters that are documented defaults.
    pub fn defaulted(&self) -> Vec<&'static str> {
        COUNTDOWN_FIELDS
            .iter()
            .chain(&OTHER_FIELDS)
            .copied()
            .filter(|f| *f != "measured" && self.source_of(f) == FieldSource::Default)
            .collect()
    }
}

/// One setting of a calibration: the fastest half's mean wall and median hand-offs, and
/// every run's wall.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CalibrationPoint {
    pub threads: usize,
    pub switch_interval_s: f64,
    pub wall_s: f64,
    pub switches: f64,
    pub walls_s: Vec<f64>,
}

/// The documented defaults, each fitted on the developers' machine (docs/figures.md gives
/// the machine, the commands and the figures): the countdown's fields by `gilsim calibrate`;
/// `old_*` so that the old policy reproduces Beazley's published slowdown of 2 threads on 2
/// cores; `io_*` to the echo server's measured rate with no CPU thread; `requester_wins` to a
/// trace of the GIL's condition variables (tools/condtrace); `jitter` is a choice, not a fit.
impl Default for Params {
    fn default() -> Params {
        Params {
            source:
                "documented defaults (reference figures with CPython 3.11, see docs/figures.md)"
                    .into(),
            python: None,
            iteration_s: 21e-9,
            threaded_iteration_s: None,
            switch_cost_s: 20e-6,
            wakeup_s: 15e-6,
            rewait_s: 15e-6,
            timeout_latency_s: 95e-6,
            thread_start_s: default_thread_start_s(),
            // Beazley's 1.8× for 2 threads on 2 cores: each contended release every 100 ticks
            // (25 iterations, ~0.5 µs) costs another ~0.8 of that.
            old_release_cost_s: 0.42e-6,
            old_check_ticks: 100.0,
            old_ticks_per_iteration: 4.0,
            old_win_probability: 0.002,
            // ~30,000 echo requests/s with no CPU thread.
            io_request_cpu_s: 12e-6,
            io_outside_s: 21e-6,
            jitter: 0.2,
            requester_wins: default_requester_wins(),
            single_core_slice_s: 0.0,
            measured: Vec::new(),
            field_sources: BTreeMap::new(),
        }
    }
}

fn default_thread_start_s() -> f64 {
    60e-6
}

fn default_requester_wins() -> f64 {
    0.9
}

#[cfg(test)]
mod field_tests {
    use super::*;

    #[test]
    fn every_field_is_a_default_until_marked() {
        let mut p = Params::default();
        assert_eq!(
            p.defaulted().len(),
            COUNTDOWN_FIELDS.len() + OTHER_FIELDS.len() - 1
        );
        p.mark(&["iteration_s", "wakeup_s"], FieldSource::Calibrated);
        assert_eq!(p.source_of("iteration_s"), FieldSource::Calibrated);
        assert!(!p.defaulted().contains(&"wakeup_s"));
        assert!(p.defaulted().contains(&"jitter"));
        let text = serde_json::to_string(&p).unwrap();
        let back: Params = serde_json::from_str(&text).unwrap();
        assert_eq!(back.source_of("wakeup_s"), FieldSource::Calibrated);
    }
}
