//! The vocabulary every layer shares: who runs a workload (runtimes), how a child process is
//! started, the embedded interpreter's description and one thread's CPU usage. Lower layers
//! (measure, native, embed) and upper ones (scenarios, reports) import these from here.
use crate::measure::rusage::Usage;
use serde::{Deserialize, Serialize};

/// An enum that the command line, JSON and tables name in one casing (`"kebab-case"`,
/// `"lowercase"`), with its variants listed and documented for help texts, and `name()`.
macro_rules! named_enum {
    ($case:literal, $(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            Serialize,
            Deserialize,
            strum::VariantArray,
            strum::EnumMessage,
            strum::IntoStaticStr,
        )]
        #[serde(rename_all = $case)]
        #[strum(serialize_all = $case)]
        pub enum $name { $($body)* }

        impl $name {
            /// The name used on the command line, in JSON and in tables.
            pub fn name(self) -> &'static str {
                self.into()
            }
        }
    };
}

named_enum! {
    "kebab-case",
    pub enum Runtime {
        /// `threading.Thread` workers in the embedded interpreter
        PythonThreads,
        /// `multiprocessing.Process` workers forked from the embedded interpreter
        PythonProcesses,
        /// The same loop on Rust `std::thread`s
        RustThreads,
        /// Rust threads that must hold a Rust implementation of the new-GIL protocol
        RustGil,
        /// Subinterpreters with a GIL of their own (PEP 684, CPython 3.12+), one per thread, in
        /// one process
        PythonSubinterpreters,
    }
}

impl Runtime {
    pub fn is_python(self) -> bool {
        matches!(
            self,
            Runtime::PythonThreads | Runtime::PythonProcesses | Runtime::PythonSubinterpreters
        )
    }

    pub fn uses_threads(self) -> bool {
        !matches!(self, Runtime::PythonProcesses)
    }
}

named_enum! {
    "lowercase",
    /// multiprocessing's ways of starting a child process.
    pub enum StartMethod {
        /// A fresh interpreter that imports the main module and unpickles the target
        Spawn,
        /// Children forked from a clean single-threaded server process
        Forkserver,
        /// A copy of the parent's memory (Linux's default up to 3.13)
        Fork,
    }
}

named_enum! {
    "lowercase",
    /// How `scale` runs a function over its inputs.
    pub enum ScaleRuntime {
        /// One call after another in one thread: the baseline
        Serial,
        /// A ThreadPoolExecutor of N threads
        Threads,
        /// N worker processes (--start-method)
        Processes,
        /// N subinterpreters with their own GIL (CPython 3.12+)
        Subinterpreters,
    }
}

named_enum! {
    "kebab-case",
    /// What `sharing`'s threads do, each on an object of its own or all on one.
    pub enum SharingWorkload {
        /// list.append (the list cleared every 1,000 items)
        ListAppend,
        /// d[k] = v over 1,000 keys
        DictUpdate,
        /// o.n += 1 on a plain object
        AttrBump,
        /// Reading an attribute of one module-level object (shared by nature)
        ReadGlobal,
    }
}

impl ScaleRuntime {
    /// Whether the runtime runs calls on workers of its own (everything but serial).
    pub fn is_parallel(self) -> bool {
        self != ScaleRuntime::Serial
    }
}

named_enum! {
    "kebab-case",
    /// Who runs a sender/receiver pair.
    pub enum QueueRuntime {
        /// The study note's Python variants (see --variant)
        Python,
        /// std::sync::mpsc between threads, stopped with an AtomicBool
        RustThreads,
        /// A child process writing to a pipe, stopped with kill
        RustProcesses,
    }
}

named_enum! {
    "kebab-case",
    /// The study note's three sender/receiver programs.
    pub enum QueueVariant {
        /// multiprocessing.Queue, sender Process stopped with terminate()
        Process,
        /// The class-based version (the sender nested in __init__)
        ProcessClass,
        /// queue.Queue, sender Thread stopped with an Event and join()
        Thread,
    }
}

named_enum! {
    "kebab-case",
    /// Who runs a pool map.
    pub enum PoolRuntime {
        /// The study note's multiprocessing.Pool in the embedded interpreter
        PythonProcesses,
        /// A Rust thread pool
        RustThreads,
        /// A pool of gilsim child processes fed over pipes
        RustProcesses,
    }
}

named_enum! {
    "kebab-case",
    /// The study note's two ways of using a Pool.
    pub enum PoolMethod {
        /// Method 1: p = Pool(n); p.map(...); p.close(); p.join()
        CloseJoin,
        /// Method 2: with Pool(n) as p: p.map(...)
        With,
    }
}

/// The embedded interpreter as the worker sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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

/// CPython's default switch interval (`sys.getswitchinterval()` until a program changes it).
pub const DEFAULT_SWITCH_INTERVAL_S: f64 = 0.005;

/// An interpreter other than the embedded one, as a row names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalPython {
    /// "2.7", "3.13", "3.13t".
    pub name: String,
    pub version: String,
    pub path: String,
    pub gil: crate::interpreters::GilKind,
    /// Subinterpreters with a GIL of their own (3.12+).
    #[serde(default)]
    pub subinterpreters: bool,
    /// `PYTHON_GIL` for a free-threaded build: 0 runs without a GIL, 1 turns one on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_gil: Option<u8>,
}

impl ExternalPython {
    /// The rows one Python gives: itself, or for a free-threaded build two, without a GIL
    /// (`PYTHON_GIL=0`) and with one turned on (`PYTHON_GIL=1`).
    pub fn rows_of(found: crate::interpreters::Interpreter) -> Vec<ExternalPython> {
        let python = ExternalPython {
            name: found.name,
            version: found.version,
            path: found.path,
            gil: found.gil,
            subinterpreters: found.subinterpreters_own_gil,
            python_gil: None,
        };
        if found.gil != crate::interpreters::GilKind::FreeThreaded {
            return vec![python];
        }
        [0, 1]
            .into_iter()
            .map(|g| ExternalPython {
                python_gil: Some(g),
                ..python.clone()
            })
            .collect()
    }

    /// How rows and verdicts name it: "3.13", or "3.13t PYTHON_GIL=0".
    pub fn label(&self) -> String {
        match self.python_gil {
            Some(g) => format!("{} PYTHON_GIL={g}", self.name),
            None => self.name.clone(),
        }
    }
}

// What each workload measured, as its worker reports it.

/// One `Pool.map` (or its Rust twin) from pool creation to shutdown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolOutcome {
    /// Pool created → last worker ready (None where no worker reported).
    pub startup_s: Option<f64>,
    pub workers_ready: usize,
    pub map_s: f64,
    pub total_s: f64,
    /// The same calls made one after another in the parent.
    pub sequential_s: f64,
    pub chunksize: usize,
    /// The result equals `[f(x) for x in range(items)]`.
    pub results_ok: bool,
}

/// One sender/receiver run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueueOutcome {
    pub received: Vec<u64>,
    /// put → get of each message.
    pub latencies_s: Vec<f64>,
    pub first_message_s: Option<f64>,
    /// First to last arrival.
    pub stream_s: Option<f64>,
    pub shutdown_s: f64,
    pub total_s: f64,
}

/// One mutation by a thread or a child process, as the parent sees it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShareOutcome {
    pub visible_in_parent: bool,
    pub object_bytes: u64,
    /// Bytes pickled to start the child (spawn, forkserver).
    pub pickled_bytes: Option<u64>,
    /// Memory the child's writes copied (fork: copy-on-write faults × page size).
    pub child_copied_bytes: Option<u64>,
}

/// The echo server's throughput over one convoy cell.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConvoyOutcome {
    pub requests: u64,
    pub requests_per_s: f64,
    /// None when no request completed.
    pub latency_s: Option<Percentiles>,
}

/// The segments of one alternating trial, in the order they ran.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SegmentsOutcome {
    /// Countdown iterations per segment (countdown workloads).
    pub count: Option<u64>,
    pub segments: Vec<Segment>,
}

impl SegmentsOutcome {
    /// (reference, point) segments of each complete pair, in pair order.
    pub fn pairs(&self) -> Vec<(Segment, Segment)> {
        let mut by_pair: Vec<(Option<Segment>, Option<Segment>)> = Vec::new();
        for s in &self.segments {
            if by_pair.len() <= s.pair {
                by_pair.resize(s.pair + 1, (None, None));
            }
            let slot = &mut by_pair[s.pair];
            if s.point {
                slot.1 = Some(*s);
            } else {
                slot.0 = Some(*s);
            }
        }
        by_pair
            .into_iter()
            .filter_map(|(r, p)| Some((r?, p?)))
            .collect()
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Segment {
    pub pair: usize,
    /// The point (true) or the reference (false).
    pub point: bool,
    pub wall_s: f64,
    /// The process's CPU time over the segment.
    pub cpu_s: f64,
    /// Exact GIL hand-offs (None where the GIL's state could not be found).
    pub switches: Option<u64>,
    /// Echo requests answered (convoy workloads).
    pub requests: Option<u64>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
}

/// A run with every GIL state change recorded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimelineOutcome {
    pub gil: crate::measure::gil::stats::GilStats,
    pub switch_interval_s: f64,
    /// Registered threads, in the order `changes` index them.
    pub threads: Vec<String>,
    pub changes: Vec<crate::sim::Change>,
    pub exit_code: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    /// One name per value: the command line's, JSON's and the tables' agree.
    fn names_agree<T: ValueEnum + Serialize + Copy + Into<&'static str>>() {
        for v in T::value_variants() {
            let cli = v.to_possible_value().unwrap().get_name().to_string();
            let json = serde_json::to_value(v).unwrap();
            let name: &'static str = (*v).into();
            assert_eq!(json, serde_json::json!(cli));
            assert_eq!(name, cli);
        }
    }

    #[test]
    fn every_name_is_the_same_everywhere() {
        names_agree::<Runtime>();
        names_agree::<StartMethod>();
        names_agree::<QueueRuntime>();
        names_agree::<QueueVariant>();
        names_agree::<PoolRuntime>();
        names_agree::<PoolMethod>();
    }

    #[test]
    fn a_free_threaded_build_gives_rows_without_and_with_a_gil() {
        use crate::interpreters::{probe::ProbeReport, GilKind, Interpreter};
        // What a 3.13t build's probe reports (sysconfig's Py_GIL_DISABLED = 1).
        let recorded: ProbeReport = serde_json::from_str(
            r#"{"version": "3.13.0", "implementation": "CPython", "executable": "/x/python3.13t",
                "prefix": "/x", "shared": true, "gil_disabled": true, "subinterpreters": true}"#,
        )
        .unwrap();
        let ft = Interpreter::from_report(recorded, std::path::Path::new("/x/python3.13t"), "test");
        let rows = ExternalPython::rows_of(ft);
        let labels: Vec<String> = rows.iter().map(ExternalPython::label).collect();
        assert_eq!(labels, ["3.13t PYTHON_GIL=0", "3.13t PYTHON_GIL=1"]);
        assert!(rows.iter().all(|p| p.gil == GilKind::FreeThreaded));
        let recorded: ProbeReport = serde_json::from_str(
            r#"{"version": "3.13.0", "implementation": "CPython", "executable": "/x/python3.13",
                "prefix": "/x", "shared": true, "gil_disabled": false, "subinterpreters": true}"#,
        )
        .unwrap();
        let gil = Interpreter::from_report(recorded, std::path::Path::new("/x/python3.13"), "test");
        let rows = ExternalPython::rows_of(gil);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].label(), "3.13");
    }
}
