//! From options to the plain spec structs the scenarios take: every default that depends on
//! other options is decided here, once.
use super::*;
use crate::domain::ExternalPython;
use crate::measure::gil::watch::GilSampling;
use crate::scenario::spec::{
    CalibrateSpec, ConvoySpec, CountdownSpec, ModelParams, PoolSpec, QueueSpec, ShareSpec,
    SharingSpec, SimulateSpec, TimelineSpec,
};
use anyhow::Result;

/// The interpreters `--python` names (None: the embedded one; no names: only that).
fn interpreters(names: &[String]) -> Result<Vec<Option<ExternalPython>>> {
    if names.is_empty() {
        return Ok(vec![None]);
    }
    let mut out = Vec::new();
    for name in crate::scenario::dedup(names) {
        if name == "embedded" {
            out.push(None);
            continue;
        }
        let found = crate::interpreters::resolve(&name).map_err(|e| {
            anyhow::Error::new(crate::usage::UsageError(format!("--python {name}: {e}")))
        })?;
        out.extend(ExternalPython::rows_of(found).into_iter().map(Some));
    }
    Ok(out)
}

/// The one interpreter `--python` names (None: the embedded one). A free-threaded build runs
/// as its environment says (without its GIL unless PYTHON_GIL=1 is set).
fn one_interpreter(name: Option<&str>) -> Result<Option<ExternalPython>> {
    let Some(name) = name.filter(|n| *n != "embedded") else {
        return Ok(None);
    };
    let usage =
        |e: String| anyhow::Error::new(crate::usage::UsageError(format!("--python {name}: {e}")));
    let found = crate::interpreters::resolve(name).map_err(|e| usage(e.to_string()))?;
    if !crate::interpreters::version_at_least(&found.version, (3, 6)) {
        return Err(usage(format!(
            "Python {} is too old for this command's Python 3 code: give 3.6 or later \
             (countdown --python runs 2.7)",
            found.version
        )));
    }
    let mut python = ExternalPython::rows_of(found).remove(0);
    python.python_gil = None;
    Ok(Some(python))
}

impl CountdownArgs {
    /// Fails with a usage error for a `--python` name that names no interpreter.
    pub fn spec(&self) -> Result<CountdownSpec> {
        Ok(CountdownSpec {
            count: self.count,
            threads: self.threads.clone(),
            processes: self.processes.clone(),
            runtimes: self.runtimes.clone(),
            repeat: self.repeat.repeat,
            warmup: self.warmup.warmup,
            switch_interval: self.switch_interval,
            gil_sampling: if self.no_gil_stats {
                GilSampling::Off
            } else {
                self.gil_sampling
            },
            sampled_count: self.sampled_count,
            sampled_runs: self.sampled_runs,
            probe_interval: self.probe_interval,
            python: self.python.clone(),
            interpreters: interpreters(&self.python)?,
            cpus: self.cpus.clone(),
            timeout: self.timeout.timeout,
        })
    }
}

impl PoolArgs {
    /// Fails with a usage error for a `--python` name that names no interpreter.
    pub fn spec(&self) -> Result<PoolSpec> {
        Ok(PoolSpec {
            python: one_interpreter(self.python.as_deref())?,
            workers: self.workers,
            items: self.items,
            start_method: self.start_method.clone(),
            method: self.method.clone(),
            chunksize: self.chunksize,
            work: self.work,
            runtimes: self.runtimes.clone(),
            repeat: self.repeat.repeat,
            warmup: self.warmup.warmup,
            timeout: self.timeout.timeout,
        })
    }
}

impl QueueArgs {
    /// Fails with a usage error for a `--python` name that names no interpreter.
    pub fn spec(&self) -> Result<QueueSpec> {
        Ok(QueueSpec {
            python: one_interpreter(self.python.as_deref())?,
            variant: self.variant.clone(),
            messages: self.messages,
            interval: self.interval,
            start_method: self.start_method.clone(),
            runtimes: self.runtimes.clone(),
            repeat: self.repeat.repeat,
            timeout: self.timeout.timeout,
        })
    }
}

impl ShareArgs {
    /// Fails with a usage error for a `--python` name that names no interpreter.
    pub fn spec(&self) -> Result<ShareSpec> {
        Ok(ShareSpec {
            python: one_interpreter(self.python.as_deref())?,
            size: self.size,
            start_method: self.start_method.clone(),
            timeout: self.timeout.timeout,
        })
    }
}

impl SharingArgs {
    /// The interpreters: those named (a free-threaded build's row without its GIL), or the
    /// newest free-threaded build found and the GIL build of its version.
    pub fn spec(&self) -> Result<SharingSpec> {
        let mut pythons = Vec::new();
        if self.python.is_empty() {
            let found = crate::interpreters::discover(&[]);
            let Some((free, twin)) = crate::interpreters::free_threaded_pair(&found) else {
                crate::usage_bail!(
                    "no free-threaded CPython found (PATH, pyenv, uv, ~/.cache/gilsim/cpython): \
                     name interpreters with --python, or build one with tools/build-cpython.sh"
                );
            };
            pythons.push(free);
            pythons.extend(twin);
        } else {
            for name in crate::scenario::dedup(&self.python) {
                let path = if name == "embedded" {
                    crate::install::python().display().to_string()
                } else {
                    name.clone()
                };
                pythons.push(crate::interpreters::resolve(&path).map_err(|e| {
                    anyhow::Error::new(crate::usage::UsageError(format!("--python {name}: {e}")))
                })?);
            }
        }
        Ok(SharingSpec {
            pythons: pythons
                .into_iter()
                .filter_map(|p| ExternalPython::rows_of(p).into_iter().next())
                .collect(),
            threads: crate::scenario::dedup(&self.threads),
            workloads: crate::scenario::dedup(&self.workloads),
            iterations: self.iterations,
            repeat: self.repeat.repeat,
            timeout: self.timeout.timeout,
        })
    }
}

impl SimulateArgs {
    /// Reads the calibration and, to validate the old GIL, finds Python 2.7.
    pub fn spec(&self) -> Result<SimulateSpec> {
        let real = super::values::MAX_REAL_THREADS;
        if let Some(n) = self.threads.iter().find(|&&n| self.validate && n > real) {
            crate::usage_bail!(
                "--threads {n} with --validate: real runs start at most {real} threads"
            );
        }
        let old_gil_python = if self.validate && self.gil == crate::sim::Policy::Old {
            let found = crate::interpreters::resolve("2.7").map_err(|why| {
                anyhow::anyhow!("the old GIL is validated against a real Python 2.7: {why}")
            })?;
            Some(found)
        } else {
            None
        };
        Ok(SimulateSpec {
            threads: self.threads.clone(),
            cores: self.cores,
            switch_interval: self.switch_interval.clone(),
            count: self.count,
            io_threads: self.io_threads,
            gil: self.gil,
            model: ModelParams::load(self.calibration.as_deref())?,
            old_gil_python,
            seed: self.seed,
            duration: self.duration,
            record: self.svg.is_some(),
            exact: self.exact,
            repeat: self.repeat.repeat,
            budget: self.budget,
            timeout: self.timeout.timeout,
        })
    }
}

impl ConvoyArgs {
    /// Reads the calibration.
    pub fn spec(&self) -> Result<ConvoySpec> {
        let defaults: (&[usize], f64) = if self.validate {
            (&[0, 1, 2, 4], 0.5)
        } else {
            (&[0, 1, 2], 2.0)
        };
        Ok(ConvoySpec {
            cpu_threads: if self.cpu_threads.is_empty() {
                defaults.0.to_vec()
            } else {
                self.cpu_threads.clone()
            },
            switch_interval: self.switch_interval.clone(),
            duration: self.duration.unwrap_or(defaults.1),
            model: ModelParams::load(self.calibration.as_deref())?,
            timeout: self.timeout.timeout,
        })
    }
}

impl CalibrateArgs {
    pub fn spec(&self) -> CalibrateSpec {
        CalibrateSpec {
            output: self.output.clone(),
            count: self.count,
            repeat: self.repeat.repeat,
            timeout: self.timeout.timeout,
        }
    }
}

impl OutputArgs {
    pub fn spec(&self) -> crate::report::OutputSpec {
        crate::report::OutputSpec {
            format: self.format,
            path: self.output.clone(),
            wide: self.wide,
        }
    }
}

impl TimelineArgs {
    /// Fails with a usage error for a `--python` name that names no interpreter.
    pub fn spec(&self) -> Result<TimelineSpec> {
        Ok(TimelineSpec {
            python: one_interpreter(self.python.as_deref())?,
            script: self.script.clone().map(|path| (path, self.args.clone())),
            threads: self.threads,
            count: self.count,
            switch_interval: self.switch_interval,
            timeout: self.timeout.timeout,
            window: self.window,
            at: self.at,
        })
    }
}

impl WatchArgs {
    pub fn spec(&self) -> crate::scenario::watch::WatchSpec {
        crate::scenario::watch::WatchSpec {
            pid: self.pid,
            every: std::time::Duration::from_secs_f64(self.every),
            duration: self.duration.map(std::time::Duration::from_secs_f64),
            sample_hz: self.sample_rate,
        }
    }
}
