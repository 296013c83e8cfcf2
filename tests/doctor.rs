//! The embedded interpreter is the configured one, and its children are too.
mod common;
use common::*;

fn doctor_value(text: &str, key: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("doctor prints no {key}: {text}"))[key.len()..]
        .trim()
        .to_string()
}

#[test]
fn doctor_shows_one_consistent_interpreter() {
    let out = run(&["doctor"]);
    assert_success(&out);
    let text = stdout(&out);
    let embedded = doctor_value(&text, "embedded sys.version");
    let configured = doctor_value(&text, "configured at build");
    let embedded_version = embedded.split_whitespace().next().unwrap();
    let configured_version = configured.split_whitespace().next().unwrap();
    assert_eq!(embedded_version, configured_version);
    let mapped = doctor_value(&text, "libpython (mapped)");
    assert!(mapped.contains("libpython"), "{mapped}");
    assert_eq!(mapped, doctor_value(&text, "libpython (stdlib's)"));
    for key in ["sys.prefix", "CPUs", "start methods", "switch interval"] {
        doctor_value(&text, key);
    }
}

#[test]
fn the_configured_python_and_the_embedded_one_agree() {
    let text = stdout(&run(&["doctor"]));
    // The interpreter the build was configured with, run directly.
    let configured = doctor_value(&text, "configured at build");
    let exe = configured
        .split('(')
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("configured executable");
    let direct = std::process::Command::new(exe)
        .args(["-c", "import sys; print(sys.version)"])
        .output()
        .expect("the configured python runs");
    let embedded = run(&["-c", "import sys; print(sys.version)"]);
    assert_eq!(stdout(&embedded), stdout(&direct));
}

/// Debian's own CPython: a different build of the same version as pyenv's on this kind of
/// machine, and what a login shell's PATH finds first.
const OTHER_BUILD: &str = "/usr/bin/python3";

/// Runs gilsim with `dir` first on PATH (and as the active venv when `venv`).
fn run_with_path_first(dir: &std::path::Path, venv: bool, args: &[&str]) -> std::process::Output {
    let mut command = gilsim();
    command.args(args).env(
        "PATH",
        format!("{}:/usr/local/bin:/usr/bin:/bin", dir.display()),
    );
    if venv {
        command.env("VIRTUAL_ENV", dir.parent().unwrap());
    }
    command.output().expect("gilsim runs")
}

#[test]
#[ignore = "needs a second CPython build at /usr/bin/python3 (Debian's python3)"]
fn another_build_first_on_path_or_as_the_venv_changes_nothing() {
    let venv = tempfile::tempdir().unwrap();
    let made = std::process::Command::new(OTHER_BUILD)
        .args(["-m", "venv", "--without-pip"])
        .arg(venv.path())
        .status()
        .expect("the other build runs");
    assert!(made.success(), "{OTHER_BUILD} -m venv failed");
    let script = script("argv.py", "import sys\nprint(sys.argv[1:])\n");
    for (dir, is_venv) in [
        (std::path::PathBuf::from("/usr/bin"), false),
        (venv.path().join("bin"), true),
    ] {
        let doctor = run_with_path_first(&dir, is_venv, &["doctor"]);
        assert_eq!(doctor.status.code(), Some(0), "{}", stderr(&doctor));
        let text = stdout(&doctor);
        assert!(text.contains("ok: one consistent interpreter"), "{text}");
        if is_venv {
            assert!(
                doctor_value(&text, "virtual env").contains("ignored"),
                "{text}"
            );
        }
        let countdown = run_with_path_first(
            &dir,
            is_venv,
            &words("countdown --count 200000 --repeat 1 --warmup 0 --format json"),
        );
        assert_eq!(countdown.status.code(), Some(0), "{}", stderr(&countdown));
        let script_run = run_with_path_first(
            &dir,
            is_venv,
            &[
                "run",
                "--no-footer",
                "--start-method",
                "spawn",
                script.path_str(),
                "a",
                "b",
            ],
        );
        assert_eq!(script_run.status.code(), Some(0), "{}", stderr(&script_run));
        assert_eq!(stdout(&script_run).trim(), "['a', 'b']");
    }
}

#[test]
fn a_broken_start_up_shows_pythons_own_message() {
    let shadow = script(
        "threading.py",
        "raise ImportError('a shadowed threading module')\n",
    );
    let out = gilsim()
        .args(["doctor"])
        .env("PYTHONPATH", shadow.dir.path())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("a shadowed threading module"),
        "{}",
        stderr(&out)
    );
    let out = gilsim()
        .args(["doctor"])
        .env("PYTHONHOME", "/nonexistent")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    // CPython's own words about the missing standard library, not just an exit code.
    assert!(
        err.contains("encodings") || err.contains("filesystem encoding"),
        "{err}"
    );
}
