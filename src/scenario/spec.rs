//! What each scenario runs, as plain values: the command line (or a test, or the demo) fills
//! these in, and scenarios see nothing else (hyperfine's `Options`, ripgrep's `HiArgs`).
use crate::domain::{PoolMethod, PoolRuntime, QueueRuntime, QueueVariant, Runtime, StartMethod};
use crate::measure::gil::watch::GilSampling;
use crate::sim::Policy;
use std::path::PathBuf;

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
    /// Interpreters for the Python rows, by name ("2.7", "3.13", "embedded") or path; empty:
    /// the embedded one.
    pub python: Vec<String>,
    /// Run every row on each of these CPU counts; empty: all CPUs.
    pub cpus: Vec<usize>,
    /// Per trial, seconds.
    pub timeout: f64,
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
    pub timeout: f64,
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
    pub timeout: f64,
}

/// A list mutated by a thread and by child processes.
#[derive(Clone, Debug)]
pub struct ShareSpec {
    pub size: usize,
    pub start_method: Vec<StartMethod>,
    pub timeout: f64,
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
    /// None: the saved calibration, else documented defaults.
    pub calibration: Option<PathBuf>,
    pub seed: u64,
    /// Stop after this much simulated time.
    pub duration: Option<f64>,
    /// Keep every GIL state change (for a picture).
    pub record: bool,
    /// Simulate every event (no steady-state fast-forward).
    pub exact: bool,
    pub repeat: usize,
    /// `--validate`: stop starting rounds after this many seconds.
    pub budget: f64,
    pub timeout: f64,
}

/// An echo server beside CPU-bound threads, measured and modelled.
#[derive(Clone, Debug)]
pub struct ConvoySpec {
    pub cpu_threads: Vec<usize>,
    pub switch_interval: Vec<f64>,
    /// How long the client sends requests in each cell, seconds.
    pub duration: f64,
    pub calibration: Option<PathBuf>,
    pub timeout: f64,
}

/// The model's parameters measured with real runs.
#[derive(Clone, Debug)]
pub struct CalibrateSpec {
    /// None: gilsim's cache directory.
    pub output: Option<PathBuf>,
    pub count: u64,
    pub repeat: usize,
    pub timeout: f64,
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
    pub timeout: f64,
}

/// One interpreter `scale` runs the function under.
#[derive(Clone, Debug)]
pub struct ScalePython {
    /// "3.12" for another interpreter, None for the embedded build's.
    pub label: Option<String>,
    pub path: String,
    pub version: String,
    pub subinterpreters: bool,
}
