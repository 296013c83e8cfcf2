//! Running an unmodified script as `__main__`, then shutting down the way `python` does.
use crate::embed::modules;
use crate::measure::rusage::Usage;
use crate::protocol::{ScriptJob, ScriptOutcome};
use anyhow::{Context, Result};
use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit};
use pyo3::prelude::*;
use std::time::Instant;

/// Runs the script, joins its non-daemon threads, runs `atexit`, and reports the exit code
/// Python would have exited with and what the run cost.
pub fn run(job: &ScriptJob) -> Result<ScriptOutcome> {
    // Under `gilsim profile SCRIPT`: the profiler attaches before the script's first line.
    crate::protocol::hold_for_profiler();
    Python::attach(|py| -> Result<ScriptOutcome> {
        let threads_seen = modules::load(py, "gilsim_threads_seen")?;
        prepare(py, job).context("preparing sys.argv and sys.path")?;
        threads_seen.call_method0("install")?;

        // The GIL's own hand-off counter, read before and after (no sampler: nothing runs
        // beside the script).
        let found = crate::measure::gil::locate::find(py);
        let gil_unavailable = found.as_ref().err().cloned();
        let gil = found.ok();
        let switches_before = gil.map(|g| g.read().switch_number);
        let before = Usage::process_tree();
        let start = Instant::now();
        let result = py
            .import("runpy")?
            .call_method1("run_path", (job.path.as_str(), py.None(), "__main__"));
        let mut exit_code = match result {
            Ok(_) => 0,
            Err(err) => exit_code_of(py, err),
        };
        if let Err(err) = shut_down(py) {
            exit_code = exit_code.max(exit_code_of(py, err));
        }
        let wall_s = start.elapsed().as_secs_f64();
        let usage = Usage::process_tree().since(&before);
        let threads = threads_seen.call_method0("count")?.extract::<usize>()?;
        let gil_switches = gil
            .zip(switches_before)
            .map(|(g, b)| g.read().switch_number.wrapping_sub(b));
        Ok(ScriptOutcome {
            exit_code,
            wall_s,
            usage,
            threads_seen: threads,
            gil_switches,
            gil_unavailable,
        })
    })
}

fn prepare(py: Python<'_>, job: &ScriptJob) -> PyResult<()> {
    let sys = py.import("sys")?;
    let mut argv = vec![job.path.clone()];
    argv.extend(job.args.iter().cloned());
    sys.setattr("argv", argv)?;
    // `python script.py` puts the script's directory first on sys.path; runpy does not.
    let os_path = py.import("os.path")?;
    let dir = os_path.call_method1("dirname", (os_path.call_method1("abspath", (&job.path,))?,))?;
    sys.getattr("path")?.call_method1("insert", (0, dir))?;
    if let Some(method) = job.start_method {
        modules::load(py, "gilsim_fixups")
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?
            .call_method1("set_default_start_method", (method.name(),))?;
    }
    if job.interactive {
        // Py_InitializeEx(0) installs no SIGINT handler; give Ctrl-C its usual meaning.
        let signal = py.import("signal")?;
        signal.call_method1(
            "signal",
            (
                signal.getattr("SIGINT")?,
                signal.getattr("default_int_handler")?,
            ),
        )?;
    }
    Ok(())
}

/// What `python` does after the main module: join non-daemon threads, then atexit handlers.
/// Must run on the thread that initialized the interpreter (embedding.md rule 7).
fn shut_down(py: Python<'_>) -> PyResult<()> {
    let joined = py.import("threading")?.call_method0("_shutdown");
    py.import("atexit")?.call_method0("_run_exitfuncs")?;
    flush_std_streams(py);
    joined.map(|_| ())
}

fn flush_std_streams(py: Python<'_>) {
    if let Ok(sys) = py.import("sys") {
        for name in ["stdout", "stderr"] {
            if let Ok(stream) = sys.getattr(name) {
                let _ = stream.call_method0("flush");
            }
        }
    }
}

/// Prints the exception through `sys.excepthook` as `python` would, without runpy's own frames
/// (a SyntaxError in the script then shows no frames at all, just as `python script.py` does).
fn print_exception(py: Python<'_>, err: &PyErr) -> PyResult<()> {
    let mut tb = err.traceback(py).map(|t| t.into_any());
    while let Some(frame) = tb.clone() {
        let file: String = frame
            .getattr("tb_frame")?
            .getattr("f_code")?
            .getattr("co_filename")?
            .extract()?;
        if !(file == "<frozen runpy>" || file.ends_with("/runpy.py")) {
            break;
        }
        tb = Some(frame.getattr("tb_next")?).filter(|t| !t.is_none());
    }
    let tb = tb.unwrap_or_else(|| py.None().into_bound(py));
    let value = err.value(py);
    value.setattr("__traceback__", &tb)?;
    py.import("sys")?
        .getattr("excepthook")?
        .call1((err.get_type(py), value, tb))?;
    Ok(())
}

/// gilsim's explanation of a known pitfall behind this exception, if any.
fn hint_for(py: Python<'_>, err: &PyErr) -> Option<String> {
    modules::load(py, "gilsim_hints")
        .ok()?
        .call_method1("for_exception", (err.value(py),))
        .ok()?
        .extract::<Option<String>>()
        .ok()?
}

/// The exit status `python` gives an exception leaving the main module; prints the traceback
/// (never through `PyErr::print` for SystemExit, which would exit the host: rule 9).
fn exit_code_of(py: Python<'_>, err: PyErr) -> i32 {
    if err.is_instance_of::<PySystemExit>(py) {
        let code = err.value(py).getattr("code").ok();
        return match code {
            None => 1,
            Some(c) if c.is_none() => 0,
            Some(c) => match c.extract::<i32>() {
                Ok(n) => n,
                Err(_) => {
                    // sys.exit("message") prints the message and exits 1.
                    let text = c.str().map(|s| s.to_string()).unwrap_or_default();
                    eprintln!("{text}");
                    1
                }
            },
        };
    }
    let interrupted = err.is_instance_of::<PyKeyboardInterrupt>(py);
    if print_exception(py, &err).is_err() {
        err.print(py);
    }
    if let Some(hint) = hint_for(py, &err) {
        flush_std_streams(py);
        eprintln!("gilsim: hint: {hint}");
    }
    flush_std_streams(py);
    if interrupted {
        130
    } else {
        1
    }
}
