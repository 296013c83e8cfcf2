//! The command line: clap definitions (here), the value checks that reject bad input up front
//! (`values`), clap's names for the domain's enums (`value_enums`), and the resolution of
//! options into specs (`specs`).
mod specs;
mod value_enums;
mod values;

use crate::domain::{
    PoolMethod, PoolRuntime, QueueRuntime, QueueVariant, Runtime, ScaleRuntime, StartMethod,
};
use crate::measure::gil::watch::GilSampling;
use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use values::*;

#[derive(Debug, Parser)]
#[command(
    name = "gilsim",
    version,
    about = "Reproduce, measure and explain CPython's GIL contention, side by side with native Rust",
    long_about = "Reproduce, measure and explain CPython's GIL contention, side by side with \
                  native Rust.\n\nThe experiments run the original scripts of a study note on \
                  threading vs multiprocessing (kept verbatim in python/seed/) and Rust twins of \
                  them.\n\nWith no command, runs a quick demo: the study note's countdown \
                  (50,000,000 iterations) on 1 and 2 threads, 2 processes and Rust, 3 runs each."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The study note's countdown: 1 thread vs N threads vs N processes vs Rust, in one table
    Countdown(CountdownArgs),
    /// The study note's Pool.map: start methods, start-up vs work, beside Rust thread and process pools
    Pool(PoolArgs),
    /// The study note's sender/receiver queues (process, class-based, thread) beside Rust twins
    Queue(QueueArgs),
    /// Objects are shared between threads but copied per process: shown and measured
    Share(ShareArgs),
    /// Threads on objects of their own or one shared object, with and without a GIL: what
    /// sharing costs on a free-threaded build beside its GIL build
    Sharing(SharingArgs),
    /// Run a Python script unmodified as __main__ in the embedded interpreter
    Run(RunArgs),
    /// Would threads, processes or subinterpreters speed up your own function? Measured
    Scale(ScaleArgs),
    /// Who held the GIL when: exact hand-offs and a Beazley-style picture of a script or countdown
    Timeline(TimelineArgs),
    /// Predict a run with the discrete-event GIL model (--validate: against real runs)
    Simulate(SimulateArgs),
    /// Measure the parameters of the GIL model on this computer
    Calibrate(CalibrateArgs),
    /// The convoy effect: a Python echo server's throughput beside CPU-bound threads, with the model's prediction
    Convoy(ConvoyArgs),
    /// Show the embedded interpreter and check that library and stdlib agree
    Doctor,
    /// Every Python on the machine (PATH, pyenv, uv): version, GIL kind, subinterpreters, shared or not
    Interpreters(InterpretersArgs),
    /// Course labs: predict, measure, explain, with charts and a report to hand in
    Lab(LabArgs),
    /// Watch a running CPython 3.9+ from outside: exact GIL hand-offs, who holds it, who waits
    Watch(WatchArgs),
    /// Which code waits for the GIL, for how long, and behind which code (a running CPython 3.9+ or a script)
    Profile(ProfileArgs),
    /// Print a shell completion script (e.g. `gilsim completions bash > ~/.local/share/bash-completion/completions/gilsim`)
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `gilsim man | man -l -`)
    Man,
    /// (internal) run one job in a fresh worker process
    #[command(name = "__worker", hide = true)]
    Worker,
}

/// `--repeat`, defined once, with each command's own default (a const generic would share one
/// default: clap derive keeps `default_value_t` in a single static).
macro_rules! repeat_args {
    ($($name:ident = $default:literal),*) => {$(
        #[derive(Debug, Args, Clone)]
        pub struct $name {
            /// Measured runs per row (or per setting)
            #[arg(long, default_value = $default, value_parser = repeat_count)]
            pub repeat: usize,
        }
    )*};
}
repeat_args!(RepeatOnce = "1", RepeatFive = "5", RepeatSeven = "7");

/// `--warmup`: unmeasured runs before the measured ones.
#[derive(Debug, Args, Clone)]
pub struct WarmupArgs {
    /// Unmeasured runs per row before the measured ones
    #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub warmup: u32,
}

/// `--timeout`: how long one trial may take before its process group is killed.
#[derive(Debug, Args, Clone)]
pub struct TimeoutArgs {
    /// Kill a trial (its whole process group) after this long
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = timeout_seconds)]
    pub timeout: Duration,
}

#[derive(Debug, Args, Clone)]
pub struct CountdownArgs {
    /// Total iterations, split evenly across the workers (the study note's COUNT)
    #[arg(long, default_value = "50000000", value_parser = positive_u64)]
    pub count: u64,
    /// Thread counts to run (python-threads and rust-threads)
    #[arg(long, value_delimiter = ',', default_value = "1,2", value_parser = worker_count)]
    pub threads: Vec<usize>,
    /// Process counts to run (python-processes)
    #[arg(long, value_delimiter = ',', default_value = "2", value_parser = worker_count)]
    pub processes: Vec<usize>,
    /// Runtimes to compare
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "python-threads,python-processes,rust-threads"
    )]
    pub runtimes: Vec<Runtime>,
    #[command(flatten)]
    pub repeat: RepeatFive,
    #[command(flatten)]
    pub warmup: WarmupArgs,
    /// sys.setswitchinterval() for the Python rows (default: the interpreter's, 0.005)
    #[arg(long, value_name = "SECONDS", value_parser = switch_interval)]
    pub switch_interval: Option<f64>,
    /// Do not read the GIL's state during Python trials
    #[arg(long)]
    pub no_gil_stats: bool,
    /// How to watch the GIL during Python trials
    #[arg(long, value_name = "MODE", default_value = "separate")]
    pub gil_sampling: GilSampling,
    /// Iterations for the untimed runs that sample held shares (default: --count; shares do not
    /// depend on the length of the run)
    #[arg(long, value_name = "N", value_parser = positive_u64)]
    pub sampled_count: Option<u64>,
    /// Untimed sampled runs per Python row (at most --repeat); the held shares are their medians
    #[arg(long, value_name = "N", default_value = "3", value_parser = repeat_count)]
    pub sampled_runs: usize,
    /// Also time GIL acquisitions from a host thread every MS milliseconds (gilknocker's method; python-threads rows)
    #[arg(long, value_name = "MS", value_parser = probe_ms)]
    pub probe_interval: Option<f64>,
    /// Run the Python rows under these interpreters instead (names from `gilsim interpreters`,
    /// e.g. 2.7,3.13, "embedded", or paths), as child processes measured from outside
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub python: Vec<String>,
    /// Run every row on each of these numbers of CPUs (sched_setaffinity)
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = worker_count)]
    pub cpus: Vec<usize>,
    /// Also draw the wall time by workers as an SVG chart into this file
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct ScaleArgs {
    /// The function to measure, FILE:FUNC (its module is imported as a user runs it: its
    /// directory on sys.path, its `if __name__ == "__main__":` block not run)
    #[arg(value_name = "FILE:FUNC", value_parser = scale_target)]
    pub target: (PathBuf, String),
    /// The inputs, a Python expression evaluated with the module's names (e.g. "range(100)")
    #[arg(
        long,
        value_name = "EXPR",
        conflicts_with = "inputs_from",
        required_unless_present = "inputs_from"
    )]
    pub inputs: Option<String>,
    /// The inputs from another module: FILE:NAME, an iterable or a function returning one
    #[arg(long, value_name = "FILE:ITERABLE", value_parser = scale_inputs_from)]
    pub inputs_from: Option<String>,
    /// Worker counts for the parallel runtimes
    #[arg(long, value_delimiter = ',', default_value = "1,2,4", value_parser = worker_count)]
    pub workers: Vec<usize>,
    /// Runtimes to compare (serial is always run: it is the baseline)
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "serial,threads,processes,subinterpreters"
    )]
    pub runtimes: Vec<ScaleRuntime>,
    /// How worker processes start (spawn and forkserver import FUNC by name; fork inherits it)
    #[arg(long, default_value = "fork")]
    pub start_method: StartMethod,
    /// Measured runs per row, in interleaved rounds
    #[arg(long, default_value = "5", value_parser = repeat_count)]
    pub repeat: usize,
    /// Interpreters to run it under (names as `gilsim interpreters` lists them, or paths;
    /// default: the build gilsim embeds)
    #[arg(long, value_delimiter = ',')]
    pub python: Vec<String>,
    /// Also draw the speed-up by workers as an SVG chart
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct PoolArgs {
    /// Pool size (the study note's Pool(8))
    #[arg(long, default_value = "8", value_parser = worker_count)]
    pub workers: usize,
    /// Items mapped (the study note's range(1024))
    #[arg(long, default_value = "1024", value_parser = item_count)]
    pub items: usize,
    /// Start methods for the Python rows
    #[arg(long, value_delimiter = ',', default_value = "spawn,forkserver,fork")]
    pub start_method: Vec<StartMethod>,
    /// The study note's ways of using the pool: method 1 (close-join) and method 2 (with)
    #[arg(long, value_delimiter = ',', default_value = "close-join,with")]
    pub method: Vec<PoolMethod>,
    /// Items per task sent to a worker (default: Pool.map's, ceil(items / (4 · workers)))
    #[arg(long, value_parser = chunk_size)]
    pub chunksize: Option<usize>,
    /// Countdown iterations per item, to make the map CPU-bound (0: the study note's f, pure overhead)
    #[arg(long, default_value = "0", value_parser = iterations)]
    pub work: u64,
    /// Runtimes to compare
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "python-processes,rust-threads,rust-processes"
    )]
    pub runtimes: Vec<PoolRuntime>,
    #[command(flatten)]
    pub repeat: RepeatFive,
    #[command(flatten)]
    pub warmup: WarmupArgs,
    /// Run the Python rows under this interpreter instead of the embedded one (a name from
    /// `gilsim interpreters`, e.g. 3.13t, or a path), measured from outside
    #[arg(long, value_name = "NAME")]
    pub python: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct QueueArgs {
    /// The study note's Python variants to run
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "process,process-class,thread"
    )]
    pub variant: Vec<QueueVariant>,
    /// Messages the receiver takes (the study note's range(10))
    #[arg(long, default_value = "10", value_parser = message_count)]
    pub messages: usize,
    /// Sleep after each put and each get (the study note's 0.5); 0 turns the run into a throughput and latency benchmark
    #[arg(long, value_name = "SECONDS", default_value = "0.5", value_parser = interval_seconds)]
    pub interval: f64,
    /// Start methods for the process variants
    #[arg(long, value_delimiter = ',', default_value = "fork")]
    pub start_method: Vec<StartMethod>,
    /// Runtimes to compare
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "python,rust-threads,rust-processes"
    )]
    pub runtimes: Vec<QueueRuntime>,
    #[command(flatten)]
    pub repeat: RepeatOnce,
    /// Run the Python rows under this interpreter instead of the embedded one (a name from
    /// `gilsim interpreters`, e.g. 3.13t, or a path), measured from outside
    #[arg(long, value_name = "NAME")]
    pub python: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct ShareArgs {
    /// Items in the list that is mutated
    #[arg(long, default_value = "100000", value_parser = item_count)]
    pub size: usize,
    /// Start methods for the process rows
    #[arg(long, value_delimiter = ',', default_value = "spawn,forkserver,fork")]
    pub start_method: Vec<StartMethod>,
    /// Run the Python rows under this interpreter instead of the embedded one (a name from
    /// `gilsim interpreters`, e.g. 3.13t, or a path), measured from outside
    #[arg(long, value_name = "NAME")]
    pub python: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct SharingArgs {
    /// Interpreters (names from `gilsim interpreters`, e.g. 3.13t,3.13, or paths; a
    /// free-threaded build runs without its GIL). Default: the newest free-threaded build
    /// found and the GIL build of its version
    #[arg(long, value_delimiter = ',')]
    pub python: Vec<String>,
    /// Thread counts
    #[arg(long, value_delimiter = ',', default_value = "1,2,4", value_parser = worker_count)]
    pub threads: Vec<usize>,
    /// What the threads do
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "list-append,dict-update,attr-bump,read-global"
    )]
    pub workloads: Vec<crate::domain::SharingWorkload>,
    /// Operations per thread
    #[arg(long, default_value = "1000000", value_parser = positive_u64)]
    pub iterations: u64,
    #[command(flatten)]
    pub repeat: RepeatFive,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct TimelineArgs {
    /// A script to run and watch (otherwise --scenario); gilsim's options come before it
    pub script: Option<PathBuf>,
    /// Arguments for the script: everything after it, as with `python SCRIPT ARGS...`
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Watch a built-in scenario instead of a script
    #[arg(long, value_enum, conflicts_with = "script")]
    pub scenario: Option<TimelineScenario>,
    /// Threads for --scenario countdown
    #[arg(long, default_value = "2", value_parser = worker_count)]
    pub threads: usize,
    /// Total iterations for --scenario countdown, split across the threads
    #[arg(long, default_value = "20000000", value_parser = positive_u64)]
    pub count: u64,
    /// sys.setswitchinterval() before the run
    #[arg(long, value_name = "SECONDS", value_parser = switch_interval)]
    pub switch_interval: Option<f64>,
    /// Write the picture here (SVG)
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// How much of the run the picture shows
    #[arg(long, value_name = "SECONDS", default_value = "0.05", value_parser = window_seconds)]
    pub window: f64,
    /// Where the window starts, seconds into the run (default: centred on the run)
    #[arg(long, value_name = "SECONDS", value_parser = start_seconds)]
    pub at: Option<f64>,
    /// Run under this interpreter instead of the embedded one (a name from `gilsim
    /// interpreters`, e.g. 3.13, or a path), its GIL read from outside
    #[arg(long, value_name = "NAME")]
    pub python: Option<String>,
    /// The summary on stdout as text or JSON
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct SimulateArgs {
    /// CPU-bound threads, up to 10,000 (0 with --io-threads: the I/O threads alone; with
    /// --validate: a list of at most 64 each, as real runs are)
    #[arg(long, value_delimiter = ',', value_parser = model_thread_count)]
    pub threads: Vec<usize>,
    /// Cores (default: this machine's)
    #[arg(long, value_parser = worker_count)]
    pub cores: Option<usize>,
    /// Switch interval (with --validate: a list)
    #[arg(long, value_name = "SECONDS", value_delimiter = ',', value_parser = switch_interval)]
    pub switch_interval: Vec<f64>,
    /// Countdown iterations, split across the CPU threads (default 50,000,000; --validate: per
    /// reference segment, default what takes ~20 ms; --validate --method rounds 20,000,000)
    #[arg(long, value_parser = positive_u64)]
    pub count: Option<u64>,
    /// I/O threads, up to 10,000 (each a request loop that releases the GIL around its system
    /// calls)
    #[arg(long, default_value = "0", value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub io_threads: u32,
    /// GIL policy: new (3.2+), old (3.1 and before), none (free-threaded)
    #[arg(long, default_value = "new", value_parser = gil_policy())]
    pub gil: crate::sim::Policy,
    /// Parameters from `gilsim calibrate` (default: the saved calibration, else documented defaults)
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Seed for the model's jitter
    #[arg(long, default_value = "1")]
    pub seed: u64,
    /// Stop after this much simulated time (needed with I/O threads only)
    #[arg(long, value_name = "SECONDS", value_parser = window_seconds)]
    pub duration: Option<f64>,
    /// Draw the simulated run like `gilsim timeline`
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// How much of the run the picture shows
    #[arg(long, value_name = "SECONDS", default_value = "0.05", value_parser = window_seconds)]
    pub window: f64,
    /// Run the real embedded countdown at every grid point and compare with the model
    #[arg(long)]
    pub validate: bool,
    /// With --validate: stop starting new trials after this many seconds (they also stop once
    /// every point is resolved)
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = budget_seconds)]
    pub budget: Duration,
    /// With --validate: how the points are measured
    #[arg(long, value_enum, default_value = "alternating")]
    pub method: ValidationMethod,
    /// Simulate every event to the end (by default a long CPU-bound run is fast-forwarded at
    /// its steady rates once they agree, and the answer says by how much and how surely)
    #[arg(long)]
    pub exact: bool,
    #[command(flatten)]
    pub repeat: RepeatSeven,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

/// How `--validate` measures its points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidationMethod {
    /// Each point takes turns with its reference in short segments inside one worker, so a
    /// noisy host's per-run swings cancel in their ratio
    Alternating,
    /// Each point runs in a worker of its own, every point once per round in a shuffled order
    Rounds,
}

#[derive(Debug, Args, Clone)]
pub struct ConvoyArgs {
    /// CPU-bound Python threads beside the echo server [default: 0,1,2; with --validate 0,1,2,4]
    #[arg(long, value_delimiter = ',', value_parser = thread_count_or_zero)]
    pub cpu_threads: Vec<usize>,
    /// Switch intervals
    #[arg(long, value_name = "SECONDS", value_delimiter = ',', default_value = "0.005,0.001,0.0001", value_parser = switch_interval)]
    pub switch_interval: Vec<f64>,
    /// How long the client sends requests in each cell [default: 2; with --validate 0.5]
    #[arg(long, value_name = "SECONDS", value_parser = window_seconds)]
    pub duration: Option<f64>,
    /// Parameters from `gilsim calibrate` (default: the saved calibration, else documented defaults)
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Measure every cell in repeated rounds until its requests/s is resolved to ±2.5 % (or
    /// the budget runs out), and judge the model at each resolved cell (default cells: 0, 1,
    /// 2, 4 CPU threads at 5 ms, 1 ms and 0.1 ms; 0.5 s each)
    #[arg(long)]
    pub validate: bool,
    /// With --validate: stop starting new trials after this many seconds
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = budget_seconds)]
    pub budget: Duration,
    /// With --validate: how the cells are measured
    #[arg(long, value_enum, default_value = "alternating")]
    pub method: ValidationMethod,
    /// With --validate: at least this many rounds (3 or more)
    #[arg(long, default_value = "3", value_parser = repeat_count)]
    pub repeat: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args, Clone)]
pub struct CalibrateArgs {
    /// Where to save the parameters (default: gilsim's cache directory)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Countdown iterations per calibration run
    #[arg(long, default_value = "20000000", value_parser = positive_u64)]
    pub count: u64,
    #[command(flatten)]
    pub repeat: RepeatSeven,
    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TimelineScenario {
    /// The study note's countdown split across --threads threads
    Countdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format on stdout (or of --output; default: from its extension)
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write the report to this file (atomically), in --format or by extension
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Tables and Markdown show every column (JSON and CSV always carry every field)
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args, Clone)]
pub struct InterpretersArgs {
    /// Also describe these interpreters (paths; several allowed, comma-separated)
    #[arg(long, value_name = "PATH", value_delimiter = ',')]
    pub python: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone)]
pub struct LabArgs {
    #[command(subcommand)]
    pub action: LabAction,
}

#[derive(Debug, Subcommand, Clone)]
pub enum LabAction {
    /// The labs: id, title, how long each takes, what it needs
    List {
        /// Output format on stdout
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A lab's handout: goal, background, questions, what to predict
    Show {
        /// The lab (from `gilsim lab list`)
        id: String,
        /// The instructor's page: expected results with published figures and sources, check
        /// tolerances, discussion points, common wrong answers
        #[arg(long)]
        instructor: bool,
    },
    /// Run a lab: your predictions, the measurement, the checks; --output writes the report
    Run {
        /// The lab (from `gilsim lab list`)
        id: String,
        /// A prediction, NAME=VALUE (repeatable; `gilsim lab show ID` lists the names). Without
        /// any, gilsim asks on a terminal.
        #[arg(long, value_name = "NAME=VALUE", value_parser = crate::lab::run::parse_prediction)]
        predict: Vec<(String, f64)>,
        /// Smaller runs (about a quarter of the time; fewer figures decided)
        #[arg(long)]
        quick: bool,
        /// Write report.md, report.html, results.json and the charts into this directory
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Run the countdown's Python rows under this interpreter (a name from `gilsim
        /// interpreters`, e.g. 3.13t, or a path): labs one-vs-two, speedup and switch-interval
        #[arg(long)]
        python: Option<String>,
        #[command(flatten)]
        timeout: TimeoutArgs,
    },
    /// A class summary from many students' results.json files (files or directories)
    Collect {
        /// results.json files, or directories holding them
        #[arg(required = true, value_name = "FILES_OR_DIRS")]
        inputs: Vec<PathBuf>,
        /// Write summary.md, summary.html, summary.json and the charts into this directory
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Clone)]
pub struct WatchArgs {
    /// The process to watch: a running CPython 3.9 or later (read-only; it is never stopped)
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: i32,
    /// Stop after this many seconds (default: at Ctrl-C or when the process ends)
    #[arg(long, value_name = "SECONDS", value_parser = watch_seconds)]
    pub duration: Option<f64>,
    /// Report every this many seconds
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = watch_seconds)]
    pub every: f64,
    /// Samples per second of who holds the GIL (0: count hand-offs only)
    #[arg(long, value_name = "HZ", default_value = "1000", value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub sample_rate: u32,
    /// A line per interval and a summary table, or JSON lines (one object per interval, then
    /// the summary)
    #[arg(long, value_enum, default_value = "table")]
    pub format: WatchFormat,
}

/// How `watch` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WatchFormat {
    Table,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct ProfileArgs {
    /// The process to profile: a running CPython 3.9 or later (read-only; it is never stopped)
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: Option<i32>,
    /// Stop after this many seconds (default: at Ctrl-C or when the process ends)
    #[arg(long, value_name = "SECONDS", value_parser = watch_seconds)]
    pub duration: Option<f64>,
    /// Samples per second
    #[arg(long, value_name = "HZ", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rate: u32,
    /// A table, JSON (gilsim.v1), or speedscope's format (open it at speedscope.app)
    #[arg(long, value_enum, default_value = "table")]
    pub format: ProfileFormat,
    /// Also write a flame graph (SVG) of every thread's stacks, one tower per GIL state
    #[arg(long, value_name = "FILE.svg")]
    pub flamegraph: Option<PathBuf>,
    /// Write the report in --format to this file (the table still goes to stdout)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Run the script with this interpreter instead of the embedded one (a name from `gilsim
    /// interpreters`, e.g. 3.13, or a path)
    #[arg(long, value_name = "PYTHON", requires = "script")]
    pub python: Option<String>,
    /// A script to run and profile from its start, as `gilsim run` runs it
    #[arg(conflicts_with = "pid")]
    pub script: Option<PathBuf>,
    /// Arguments for the script: everything after it
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        requires = "script"
    )]
    pub args: Vec<String>,
}

/// How `profile` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileFormat {
    Table,
    Json,
    Speedscope,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Kill the script and everything it started after this long (exit 124)
    #[arg(long, value_name = "SECONDS", value_parser = timeout_seconds)]
    pub timeout: Option<Duration>,
    /// Leave out the measurement footer on stderr
    #[arg(long)]
    pub no_footer: bool,
    /// Default multiprocessing start method for the script (a script that sets its own keeps it)
    #[arg(long, value_enum)]
    pub start_method: Option<StartMethod>,
    /// Run the script with this interpreter instead of the embedded one, measured from outside
    /// (a name from `gilsim interpreters`, e.g. 2.7 or 3.13, or a path)
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<String>,
    /// The script to run; gilsim's options come before it
    pub script: PathBuf,
    /// Arguments for the script: everything after it, as with `python SCRIPT ARGS...`
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// The command line as gilsim parses it: every option that takes a value accepts one that
/// starts with '-' ("--count -1"), so a negative number gets gilsim's own message rather than
/// clap's "unexpected argument".
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().mut_subcommands(|sub| {
        sub.mut_args(|arg| {
            if arg.get_action().takes_values() && !arg.is_positional() {
                arg.allow_hyphen_values(true)
            } else {
                arg
            }
        })
    })
}

/// Parses the process's arguments (exits with clap's message and code 2 on a usage error).
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

/// Parses the given arguments as `parse` does.
pub fn parse_from<I, T>(args: I) -> Cli
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let matches = command().get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Runtime;

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }

    fn try_parse(args: &[&str]) -> Result<Cli, clap::Error> {
        use clap::FromArgMatches;
        Cli::from_arg_matches(&command().try_get_matches_from(args)?)
    }

    #[test]
    fn bad_values_are_rejected_with_gilsims_own_message() {
        for bad in [
            vec!["gilsim", "countdown", "--threads", "0"],
            vec!["gilsim", "countdown", "--count", "-1"],
            vec!["gilsim", "countdown", "--switch-interval", "0"],
            vec!["gilsim", "countdown", "--runtimes", "java"],
            vec!["gilsim", "pool", "--repeat", "0"],
        ] {
            assert!(try_parse(&bad).is_err(), "{bad:?} was accepted");
        }
        let negative = try_parse(&["gilsim", "countdown", "--count", "-1"]).unwrap_err();
        assert!(
            negative
                .to_string()
                .contains("count must be a whole number"),
            "{negative}"
        );
        let ok = try_parse(&[
            "gilsim",
            "countdown",
            "--count",
            "50_000",
            "--threads",
            "1,4",
        ]);
        assert!(ok.is_ok());
    }

    #[test]
    fn the_countdown_defaults_are_the_study_notes() {
        let Some(Command::Countdown(args)) = try_parse(&["gilsim", "countdown"]).unwrap().command
        else {
            panic!("not a countdown")
        };
        let spec = args.spec().unwrap();
        assert_eq!(spec.count, 50_000_000);
        assert_eq!(spec.threads, vec![1, 2]);
        assert_eq!(spec.processes, vec![2]);
        assert_eq!(
            spec.runtimes,
            vec![
                Runtime::PythonThreads,
                Runtime::PythonProcesses,
                Runtime::RustThreads
            ]
        );
        assert_eq!(
            (spec.repeat, spec.warmup, spec.timeout),
            (5, 1, Duration::from_secs(300))
        );
    }

    #[test]
    fn each_command_keeps_its_own_repeat_default() {
        let repeat = |cmd: &str| match try_parse(&["gilsim", cmd]).unwrap().command {
            Some(Command::Countdown(a)) => a.spec().unwrap().repeat,
            Some(Command::Pool(a)) => a.spec().unwrap().repeat,
            Some(Command::Queue(a)) => a.spec().unwrap().repeat,
            Some(Command::Simulate(a)) => a.spec().unwrap().repeat,
            Some(Command::Calibrate(a)) => a.spec().repeat,
            _ => unreachable!(),
        };
        let got: Vec<usize> = ["countdown", "pool", "queue", "simulate", "calibrate"]
            .iter()
            .map(|c| repeat(c))
            .collect();
        assert_eq!(got, vec![5, 5, 1, 7, 7]);
    }
}
