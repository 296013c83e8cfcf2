//! `gilsim scale FILE:FUNC`: a user's function called once per input, serially and on each
//! runtime and worker count, each trial a fresh interpreter process measured from outside
//! (wall and CPU of the map itself from the driver, exact GIL hand-offs from the process's
//! memory), in shuffled rounds; every runtime's results compared with the serial run's; a
//! verdict computed from the speed-ups and their ranges.
mod rows;
mod verdict;

pub use rows::ScaleRow;
pub use verdict::ScaleVerdict;

use crate::domain::ScaleRuntime;
use crate::report::progress::Progress;
use crate::report::{Document, Host};
use crate::runner::rounds;
use crate::scenario::external_script;
pub use crate::scenario::spec::ScalePython;
use crate::scenario::spec::{ScaleInputs, ScaleSpec};
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The trial driver, imported as a module so that spawned workers find its functions.
const DRIVER: &str = include_str!("../../../python/gilsim/scale_driver.py");
const MAIN: &str = "import gilsim_scale_driver\ngilsim_scale_driver.cli()\n";

/// Errors the command answers in its own way.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// FUNC (or its module, or the inputs) raised in the serial run; its traceback.
    #[error("{what} (the traceback is above)")]
    Raised { what: String, traceback: String },
}

/// What the driver says of one trial.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Answer {
    pub inputs: Option<usize>,
    pub wall_s: Option<f64>,
    pub cpu_s: Option<f64>,
    pub startup_s: Option<f64>,
    pub pickle_s: Option<f64>,
    pub pickled_bytes: Option<u64>,
    pub error: Option<String>,
    pub traceback: Option<String>,
}

/// One trial as measured: the driver's answer and the exact hand-offs over the process.
#[derive(Clone, Debug)]
pub struct Trial {
    pub answer: Answer,
    pub switches: Option<u64>,
    pub gil_note: Option<String>,
    /// Threads trials: who held the GIL, sampled from outside.
    pub held: Option<crate::scenario::external_script::Held>,
    /// A free-threaded build that ran the trial without its GIL (read from its memory).
    pub without_gil: bool,
}

/// How often a threads trial's GIL is sampled from outside.
const SAMPLE_HZ: u32 = 1000;

/// One row's setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub python: usize,
    pub runtime: ScaleRuntime,
    pub workers: usize,
}

/// The files a run needs, in a directory of its own.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = tempfile::Builder::new()
            .prefix("gilsim-scale-")
            .tempdir()
            .context("creating a scratch directory")?;
        std::fs::write(dir.path().join("gilsim_scale_driver.py"), DRIVER)?;
        std::fs::write(dir.path().join("scale_main.py"), MAIN)?;
        Ok(Scratch { dir })
    }

    fn main(&self) -> String {
        self.dir.path().join("scale_main.py").display().to_string()
    }

    fn reference(&self, python: usize) -> PathBuf {
        self.dir.path().join(format!("reference-{python}.pkl"))
    }

    fn answer(&self) -> PathBuf {
        self.dir.path().join("answer.json")
    }
}

fn run_trial(
    spec: &ScaleSpec,
    python: &ScalePython,
    setting: &Setting,
    scratch: &Scratch,
) -> Result<Trial> {
    let (kind, inputs) = match &spec.inputs {
        ScaleInputs::Expr(e) => ("expr", e.clone()),
        ScaleInputs::From(f) => ("from", f.clone()),
    };
    let answer_path = scratch.answer();
    let _ = std::fs::remove_file(&answer_path);
    let args = vec![
        absolute(&spec.file),
        spec.func.clone(),
        kind.into(),
        inputs,
        setting.runtime.name().into(),
        setting.workers.to_string(),
        spec.start_method.name().into(),
        scratch.reference(setting.python).display().to_string(),
        answer_path.display().to_string(),
    ];
    let timeout = spec.timeout;
    let script = scratch.main();
    let ran = if setting.runtime == ScaleRuntime::Threads {
        external_script::run_sampled(&python.path, &script, &args, Some(timeout), SAMPLE_HZ)
    } else {
        external_script::run(&python.path, &script, &args, Some(timeout))
    }
    .with_context(|| {
        format!(
            "{} with {} worker{}",
            setting.runtime.name(),
            setting.workers,
            if setting.workers == 1 { "" } else { "s" }
        )
    })?;
    let answer: Answer = match std::fs::read_to_string(&answer_path) {
        Ok(text) => serde_json::from_str(&text).context("reading the trial's answer")?,
        Err(_) => Answer {
            error: Some(format!(
                "the interpreter ended without an answer (exit code {})",
                ran.outcome.exit_code
            )),
            ..Answer::default()
        },
    };
    Ok(Trial {
        answer,
        switches: ran.outcome.gil_switches,
        without_gil: ran.ran_without_gil(),
        gil_note: ran.gil_note,
        held: ran.held,
    })
}

fn absolute(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// The settings to measure for each interpreter, and the interpreters left without
/// subinterpreter rows.
fn settings(spec: &ScaleSpec, pythons: &[ScalePython]) -> (Vec<Setting>, Vec<String>) {
    let mut out = Vec::new();
    let mut without = Vec::new();
    for (p, python) in pythons.iter().enumerate() {
        out.push(Setting {
            python: p,
            runtime: ScaleRuntime::Serial,
            workers: 1,
        });
        for &runtime in crate::scenario::dedup(&spec.runtimes).iter() {
            if runtime == ScaleRuntime::Serial {
                continue;
            }
            if runtime == ScaleRuntime::Subinterpreters && !python.subinterpreters {
                without.push(python.version.clone());
                continue;
            }
            for &w in crate::scenario::dedup(&spec.workers).iter() {
                out.push(Setting {
                    python: p,
                    runtime,
                    workers: w,
                });
            }
        }
    }
    (out, without)
}

pub fn run(spec: &ScaleSpec) -> Result<Document<ScaleRow, ScaleVerdict>> {
    let pythons = &spec.python;
    let scratch = Scratch::new()?;
    let (settings, without) = settings(spec, pythons);
    let mut progress = Progress::new(pythons.len() + settings.len() * spec.repeat);
    // The serial reference: its results are what every runtime must give back.
    let mut reference = Vec::new();
    for (p, python) in pythons.iter().enumerate() {
        progress.start(&format!("serial reference run{}", label(python)));
        let setting = Setting {
            python: p,
            runtime: ScaleRuntime::Serial,
            workers: 1,
        };
        let trial = run_trial(spec, python, &setting, &scratch)?;
        if let Some(traceback) = &trial.answer.traceback {
            progress.finish();
            return Err(ScaleError::Raised {
                what: format!(
                    "{}{}",
                    trial.answer.error.clone().unwrap_or_default(),
                    label(python)
                ),
                traceback: traceback.clone(),
            }
            .into());
        }
        if let Some(error) = &trial.answer.error {
            anyhow::bail!("the serial run{} failed: {error}", label(python));
        }
        reference.push(trial.answer);
    }
    let mut trials: Vec<Vec<Trial>> = settings.iter().map(|_| Vec::new()).collect();
    let mut failed: Vec<Option<String>> = settings.iter().map(|_| None).collect();
    rounds::fixed(settings.len(), 7, spec.repeat, |turn| {
        let k = turn.setting;
        let s = &settings[k];
        let round = turn.round + 1;
        progress.start(&format!(
            "{} ×{}{} run {round}/{}",
            s.runtime.name(),
            s.workers,
            label(&pythons[s.python]),
            spec.repeat
        ));
        // A setting that failed once (changed results, could not pickle FUNC) is not run again.
        if failed[k].is_some() {
            return Ok(());
        }
        let trial = run_trial(spec, &pythons[s.python], s, &scratch)?;
        if let Some(error) = &trial.answer.error {
            let mut message = error.clone();
            if let Some(tb) = &trial.answer.traceback {
                message += &format!("\n{tb}");
            }
            failed[k] = Some(message);
            return Ok(());
        }
        trials[k].push(trial);
        Ok(())
    })?;
    progress.finish();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rows = rows::build(&settings, &trials, &failed, pythons);
    let mut verdict = verdict::write(&rows, &reference, pythons, cpus, spec);
    if !without.is_empty() {
        verdict.text += &format!(
            "\n\nNo subinterpreter rows for Python {}: subinterpreters with a GIL of their own \
             need CPython 3.12 or later.",
            without.join(", ")
        );
    }
    let first = &reference[0];
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "scale".into(),
        params: json!({
            "target": format!("{}:{}", spec.file.display(), spec.func),
            "inputs": match &spec.inputs {
                ScaleInputs::Expr(e) => e.clone(),
                ScaleInputs::From(f) => format!("from {f}"),
            },
            "inputs_count": first.inputs,
            "workers": spec.workers,
            "runtimes": spec.runtimes.iter().map(|r| r.name()).collect::<Vec<_>>(),
            "start_method": spec.start_method.name(),
            "repeat": spec.repeat,
            "python": pythons.iter().map(|p| p.version.clone()).collect::<Vec<_>>(),
            "serial_pickle_s": first.pickle_s,
            "serial_pickled_bytes": first.pickled_bytes,
            "timeout_s": spec.timeout.as_secs_f64(),
        }),
        host: Host::new(None),
        results: rows,
        verdict,
    })
}

fn label(python: &ScalePython) -> String {
    python
        .label
        .as_ref()
        .map_or(String::new(), |l| format!(" (Python {l})"))
}

/// The speed-up by workers, one line per runtime (and interpreter), beside the CPU count.
pub fn chart(rows: &[ScaleRow], file: &Path) -> crate::report::chart::Chart {
    use crate::report::chart::{self, Axes, Series};
    let mut series: Vec<Series> = Vec::new();
    for r in rows.iter().filter(|r| r.runtime != ScaleRuntime::Serial) {
        let Some(s) = r.speedup else { continue };
        let name = match &r.python {
            Some(p) => format!("{} (Python {p})", r.runtime.name()),
            None => r.runtime.name().to_string(),
        };
        match series.iter_mut().find(|x| x.name == name) {
            Some(x) => x.points.push((r.workers as f64, s)),
            None => series.push(Series {
                name,
                points: vec![(r.workers as f64, s)],
            }),
        }
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers: Vec<usize> = rows.iter().map(|r| r.workers).collect();
    workers.sort_unstable();
    workers.dedup();
    series.push(Series {
        name: format!("CPUs ({cpus})"),
        points: workers
            .iter()
            .map(|&w| (w as f64, w.min(cpus) as f64))
            .collect(),
    });
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    chart::line(
        &file
            .file_name()
            .map_or("scale.svg".into(), |n| n.to_string_lossy().into_owned()),
        "Speed-up over the serial run by workers",
        Axes {
            x_label: "workers",
            y_label: "speed-up (×, fastest runs)",
            log_x: false,
            log_y: false,
        },
        &series,
    )
}
