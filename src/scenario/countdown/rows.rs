//! Condensing repeated countdown trials into one row per (runtime, workers).
use crate::domain::{ExternalPython, Runtime};
use crate::measure::gil::probe::{Latencies, ProbeStats};
use crate::measure::gil::stats::{aggregate, GilStats};
use crate::protocol::{CountdownTrial, TrialMeasurement};
use crate::report::units::{seconds, thousands};
use crate::report::{field, Cell, Row};
use crate::stats::{median, Summary};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct CountdownRow {
    pub runtime: Runtime,
    pub workers: usize,
    /// The interpreter of a Python row run as a child process (absent: the embedded one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python: Option<ExternalPython>,
    /// The CPUs the trial was limited to (absent: all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<usize>,
    pub count: u64,
    pub wall_s: Summary,
    pub cpu_s: CpuSummary,
    /// CPU time / wall time (median over runs): how many cores were busy on average.
    pub parallelism: f64,
    /// Baseline median wall / this row's median wall.
    pub speedup: Option<f64>,
    /// Which row the speedup is relative to.
    pub speedup_baseline: Option<String>,
    pub ctx_switches: CtxSwitches,
    /// Each thread's own CPU time (median over runs); empty for process rows.
    pub threads: Vec<ThreadCpu>,
    /// CPU nanoseconds per loop iteration (whole process tree).
    pub ns_per_iteration: f64,
    /// Python rows: what the GIL did (medians over runs), or why that is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil: Option<GilStats>,
    /// With --probe-interval: acquisition latencies seen by the probe (medians over runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeStats>,
    /// CPUs' worth of other processes' work during the runs (median over runs): what else the
    /// machine was doing. None where it could not be read.
    pub other_load: Option<f64>,
    /// CPUs' worth of time the hypervisor stole during the runs (median over runs).
    pub steal: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CpuSummary {
    pub median: f64,
    pub user_median: f64,
    pub sys_median: f64,
    pub samples: Vec<f64>,
}

/// Medians over runs, for the whole process tree.
#[derive(Clone, Debug, Serialize)]
pub struct CtxSwitches {
    pub voluntary: f64,
    pub involuntary: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThreadCpu {
    pub name: String,
    pub cpu_s: f64,
    pub voluntary: f64,
    pub involuntary: f64,
}

/// `sampled[i]`: the separate sampled runs of trial i, when its held shares come from them.
pub fn build(
    trials: &[CountdownTrial],
    runs: &[Vec<TrialMeasurement>],
    sampled: &[Vec<TrialMeasurement>],
) -> Vec<CountdownRow> {
    let mut rows: Vec<CountdownRow> = trials
        .iter()
        .zip(runs)
        .zip(sampled)
        .map(|((t, m), s)| {
            let mut row = row(t, m);
            let shares: Vec<GilStats> = s.iter().filter_map(|m| m.gil.clone()).collect();
            if let (Some(gil), false) = (&row.gil, shares.is_empty()) {
                row.gil = Some(gil.clone().with_shares_from(&aggregate(&shares)));
            }
            row
        })
        .collect();
    let baselines: Vec<(Runtime, Option<String>, Option<usize>, f64)> = rows
        .iter()
        .filter(|r| r.workers == 1)
        .map(|r| (r.runtime, r.python_name(), r.cpus, r.wall_s.median))
        .collect();
    for row in &mut rows {
        // Processes run the same Python loop; with no 1-process row, sequential Python (one
        // thread) is the honest baseline, and the row says so.
        let same = |rt: Runtime| {
            let (python, cpus) = (row.python_name(), row.cpus);
            baselines
                .iter()
                .find(move |(r, p, c, _)| *r == rt && *p == python && *c == cpus)
        };
        let baseline = same(row.runtime).or_else(|| {
            matches!(
                row.runtime,
                Runtime::PythonProcesses | Runtime::PythonSubinterpreters
            )
            .then(|| same(Runtime::PythonThreads))
            .flatten()
        });
        if let Some((runtime, _, _, wall)) = baseline {
            row.speedup = Some(wall / row.wall_s.median);
            row.speedup_baseline = Some(format!("{} ×1", runtime.name()));
        }
    }
    rows
}

fn row(trial: &CountdownTrial, runs: &[TrialMeasurement]) -> CountdownRow {
    let walls: Vec<f64> = runs.iter().map(|m| m.wall_s).collect();
    let cpus: Vec<f64> = runs.iter().map(|m| m.usage.cpu_s()).collect();
    let ratios: Vec<f64> = runs.iter().map(|m| m.usage.cpu_s() / m.wall_s).collect();
    let of = |f: &dyn Fn(&TrialMeasurement) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let thread_count = runs.iter().map(|m| m.threads.len()).min().unwrap_or(0);
    let threads = (0..thread_count)
        .map(|i| ThreadCpu {
            name: runs[0].threads[i].name.clone(),
            cpu_s: of(&|m| m.threads[i].cpu_s),
            voluntary: of(&|m| m.threads[i].voluntary as f64),
            involuntary: of(&|m| m.threads[i].involuntary as f64),
        })
        .collect();
    let cpu_median = median(&cpus);
    CountdownRow {
        runtime: trial.runtime,
        workers: trial.workers,
        python: trial.python.clone(),
        cpus: trial.cpus,
        count: trial.count,
        wall_s: Summary::of(&walls),
        cpu_s: CpuSummary {
            median: cpu_median,
            user_median: of(&|m| m.usage.user_s),
            sys_median: of(&|m| m.usage.sys_s),
            samples: cpus,
        },
        parallelism: median(&ratios),
        speedup: None,
        speedup_baseline: None,
        ctx_switches: CtxSwitches {
            voluntary: of(&|m| m.usage.voluntary as f64),
            involuntary: of(&|m| m.usage.involuntary as f64),
        },
        threads,
        ns_per_iteration: cpu_median / trial.count as f64 * 1e9,
        gil: (trial.runtime.is_python() || trial.runtime == Runtime::RustGil).then(|| {
            let stats: Vec<GilStats> = runs.iter().filter_map(|m| m.gil.clone()).collect();
            aggregate(&stats)
        }),
        probe: probes(runs),
        other_load: load_median(runs, |l| l.other_cpus),
        steal: load_median(runs, |l| l.steal_cpus),
    }
}

/// The median over runs of one figure of the machine's other load, when every run has it.
fn load_median(
    runs: &[TrialMeasurement],
    f: fn(&crate::measure::load::OtherLoad) -> f64,
) -> Option<f64> {
    let values: Vec<f64> = runs
        .iter()
        .filter_map(|m| m.other_load.as_ref().map(f))
        .collect();
    (!values.is_empty() && values.len() == runs.len()).then(|| median(&values))
}

impl CountdownRow {
    /// The interpreter's name for another interpreter's row ("2.7"); None: the embedded one.
    pub fn python_name(&self) -> Option<String> {
        self.python.as_ref().map(ExternalPython::label)
    }
}

impl Row for CountdownRow {
    fn cells(&self) -> Vec<Cell> {
        let per_thread = |f: &dyn Fn(&ThreadCpu) -> String| {
            if self.threads.len() > 1 {
                self.threads.iter().map(f).collect::<Vec<_>>().join(" + ")
            } else {
                "–".into()
            }
        };
        let mut cells = vec![Cell::new("runtime", self.runtime.name())];
        // Only reports that compare interpreters or CPU counts show these columns.
        if let Some(p) = &self.python {
            cells.push(Cell::new(
                "python",
                // A free-threaded build's version carries its `t` (3.13.5t beside 3.13.5).
                match p.python_gil {
                    Some(g) => format!("{}t GIL={g}", p.version),
                    None => p.version.clone(),
                },
            ));
        }
        if let Some(n) = self.cpus {
            cells.push(Cell::new("cpus", n.to_string()));
        }
        cells.extend([
            Cell::new("workers", self.workers.to_string()),
            Cell::new("wall", seconds(self.wall_s.median)),
            Cell::new(
                "spread",
                if self.wall_s.samples.len() < crate::stats::MIN_RUNS_FOR_SPREAD {
                    "–".into()
                } else {
                    format!("±{:.1} %", self.wall_s.robust_rel_spread() * 100.0)
                },
            ),
            Cell::wide(
                "min – max",
                format!(
                    "{} – {}",
                    seconds(self.wall_s.min),
                    seconds(self.wall_s.max)
                ),
            ),
            Cell::wide("MAD", seconds(self.wall_s.mad)),
            Cell::wide("CV", format!("{:.1} %", self.wall_s.cv * 100.0)),
            Cell::wide("CPU", seconds(self.cpu_s.median)),
            Cell::new("CPU/wall", format!("{:.2}", self.parallelism)),
            Cell::new(
                "speedup",
                self.speedup.map_or("–".into(), |s| format!("×{s:.2}")),
            ),
            Cell::wide(
                "ctx sw vol/invol",
                format!(
                    "{} / {}",
                    thousands(self.ctx_switches.voluntary.round() as u64),
                    thousands(self.ctx_switches.involuntary.round() as u64)
                ),
            ),
            Cell::wide("per-thread CPU", per_thread(&|t| seconds(t.cpu_s))),
            Cell::wide("ns/iter", format!("{:.2}", self.ns_per_iteration)),
            Cell::new(
                "hand-offs",
                self.gil
                    .as_ref()
                    .and_then(|g| g.switches)
                    .map_or("–".into(), thousands),
            ),
            Cell::new(
                "GIL held",
                match (&self.gil, self.runtime) {
                    // The parent's own GIL: each child process has its own, not read here.
                    (Some(g), Runtime::PythonProcesses) => format!("parent {}", held_total(g)),
                    (Some(g), _) => held_total(g),
                    (None, _) => "–".into(),
                },
            ),
            Cell::wide(
                "held per thread",
                self.gil.as_ref().map_or("–".into(), held_per_thread),
            ),
            Cell::wide(
                "other load",
                crate::report::units::load_cell(self.other_load, self.steal),
            ),
        ]);
        cells
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let gil = self.gil.as_ref();
        vec![
            ("runtime", self.runtime.name().to_string()),
            ("workers", self.workers.to_string()),
            ("count", self.count.to_string()),
            ("wall_median_s", self.wall_s.median.to_string()),
            ("wall_min_s", self.wall_s.min.to_string()),
            ("wall_max_s", self.wall_s.max.to_string()),
            ("wall_mad_s", self.wall_s.mad.to_string()),
            ("wall_cv", self.wall_s.cv.to_string()),
            ("cpu_median_s", self.cpu_s.median.to_string()),
            ("parallelism", self.parallelism.to_string()),
            ("speedup", field(self.speedup)),
            ("ctx_voluntary", self.ctx_switches.voluntary.to_string()),
            ("ctx_involuntary", self.ctx_switches.involuntary.to_string()),
            (
                "thread_cpu_s",
                self.threads
                    .iter()
                    .map(|t| t.cpu_s.to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ("ns_per_iteration", self.ns_per_iteration.to_string()),
            ("gil_source", field(gil.map(|g| g.source.clone()))),
            ("gil_switches", field(gil.and_then(|g| g.switches))),
            (
                "gil_held_fraction",
                field(gil.and_then(|g| g.held_fraction)),
            ),
            (
                "thread_held_fraction",
                gil.map_or(String::new(), |g| {
                    g.threads
                        .iter()
                        .map(|t| field(t.held_fraction))
                        .collect::<Vec<_>>()
                        .join(";")
                }),
            ),
            // Columns added later go last, so every column keeps its place.
            ("runs", self.wall_s.samples.len().to_string()),
            (
                "python",
                self.python
                    .as_ref()
                    .map_or(String::new(), |p| p.version.clone()),
            ),
            ("cpus", field(self.cpus)),
            ("other_load", field(self.other_load)),
            ("steal", field(self.steal)),
        ]
    }
}

/// The probe's figures over the runs: medians of each run's percentiles.
fn probes(runs: &[TrialMeasurement]) -> Option<ProbeStats> {
    let all: Vec<&ProbeStats> = runs.iter().filter_map(|m| m.probe.as_ref()).collect();
    let first = all.first()?;
    let lat: Vec<&Latencies> = all.iter().filter_map(|p| p.latency_s.as_ref()).collect();
    let med = |f: fn(&Latencies) -> f64| median(&lat.iter().map(|l| f(l)).collect::<Vec<_>>());
    Some(ProbeStats {
        interval_s: first.interval_s,
        acquisitions: all.iter().map(|p| p.acquisitions).sum::<usize>() / all.len(),
        latency_s: (!lat.is_empty()).then(|| Latencies {
            p50: med(|l| l.p50),
            p90: med(|l| l.p90),
            p99: med(|l| l.p99),
            max: med(|l| l.max),
        }),
        held_s: median(&all.iter().map(|p| p.held_s).collect::<Vec<_>>()),
    })
}

/// "99 %": the GIL's held share.
fn held_total(g: &GilStats) -> String {
    g.held_fraction
        .map_or("n/a".into(), |h| format!("{:.0} %", h * 100.0))
}

/// "49 + 50": each thread's held share, when there are several.
fn held_per_thread(g: &GilStats) -> String {
    if g.threads.len() < 2 {
        return "–".into();
    }
    g.threads
        .iter()
        .map(|t| {
            t.held_fraction
                .map_or("?".into(), |h| format!("{:.0}", h * 100.0))
        })
        .collect::<Vec<_>>()
        .join(" + ")
}
