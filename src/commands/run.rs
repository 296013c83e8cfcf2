//! `gilsim run SCRIPT [-- ARGS]`: the script unmodified as `__main__`, in a worker process the
//! parent can time out and clean up, then a measurement footer on stderr.
use crate::cli::RunArgs;
use crate::embed::python_mode::TRACEBACKS_ENV;
use crate::interpreters::GilKind;
use crate::measure::outside::GilEnabled;
use crate::protocol::{Job, Record, ScriptJob, ScriptOutcome};
use crate::report::units::{seconds, thousands};
use crate::runner::{self, RunError, RunOptions, Streams};
use crate::scenario::external_script;
use crate::usage_bail;
use anyhow::{bail, Result};
use std::io::IsTerminal;

/// Python's own exit code for a script it cannot open.
const CANNOT_OPEN: i32 = 2;

/// Says why a script cannot be run (one line on stderr) and gives Python's exit code for it.
pub fn check_script(path: &std::path::Path) -> Result<(), i32> {
    match std::fs::metadata(path) {
        Err(err) => {
            eprintln!("gilsim: cannot run {}: {}", path.display(), io_reason(&err));
            Err(CANNOT_OPEN)
        }
        Ok(meta) if meta.is_dir() => {
            eprintln!(
                "gilsim: cannot run {}: it is a directory, not a script",
                path.display()
            );
            Err(CANNOT_OPEN)
        }
        Ok(_) => Ok(()),
    }
}

pub fn run(args: &RunArgs) -> Result<i32> {
    let path = &args.script;
    if let Err(code) = check_script(path) {
        return Ok(code);
    }
    if let Some(name) = &args.python {
        return run_with(name, args);
    }
    let job = Job::Script(ScriptJob {
        path: path.to_string_lossy().into_owned(),
        args: args.args.clone(),
        interactive: std::io::stdin().is_terminal(),
        start_method: args.start_method,
    });
    let options = RunOptions {
        timeout: args.timeout,
        streams: Streams::Inherit,
    };
    // Children that die with a traceback a sibling already printed only count themselves here.
    let tracebacks = tempfile::Builder::new()
        .prefix("gilsim-tracebacks-")
        .tempdir()
        .ok();
    if let Some(dir) = &tracebacks {
        std::env::set_var(TRACEBACKS_ENV, dir.path());
    }
    let result = runner::run(&job, &options);
    if let Some(line) = tracebacks
        .as_ref()
        .and_then(|d| repeated_failures(d.path()))
    {
        eprintln!("{line}");
    }
    let finished = match result {
        Err(RunError::Timeout { seconds }) => {
            eprintln!(
                "gilsim: {} timed out after {seconds} s (--timeout {seconds}); killed it and every process it started",
                path.display()
            );
            return Ok(124);
        }
        Err(err) => return Err(err.into()),
        Ok(f) => f,
    };
    match finished.record {
        Some(Record::Script(outcome)) => {
            if !args.no_footer {
                eprintln!("{}", footer(&outcome, false));
            }
            Ok(outcome.exit_code)
        }
        Some(Record::Error { message, traceback }) => {
            if let Some(tb) = traceback {
                eprint!("{tb}");
            }
            bail!("could not run {}: {message}", path.display())
        }
        // The script ended the process itself (os._exit): its status is all there is.
        _ => Ok(finished.exit_code),
    }
}

/// The script under another interpreter, measured from outside.
fn run_with(name: &str, args: &RunArgs) -> Result<i32> {
    if args.start_method.is_some() {
        usage_bail!("--start-method applies to the embedded interpreter; with --python the script chooses its own");
    }
    let python = crate::interpreters::resolve(name).map_err(crate::usage::UsageError)?;
    let path = args.script.to_string_lossy();
    match external_script::run(&python.path, &path, &args.args, args.timeout) {
        Ok(run) => {
            if !args.no_footer {
                eprintln!("{}", footer(&run.outcome, true));
                let gil = match (&run.gil_note, run.gil_enabled) {
                    _ if run.ran_without_gil() => {
                        free_threaded_gil(GilEnabled::Disabled, GilEnabled::Disabled)
                    }
                    (Some(note), _) => format!(" · GIL hand-offs unavailable: {note}"),
                    (None, Some([before, after])) if python.gil == GilKind::FreeThreaded => {
                        free_threaded_gil(before, after)
                    }
                    _ => String::new(),
                };
                eprintln!("── Python {} ({}){gil}", python.version, python.path);
            }
            Ok(run.outcome.exit_code)
        }
        Err(err) => match err.downcast_ref::<RunError>() {
            Some(RunError::Timeout { seconds }) => {
                eprintln!(
                    "gilsim: {} timed out after {seconds} s (--timeout {seconds}); killed it and every process it started",
                    args.script.display()
                );
                Ok(124)
            }
            _ => Err(err),
        },
    }
}

/// A free-threaded build's GIL as read before and after the script.
fn free_threaded_gil(before: GilEnabled, after: GilEnabled) -> String {
    match (before.in_use(), after.in_use()) {
        (false, false) => " · free-threaded, no GIL: it stayed disabled (read from the process)".into(),
        (true, true) => " · free-threaded with its GIL enabled throughout (PYTHON_GIL=1 or a module without Py_mod_gil): hand-offs counted as on a GIL build".into(),
        (false, true) => " · free-threaded: its GIL was turned on during the script (a module imported without Py_mod_gil); hand-offs counted from then on".into(),
        (true, false) => " · free-threaded: its GIL was turned off during the script".into(),
    }
}

fn footer(o: &ScriptOutcome, external: bool) -> String {
    format!(
        "── gilsim: wall {} · CPU {} · CPU/wall {:.2} · context switches {} voluntary / {} involuntary\n── threads seen {}{}",
        seconds(o.wall_s),
        seconds(o.usage.cpu_s()),
        if o.wall_s > 0.0 { o.usage.cpu_s() / o.wall_s } else { 0.0 },
        thousands(o.usage.voluntary.max(0) as u64),
        thousands(o.usage.involuntary.max(0) as u64),
        o.threads_seen,
        match (o.gil_switches, &o.gil_unavailable) {
            (Some(n), _) => format!(" · GIL hand-offs {}", thousands(n)),
            // The --python path says why on its own line.
            (None, _) if external => String::new(),
            (None, Some(why)) => format!(" · GIL hand-offs unavailable: {why}"),
            (None, None) => " · GIL hand-offs unavailable".into(),
        }
    )
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}

/// "… and N more worker processes failed the same way" for the repeats no one reported yet.
fn repeated_failures(dir: &std::path::Path) -> Option<String> {
    let more: u64 = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".more"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    (more > 0).then(|| {
        format!(
            "gilsim: … and {more} more worker process{} failed the same way (traceback above)",
            if more == 1 { "" } else { "es" }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(switches: Option<u64>, why: Option<&str>) -> ScriptOutcome {
        ScriptOutcome {
            exit_code: 0,
            wall_s: 1.0,
            usage: Default::default(),
            threads_seen: 2,
            gil_switches: switches,
            gil_unavailable: why.map(str::to_string),
        }
    }

    #[test]
    fn missing_hand_offs_are_said_missing_with_the_reason() {
        assert!(footer(&outcome(Some(12), None), false).contains("GIL hand-offs 12"));
        let text = footer(&outcome(None, Some("no GIL state found")), false);
        assert!(
            text.contains("GIL hand-offs unavailable: no GIL state found"),
            "{text}"
        );
        assert!(footer(&outcome(None, None), false).contains("GIL hand-offs unavailable"));
        // With --python the reason has a line of its own.
        assert!(!footer(&outcome(None, Some("x")), true).contains("unavailable"));
    }
}
