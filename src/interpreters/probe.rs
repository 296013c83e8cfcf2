//! What one Python is, asked of the interpreter itself with a script that runs on 2.7 and 3.x.
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Prints one JSON line describing the interpreter running it (Python 2.7 and 3.x).
const PROBE: &str = include_str!("../../python/drivers/probe.py");

/// How an interpreter serialises Python threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GilKind {
    /// 3.1 and before: release and re-acquire every 100 ticks; the releasing thread may
    /// take it straight back (Beazley's "GIL battle").
    Old,
    /// 3.2 and later: a waiter asks after one switch interval and the holder hands over.
    New,
    /// Built with `Py_GIL_DISABLED` (3.13t and later): no GIL unless a module re-enables it.
    FreeThreaded,
}

/// What the probe script reports.
#[derive(Clone, Debug, Deserialize)]
pub struct ProbeReport {
    pub version: String,
    pub implementation: String,
    pub executable: String,
    pub prefix: String,
    pub shared: bool,
    pub gil_disabled: bool,
    pub subinterpreters: bool,
}

/// One interpreter as gilsim lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Interpreter {
    /// The name it can be asked for by: "2.7", "3.12", "3.13t" (free-threaded).
    pub name: String,
    pub version: String,
    pub implementation: String,
    /// Where it was found (the command run), and the file that is.
    pub path: String,
    pub real_path: String,
    /// Found on PATH, under pyenv, under uv, or given with --python.
    pub found_in: String,
    /// Built with a shared libpython (gilsim can embed only these).
    pub shared: bool,
    pub gil: GilKind,
    /// Subinterpreters with a GIL of their own (PEP 684, 3.12+).
    pub subinterpreters_own_gil: bool,
    /// How gilsim finds this interpreter's GIL state: "debug-offsets" (3.13+),
    /// "calibration" (3.9-3.12), or null where it cannot.
    pub gil_state_by: Option<&'static str>,
}

impl Interpreter {
    /// The version as numbers, for ordering ("3.10.13" after "3.9.18").
    pub fn version_key(&self) -> Vec<u32> {
        self.version
            .split('.')
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Describes a probe's report (a pure function of it: tested on recorded reports).
    pub fn from_report(report: ProbeReport, path: &Path, found_in: &str) -> Interpreter {
        let mut parts = report.version.split('.').map(|p| {
            p.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
                .parse::<u32>()
                .unwrap_or(0)
        });
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        let gil = if report.gil_disabled {
            GilKind::FreeThreaded
        } else if (major, minor) < (3, 2) {
            GilKind::Old
        } else {
            GilKind::New
        };
        let gil_state_by = match (gil, (major, minor)) {
            // A free-threaded build's GIL (off unless turned on) is read the same way.
            (GilKind::New | GilKind::FreeThreaded, v) if v >= (3, 13) => Some("debug-offsets"),
            (GilKind::New, v) if v >= (3, 9) => Some("calibration"),
            _ => None,
        };
        Interpreter {
            name: format!(
                "{major}.{minor}{}",
                if gil == GilKind::FreeThreaded {
                    "t"
                } else {
                    ""
                }
            ),
            version: report.version,
            implementation: report.implementation,
            path: path.display().to_string(),
            real_path: std::fs::canonicalize(path)
                .map_or(report.executable, |p| p.display().to_string()),
            found_in: found_in.to_string(),
            shared: report.shared,
            gil,
            subinterpreters_own_gil: report.subinterpreters,
            gil_state_by,
        }
    }
}

/// Runs the probe with `python`; None when it is not a working CPython-like interpreter.
pub fn probe(python: &Path, timeout: Duration) -> Option<ProbeReport> {
    // `-I` keeps the user's environment and site out of it; Python 2.7 has no `-I`.
    run(python, &["-I", "-c", PROBE], timeout)
        .or_else(|| run(python, &["-E", "-s", "-c", PROBE], timeout))
}

/// One run of the probe, killed if it outlasts `timeout`.
fn run(python: &Path, args: &[&str], timeout: Duration) -> Option<ProbeReport> {
    let mut child = Command::new(python)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(Some(_)) => return None,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    serde_json::from_slice(&child.wait_with_output().ok()?.stdout).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(version: &str, gil_disabled: bool, subinterpreters: bool) -> ProbeReport {
        ProbeReport {
            version: version.into(),
            implementation: "CPython".into(),
            executable: "/x/python".into(),
            prefix: "/x".into(),
            shared: true,
            gil_disabled,
            subinterpreters,
        }
    }

    #[test]
    fn names_and_gil_kinds_follow_the_build() {
        let path = Path::new("/nonexistent/python");
        let of = |v, ft, sub| Interpreter::from_report(report(v, ft, sub), path, "test");
        let old = of("2.7.18", false, false);
        assert_eq!(
            (old.name.as_str(), old.gil, old.gil_state_by),
            ("2.7", GilKind::Old, None)
        );
        let new = of("3.12.1", false, true);
        assert_eq!(
            (new.name.as_str(), new.gil, new.gil_state_by),
            ("3.12", GilKind::New, Some("calibration"))
        );
        assert!(new.subinterpreters_own_gil);
        assert_eq!(
            of("3.13.0", false, true).gil_state_by,
            Some("debug-offsets")
        );
        // A free-threaded build, as its sysconfig reports it (Py_GIL_DISABLED = 1).
        let ft = of("3.13.0", true, true);
        assert_eq!(
            (ft.name.as_str(), ft.gil, ft.gil_state_by),
            ("3.13t", GilKind::FreeThreaded, Some("debug-offsets"))
        );
        assert_eq!(of("3.8.18", false, false).gil_state_by, None);
        let recorded: ProbeReport = serde_json::from_str(
            r#"{"version": "3.14.0", "implementation": "CPython", "executable": "/x/python3.14t",
                "prefix": "/x", "shared": true, "gil_disabled": true, "subinterpreters": true}"#,
        )
        .unwrap();
        assert_eq!(
            Interpreter::from_report(recorded, path, "test").name,
            "3.14t"
        );
    }
}
