//! What each scenario runs, as plain values: the command line (or a test, or the demo) fills
//! these in, and scenarios see nothing else (hyperfine's `Options`, ripgrep's `HiArgs`).
use crate::domain::{PoolMethod, PoolRuntime, QueueRuntime, QueueVariant, Runtime, StartMethod};
use crate::measure::gil::watch::GilSampling;
use crate::sim::{Params, Policy};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The model's parameters, read before a scenario starts: a saved calibration, or the
/// documented defaults when none is saved.
#[derive(Clone, Debug)]
pub struct ModelParams {
    pub params: Params,
    /// Where a calibration was looked for.
    pub path: PathBuf,
    /// Whether one was found there (else `params` are the defaults).
    pub calibrated: bool,
}

impl ModelParams {
    /// The calibration at `path` (which must then exist), else the saved one, else the
    /// defaults.
    pub fn load(path: Option<&Path>) -> Result<ModelParams> {
        let looked = match path {
            Some(p) => p.to_path_buf(),
            None => crate::paths::default_calibration()?,
        };
        Ok(match crate::paths::load_calibration(path)? {
            Some(params) => ModelParams {
                params,
                path: looked,
                calibrated: true,
            },
            None => ModelParams {
                params: Params::default(),
                path: looked,
                calibrated: false,
            },
        })
    }
}

/// The study note's countdown on threads, processes and Rust.
#[derive(Clone, Debug)]
pub struct CountdownSpec {
    /// Total iterations, split across the workers.
    pub count: u64,
    pub threads: Vec<usize>,
    pub processes: Vec<usize>,
    pub runtimes: Vec<Runtime>,
    pub repeat: usize,
    pub warmup: u32,
    /// `sys.setswitchinterval` for the Python rows (None: the interpreter's).
    pub switch_interval: Option<f64>,
    pub gil_sampling: GilSampling,
    /// Iterations of the untimed sampled runs (None: `count`).
    pub sampled_count: Option<u64>,
    /// Sampled runs per Python row (at most `repeat`).
    pub sampled_runs: usize,
    /// Time GIL acquisitions from a host thread at this period (seconds).
    pub probe_interval: Option<f64>,
    /// The `--python` names as given ("2.7", "3.13", "embedded" or paths), for the report.
    pub python: Vec<String>,
    /// Those interpreters, resolved: one row interpreter each (None: the embedded one; a
    /// free-threaded build gives two, without and with a GIL).
    pub interpreters: Vec<Option<crate::domain::ExternalPython>>,
    /// Run every row on each of these CPU counts; empty: all CPUs.
    pub cpus: Vec<usize>,
    /// Per trial.
    pub timeout: Duration,
}

/// The study note's `Pool.map` under each start method, beside Rust pools.
#[derive(Clone, Debug)]
pub struct PoolSpec {
    pub workers: usize,
    pub items: usize,
    pub start_method: Vec<StartMethod>,
    pub method: Vec<PoolMethod>,
    pub chunksize: Option<usize>,
    /// Countdown iterations per item.
    pub work: u64,
    pub runtimes: Vec<PoolRuntime>,
    pub repeat: usize,
    pub warmup: u32,
    /// The Python rows under this interpreter (None: the embedded one).
    pub python: Option<crate::domain::ExternalPython>,
    pub timeout: Duration,
}

/// The study note's sender/receiver pairs, beside Rust twins.
#[derive(Clone, Debug)]
pub struct QueueSpec {
    pub variant: Vec<QueueVariant>,
    pub messages: usize,
    /// Sleep after each put and get, seconds.
    pub interval: f64,
    pub start_method: Vec<StartMethod>,
    pub runtimes: Vec<QueueRuntime>,
    pub repeat: usize,
    /// The Python rows under this interpreter (None: the embedded one).
    pub python: Option<crate::domain::ExternalPython>,
    pub timeout: Duration,
}

/// A list mutated by a thread and by child processes.
#[derive(Clone, Debug)]
pub struct ShareSpec {
    pub size: usize,
    pub start_method: Vec<StartMethod>,
    /// The Python rows under this interpreter (None: the embedded one).
    pub python: Option<crate::domain::ExternalPython>,
    pub timeout: Duration,
}

/// The GIL model, alone or against real runs (`validate`).
#[derive(Clone, Debug)]
pub struct SimulateSpec {
    /// CPU-bound threads (several only when validating).
    pub threads: Vec<usize>,
    /// None: this machine's.
    pub cores: Option<usize>,
    pub switch_interval: Vec<f64>,
    pub count: Option<u64>,
    pub io_threads: u32,
    pub gil: Policy,
    pub model: ModelParams,
    /// `--validate --gil old`: the Python 2.7 the old GIL is measured on, resolved.
    pub old_gil_python: Option<crate::interpreters::Interpreter>,
    pub seed: u64,
    /// Stop after this much simulated time.
    pub duration: Option<f64>,
    /// Keep every GIL state change (for a picture).
    pub record: bool,
    /// Simulate every event (no steady-state fast-forward).
    pub exact: bool,
    pub repeat: usize,
    /// `--validate`: stop starting rounds after this long.
    pub budget: Duration,
    pub timeout: Duration,
}

/// An echo server beside CPU-bound threads, measured and modelled.
#[derive(Clone, Debug)]
pub struct ConvoySpec {
    pub cpu_threads: Vec<usize>,
    pub switch_interval: Vec<f64>,
    /// How long the client sends requests in each cell, seconds.
    pub duration: f64,
    pub model: ModelParams,
    pub timeout: Duration,
}

/// The model's parameters measured with real runs.
#[derive(Clone, Debug)]
pub struct CalibrateSpec {
    /// None: gilsim's cache directory.
    pub output: Option<PathBuf>,
    pub count: u64,
    pub repeat: usize,
    pub timeout: Duration,
}

/// Where `scale` gets its inputs.
#[derive(Clone, Debug)]
pub enum ScaleInputs {
    /// A Python expression, evaluated with the function's module's names.
    Expr(String),
    /// `FILE:NAME`: an iterable (or a function returning one) in another module.
    From(String),
}

/// A user's function called once per input, serially and on each runtime.
#[derive(Clone, Debug)]
pub struct ScaleSpec {
    pub file: PathBuf,
    pub func: String,
    pub inputs: ScaleInputs,
    pub workers: Vec<usize>,
    pub runtimes: Vec<crate::domain::ScaleRuntime>,
    pub start_method: crate::domain::StartMethod,
    pub repeat: usize,
    /// The interpreters, resolved (at least one: the embedded build's by default).
    pub python: Vec<ScalePython>,
    pub timeout: Duration,
}

/// One interpreter `scale` runs the function under.
#[derive(Clone, Debug)]
pub struct ScalePython {
    /// "3.12" for another interpreter, None for the embedded build's.
    pub label: Option<String>,
    pub path: String,
    pub version: String,
    pub subinterpreters: bool,
    /// A free-threaded build (3.13t): no GIL unless something turns it on.
    pub free_threaded: bool,
}

pub use crate::domain::SharingWorkload;

/// `sharing`: threads on objects of their own or one shared object, per interpreter.
#[derive(Clone, Debug)]
pub struct SharingSpec {
    /// The interpreters, as rows name them (a free-threaded build's without its GIL).
    pub pythons: Vec<crate::domain::ExternalPython>,
    pub threads: Vec<usize>,
    pub workloads: Vec<SharingWorkload>,
    /// Operations per thread.
    pub iterations: u64,
    pub repeat: usize,
    pub timeout: Duration,
}

/// The GIL of a running CPython, watched from outside.
#[derive(Clone, Debug)]
pub struct WatchSpec {
    pub pid: i32,
    /// Report interval.
    pub every: Duration,
    /// Stop after this long (None: until Ctrl-C or the process ends).
    pub duration: Option<Duration>,
    /// Samples of the GIL's holder per second; 0 counts hand-offs only.
    pub sample_hz: u32,
}

/// A run with every GIL state change recorded, and the part of it a picture shows.
#[derive(Clone, Debug)]
pub struct TimelineSpec {
    /// The script to run and its arguments; None runs the countdown.
    pub script: Option<(PathBuf, Vec<String>)>,
    /// The countdown's threads and iterations.
    pub threads: usize,
    pub count: u64,
    pub switch_interval: Option<f64>,
    /// The Python rows under this interpreter (None: the embedded one).
    pub python: Option<crate::domain::ExternalPython>,
    pub timeout: Duration,
    /// How much of the run the picture shows, and where that starts (None: the middle).
    pub window: f64,
    pub at: Option<f64>,
}

/// A running CPython's threads and stacks, sampled from outside.
#[derive(Clone, Debug)]
pub struct ProfileSpec {
    pub pid: i32,
    /// Stop after this long (None: at Ctrl-C or when the process ends).
    pub duration: Option<Duration>,
    /// Samples per second.
    pub rate_hz: u32,
    /// A file to create once attached, before the first sample: a script held at its start
    /// (`protocol::HOLD_ENV`) begins then.
    pub release: Option<std::path::PathBuf>,
}
