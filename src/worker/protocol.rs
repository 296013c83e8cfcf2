//! What the parent asks a worker process to do, and the one record the worker sends back.
use crate::measure::gil::probe::ProbeStats;
use crate::measure::gil::stats::GilStats;
use crate::measure::rusage::Usage;
use serde::{Deserialize, Serialize};

/// Environment variable that carries the job (JSON) to the worker.
pub const JOB_ENV: &str = "GILSIM_JOB";
/// File descriptor on which the worker writes its record (one JSON line).
pub const RECORD_FD: i32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    /// `threading.Thread` workers in the embedded interpreter
    PythonThreads,
    /// `multiprocessing.Process` workers forked from the embedded interpreter
    PythonProcesses,
    /// The same loop on Rust `std::thread`s
    RustThreads,
    /// Rust threads that must hold a Rust implementation of the new-GIL protocol
    RustGil,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::PythonThreads => "python-threads",
            Runtime::PythonProcesses => "python-processes",
            Runtime::RustThreads => "rust-threads",
            Runtime::RustGil => "rust-gil",
        }
    }

    pub fn is_python(self) -> bool {
        matches!(self, Runtime::PythonThreads | Runtime::PythonProcesses)
    }

    pub fn uses_threads(self) -> bool {
        !matches!(self, Runtime::PythonProcesses)
    }
}

/// multiprocessing's ways of starting a child process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StartMethod {
    /// A fresh interpreter that imports the main module and unpickles the target
    Spawn,
    /// Children forked from a clean single-threaded server process
    Forkserver,
    /// A copy of the parent's memory (Linux's default up to 3.13)
    Fork,
}

impl StartMethod {
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Spawn => "spawn",
            StartMethod::Forkserver => "forkserver",
            StartMethod::Fork => "fork",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "kebab-case")]
pub enum Job {
    /// Describe the embedded interpreter.
    Info,
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
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareTrial {
    /// None: a thread; Some: a process started this way.
    pub start_method: Option<StartMethod>,
    pub size: usize,
}

/// Who runs a sender/receiver pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum QueueRuntime {
    /// The seed's Python variants (see --variant)
    Python,
    /// std::sync::mpsc between threads, stopped with an AtomicBool
    RustThreads,
    /// A child process writing to a pipe, stopped with kill
    RustProcesses,
}

impl QueueRuntime {
    pub fn name(self) -> &'static str {
        match self {
            QueueRuntime::Python => "python",
            QueueRuntime::RustThreads => "rust-threads",
            QueueRuntime::RustProcesses => "rust-processes",
        }
    }
}

/// The seed's three sender/receiver programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum QueueVariant {
    /// multiprocessing.Queue, sender Process stopped with terminate()
    Process,
    /// The class-based version (the sender nested in __init__)
    ProcessClass,
    /// queue.Queue, sender Thread stopped with an Event and join()
    Thread,
}

impl QueueVariant {
    pub fn name(self) -> &'static str {
        match self {
            QueueVariant::Process => "process",
            QueueVariant::ProcessClass => "process-class",
            QueueVariant::Thread => "thread",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueueTrial {
    pub runtime: QueueRuntime,
    pub variant: QueueVariant,
    /// Python process variants only.
    pub start_method: Option<StartMethod>,
    pub messages: usize,
    pub interval_s: f64,
}

/// Who runs a pool map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PoolRuntime {
    /// The seed's multiprocessing.Pool in the embedded interpreter
    PythonProcesses,
    /// A Rust thread pool
    RustThreads,
    /// A pool of gilsim child processes fed over pipes
    RustProcesses,
}

impl PoolRuntime {
    pub fn name(self) -> &'static str {
        match self {
            PoolRuntime::PythonProcesses => "python-processes",
            PoolRuntime::RustThreads => "rust-threads",
            PoolRuntime::RustProcesses => "rust-processes",
        }
    }
}

/// The seed's two ways of using a Pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PoolMethod {
    /// Method 1: p = Pool(n); p.map(...); p.close(); p.join()
    CloseJoin,
    /// Method 2: with Pool(n) as p: p.map(...)
    With,
}

impl PoolMethod {
    pub fn name(self) -> &'static str {
        match self {
            PoolMethod::CloseJoin => "close-join",
            PoolMethod::With => "with",
        }
    }
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

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Record {
    Info(PythonInfo),
    Trial(TrialMeasurement),
    Script(ScriptOutcome),
    /// A scenario's own result (its shape belongs to the scenario) and what it cost.
    Measured {
        wall_s: f64,
        usage: Usage,
        data: serde_json::Value,
    },
    Error {
        message: String,
        traceback: Option<String>,
    },
}

/// The embedded interpreter as the worker sees it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PythonInfo {
    /// `platform.python_version()`.
    pub version: String,
    /// `sys.version`.
    pub sys_version: String,
    pub implementation: String,
    pub prefix: String,
    pub executable: String,
    /// The libpython file mapped into the worker (`/proc/self/maps`).
    pub libpython: Option<String>,
    /// The libpython the standard library says it belongs to (`sysconfig` LIBDIR/INSTSONAME).
    pub stdlib_libpython: Option<String>,
    /// Where `os.py` was imported from.
    pub stdlib_dir: String,
    pub gil_enabled: bool,
    pub switch_interval_s: f64,
    pub start_methods: Vec<String>,
    pub default_start_method: String,
    pub cpu_count: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreadUsage {
    pub name: String,
    pub cpu_s: f64,
    pub voluntary: i64,
    pub involuntary: i64,
}

impl ThreadUsage {
    pub fn new(name: &str, usage: Usage) -> ThreadUsage {
        ThreadUsage {
            name: name.to_string(),
            cpu_s: usage.cpu_s(),
            voluntary: usage.voluntary,
            involuntary: usage.involuntary,
        }
    }
}

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
}
