//! What the parent asks a worker process to do, and the one record the worker sends back.
use crate::domain::{
    ConvoyOutcome, PoolMethod, PoolOutcome, PoolRuntime, PythonInfo, QueueOutcome, QueueRuntime,
    QueueVariant, Runtime, SegmentsOutcome, ShareOutcome, StartMethod, ThreadUsage,
    TimelineOutcome,
};
use crate::measure::gil::probe::ProbeStats;
use crate::measure::gil::stats::GilStats;
use crate::measure::rusage::Usage;
use serde::{Deserialize, Serialize};

/// Environment variable that carries the job (JSON) to the worker.
pub const JOB_ENV: &str = "GILSIM_JOB";
/// File descriptor on which the worker writes its record (one JSON line).
pub const RECORD_FD: i32 = 3;

/// Set by `gilsim profile SCRIPT`: a directory where the process about to run the script
/// writes its pid (`pid`) and then waits, before the script's first line, until `go` appears
/// (the profiler has attached), at most `HOLD_AT_MOST`.
pub const HOLD_ENV: &str = "GILSIM_HOLD";
pub const HOLD_AT_MOST: std::time::Duration = std::time::Duration::from_secs(60);

/// The wait `HOLD_ENV` asks for, in this process (the environment variable is removed so the
/// script's own children do not wait).
pub fn hold_for_profiler() {
    let Some(dir) = std::env::var_os(HOLD_ENV) else {
        return;
    };
    std::env::remove_var(HOLD_ENV);
    let dir = std::path::PathBuf::from(dir);
    let tmp = dir.join("pid.tmp");
    if std::fs::write(&tmp, std::process::id().to_string()).is_err()
        || std::fs::rename(&tmp, dir.join("pid")).is_err()
    {
        return;
    }
    let until = std::time::Instant::now() + HOLD_AT_MOST;
    while !dir.join("go").exists() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "kebab-case")]
pub enum Job {
    /// Describe the embedded interpreter, or this other one.
    Info {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        python: Option<crate::domain::ExternalPython>,
    },
    /// One measured countdown trial.
    Countdown(CountdownTrial),
    /// Run a user script as `__main__`.
    Script(ScriptJob),
    /// One timed `Pool.map` (or its Rust twin).
    Pool(PoolTrial),
    /// One sender/receiver run (or its Rust twin).
    Queue(QueueTrial),
    /// One mutation by a thread or a child process, seen from the parent.
    Share(ShareTrial),
    /// A script or a countdown with every GIL state change recorded.
    Timeline(TimelineJob),
    /// An echo server thread beside CPU threads, driven by a host client thread.
    Convoy(ConvoyTrial),
    /// Short segments alternating a reference setting and a point in one process.
    Segments(SegmentsTrial),
}

/// Pairs of short segments in one worker: each pair runs the reference and the point once, in
/// a random order, so both meet the same CPU and the same neighbours.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SegmentsTrial {
    pub workload: SegmentWorkload,
    pub reference: Setting,
    pub point: Setting,
    /// Measured pairs, after one unrecorded warm-up pair.
    pub pairs: usize,
    pub seed: u64,
    /// Run on this many CPUs (`sched_setaffinity`), both settings.
    pub cpus: Option<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SegmentWorkload {
    /// The countdown, `count` iterations per segment split over the setting's threads. None:
    /// the worker picks the count that makes one reference segment last `target_s`.
    Countdown { count: Option<u64>, target_s: f64 },
    /// The echo server's requests for `duration_s` per segment beside the setting's CPU
    /// threads (parked between segments).
    Convoy { duration_s: f64 },
}

/// Threads (CPU threads for the convoy) and switch interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub threads: usize,
    pub switch_interval_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConvoyTrial {
    pub cpu_threads: usize,
    pub switch_interval_s: f64,
    pub duration_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimelineJob {
    /// Run this script; otherwise the countdown below.
    pub script: Option<ScriptJob>,
    pub threads: usize,
    pub count: u64,
    pub switch_interval_s: Option<f64>,
    /// Python rows under this interpreter, as a child of the worker measured from outside
    /// (None: the embedded one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<crate::domain::ExternalPython>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareTrial {
    /// None: a thread; Some: a process started this way.
    pub start_method: Option<StartMethod>,
    pub size: usize,
    /// Python rows under this interpreter, as a child of the worker measured from outside
    /// (None: the embedded one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<crate::domain::ExternalPython>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueueTrial {
    pub runtime: QueueRuntime,
    pub variant: QueueVariant,
    /// Python process variants only.
    pub start_method: Option<StartMethod>,
    pub messages: usize,
    pub interval_s: f64,
    /// Python rows under this interpreter, as a child of the worker measured from outside
    /// (None: the embedded one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<crate::domain::ExternalPython>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolTrial {
    pub runtime: PoolRuntime,
    /// Python rows only.
    pub method: Option<PoolMethod>,
    /// Python rows only.
    pub start_method: Option<StartMethod>,
    pub workers: usize,
    pub items: usize,
    pub chunksize: Option<usize>,
    pub work: u64,
    /// Python rows under this interpreter, as a child of the worker measured from outside
    /// (None: the embedded one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<crate::domain::ExternalPython>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CountdownTrial {
    pub runtime: Runtime,
    pub workers: usize,
    pub count: u64,
    pub switch_interval_s: Option<f64>,
    /// How to watch the GIL during Python trials.
    pub gil: crate::measure::gil::watch::GilSampling,
    /// Time GIL acquisitions from a host thread at this period (python-threads rows).
    pub probe_interval_s: Option<f64>,
    /// Run under another interpreter, as a child process measured from outside (Python rows).
    #[serde(default)]
    pub python: Option<crate::domain::ExternalPython>,
    /// Run on this many CPUs (`sched_setaffinity`).
    #[serde(default)]
    pub cpus: Option<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScriptJob {
    pub path: String,
    pub args: Vec<String>,
    /// Whether Ctrl-C should raise `KeyboardInterrupt` in the script (the worker owns the
    /// terminal).
    pub interactive: bool,
    /// The default start method for the script (its own choice wins).
    pub start_method: Option<StartMethod>,
}

// One record per worker process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Record {
    Info(PythonInfo),
    Script(ScriptOutcome),
    /// A scenario's own result, typed per scenario, with the parent interpreter's GIL figures
    /// where it ran Python.
    Measured {
        wall_s: f64,
        usage: Usage,
        gil: Option<GilStats>,
        data: Measured,
    },
    Error {
        message: String,
        traceback: Option<String>,
    },
}

/// A countdown trial as the parent reads it: the worker's `Record::Measured` with its
/// `CountdownOutcome`, and the machine's other load measured around it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrialMeasurement {
    pub wall_s: f64,
    /// The worker's whole process tree over the timed region.
    pub usage: Usage,
    pub threads: Vec<ThreadUsage>,
    /// Python trials: what the GIL did (or why that is unavailable).
    pub gil: Option<GilStats>,
    /// With --probe-interval: what the gilknocker-style probe saw.
    pub probe: Option<ProbeStats>,
    /// What else the machine did meanwhile; measured by the parent around the whole trial.
    #[serde(default)]
    pub other_load: Option<crate::measure::load::OtherLoad>,
}

impl TrialMeasurement {
    /// The record a worker sends back for it.
    pub fn into_record(self) -> Record {
        Record::Measured {
            wall_s: self.wall_s,
            usage: self.usage,
            gil: self.gil,
            data: Measured::Countdown(CountdownOutcome {
                threads: self.threads,
                probe: self.probe,
            }),
        }
    }

    /// The measurement in a worker's record, if it holds a countdown's (else the record back).
    pub fn from_record(record: Record) -> Result<TrialMeasurement, Box<Record>> {
        match record {
            Record::Measured {
                wall_s,
                usage,
                gil,
                data: Measured::Countdown(outcome),
            } => Ok(TrialMeasurement {
                wall_s,
                usage,
                threads: outcome.threads,
                gil,
                probe: outcome.probe,
                other_load: None,
            }),
            other => Err(Box::new(other)),
        }
    }
}

/// A countdown's own figures: each worker thread's CPU time and what the probe saw.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CountdownOutcome {
    pub threads: Vec<ThreadUsage>,
    /// With --probe-interval: what the gilknocker-style probe saw.
    pub probe: Option<ProbeStats>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScriptOutcome {
    pub exit_code: i32,
    pub wall_s: f64,
    pub usage: Usage,
    /// The main thread plus every thread started through `threading`.
    pub threads_seen: usize,
    /// Exact GIL hand-offs during the script (None where the GIL state could not be found).
    #[serde(default)]
    pub gil_switches: Option<u64>,
    /// Why `gil_switches` is None.
    #[serde(default)]
    pub gil_unavailable: Option<String>,
}

/// `Measured`, with a `TryFrom<Measured>` for each variant's type: the variant a scenario
/// expects (the other variants come back as the error).
macro_rules! measured {
    ($(#[$meta:meta])* pub enum Measured { $($variant:ident($ty:ty)),* $(,)? }) => {
        $(#[$meta])*
        pub enum Measured { $($variant($ty)),* }
        $(
            impl TryFrom<Measured> for $ty {
                type Error = Measured;
                fn try_from(m: Measured) -> Result<$ty, Measured> {
                    match m {
                        Measured::$variant(v) => Ok(v),
                        other => Err(other),
                    }
                }
            }
        )*
    };
}

measured! {
    /// What one scenario's worker measured. Each worker fills in its own variant and the parent
    /// reads it as that type, so every field it reads is checked by the compiler.
    #[allow(clippy::large_enum_variant)]
    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(tag = "scenario", rename_all = "kebab-case")]
    pub enum Measured {
        Countdown(CountdownOutcome),
        Pool(PoolOutcome),
        Queue(QueueOutcome),
        Share(ShareOutcome),
        Convoy(ConvoyOutcome),
        Timeline(TimelineOutcome),
        Segments(SegmentsOutcome),
    }
}
