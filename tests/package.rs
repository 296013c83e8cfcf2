//! The Python package (`pip install gilsim`) against the cargo binary: the same commands, the
//! same help, the same JSON fields, on every interpreter it is installed into.
//!
//! The package is built and installed by `.ci/run` (maturin, one abi3 wheel; Debian's static
//! python3 installs from the checkout). These tests read the virtual environments from
//! `GILSIM_PACKAGE_VENVS` (colon-separated); without it they are skipped, never passed.
mod common;
use common::{json, stderr, stdout, words};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn venvs() -> Vec<PathBuf> {
    let list = std::env::var("GILSIM_PACKAGE_VENVS")
        .expect("GILSIM_PACKAGE_VENVS names the virtual environments holding the package");
    let venvs: Vec<PathBuf> = std::env::split_paths(&list).collect();
    assert!(!venvs.is_empty(), "GILSIM_PACKAGE_VENVS is empty");
    venvs
}

fn package(venv: &Path, args: &[&str]) -> Output {
    Command::new(venv.join("bin/gilsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the console script runs")
}

fn binary(args: &[&str]) -> Output {
    common::gilsim()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gilsim runs")
}

/// `platform.python_version()` of the venv's interpreter.
fn venv_version(venv: &Path) -> String {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .expect("the venv's python runs");
    stdout(&out).trim().to_string()
}

const SCRIPT: &str = r#"import sys, multiprocessing as mp
def square(x):
    return x * x
if __name__ == "__main__":
    print("args", sys.argv[1:])
    mp.set_start_method("spawn")
    with mp.Pool(2) as pool:
        print("sum", sum(pool.map(square, range(100))))
    sys.exit(int(sys.argv[1]))
"#;

#[test]
#[ignore = "needs the gilsim Python package installed in GILSIM_PACKAGE_VENVS (.ci/run)"]
fn the_package_runs_every_command_on_each_interpreter() {
    let _serial = common::serial();
    let script = common::script("args_and_exit.py", SCRIPT);
    let binary_version = stdout(&binary(&["--version"]));
    for venv in venvs() {
        let version = venv_version(&venv);
        let python = venv.join("bin/python");
        eprintln!("package in {} (CPython {version})", venv.display());

        let doctor = package(&venv, &["doctor"]);
        assert_eq!(doctor.status.code(), Some(0), "{}", stderr(&doctor));
        let text = stdout(&doctor);
        assert!(text.contains("the Python package"), "{text}");
        assert!(
            text.contains(&format!("{} (", venv.join("bin").display()))
                || text.contains(&python.display().to_string()),
            "{text}"
        );

        // The host is the venv's interpreter, and 2 threads hand the GIL over, counted exactly.
        let countdown = "countdown --count 3000000 --repeat 1 --warmup 0 --format json";
        let report = json(&package(&venv, &words(countdown)));
        assert_eq!(report["host"]["python"]["version"], version.as_str());
        let two = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["runtime"] == "python-threads" && r["workers"] == 2)
            .expect("a 2-thread row");
        assert!(two["gil"]["switches"].as_u64().unwrap() > 0, "{two}");
        assert!(
            ["debug-offsets", "calibrated"].contains(&two["gil"]["source"].as_str().unwrap()),
            "{two}"
        );

        // A script as __main__ with its arguments, a spawn Pool, and its exit code.
        let run = package(&venv, &["run", script.path.to_str().unwrap(), "7", "x"]);
        assert_eq!(run.status.code(), Some(7), "{}", stderr(&run));
        let out = stdout(&run);
        assert!(
            out.contains("args ['7', 'x']") && out.contains("sum 328350"),
            "{out}"
        );
        assert!(stderr(&run).contains("GIL hand-offs"), "{}", stderr(&run));

        let lab = tempfile::tempdir().unwrap();
        let dir = lab.path().join("one");
        let out = package(
            &venv,
            &[
                "lab",
                "run",
                "one-vs-two",
                "--quick",
                "--output",
                dir.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let results: Value =
            serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
        assert_eq!(results["lab"]["id"], "one-vs-two");
        assert_eq!(results["host"]["python_version"], version.as_str());

        let module = Command::new(&python)
            .args(["-m", "gilsim", "--version"])
            .output()
            .unwrap();
        assert_eq!(stdout(&module), binary_version);
    }
}

/// Every command's and lab subcommand's `--help`, from `gilsim help`'s own list.
fn commands() -> Vec<Vec<String>> {
    let list = |args: &[&str]| -> Vec<String> {
        let text = stdout(&binary(args));
        text.lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(String::from))
            .filter(|c| c != "help")
            .collect()
    };
    let mut out = vec![vec![]];
    for command in list(&["--help"]) {
        if command == "lab" {
            for sub in list(&["lab", "--help"]) {
                out.push(vec!["lab".into(), sub]);
            }
        }
        out.push(vec![command]);
    }
    out
}

/// Every key path in a JSON value (array elements merged), e.g. `results[].gil.switches`.
fn fields(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let path = format!("{prefix}.{key}");
                out.insert(path.clone());
                fields(v, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                fields(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
#[ignore = "needs the gilsim Python package installed in GILSIM_PACKAGE_VENVS (.ci/run)"]
fn help_and_json_fields_are_the_binarys() {
    let _serial = common::serial();
    let venv = venvs().remove(0);
    let commands = commands();
    assert!(commands.len() > 15, "{commands:?}");
    for command in &commands {
        let mut args: Vec<&str> = command.iter().map(String::as_str).collect();
        args.push("--help");
        let (a, b) = (binary(&args), package(&venv, &args));
        assert_eq!(a.status.code(), b.status.code(), "{args:?}");
        assert_eq!(
            stdout(&a),
            stdout(&b),
            "`gilsim {}` differs",
            args.join(" ")
        );
    }
    // The cheapest run of each command that writes a JSON report.
    let tiny = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/examples/count_loop.py:count");
    let svg = tiny.path().join("t.svg");
    let reports = [
        "countdown --count 2000000 --repeat 1 --warmup 0".to_string(),
        "pool --workers 2 --items 16 --start-method fork --repeat 1 --warmup 0".into(),
        "queue --messages 5 --interval 0.001".into(),
        "share --size 1000 --start-method fork".into(),
        "simulate --threads 2".into(),
        "interpreters".into(),
        "lab list".into(),
        format!(
            "scale {} --workers 2 --runtimes threads --repeat 1",
            example.display()
        ),
        format!(
            "timeline --scenario countdown --count 2000000 --svg {}",
            svg.display()
        ),
    ];
    for report in &reports {
        let mut args = words(report);
        // `scale` takes its inputs as one Python expression.
        if args[0] == "scale" {
            args.extend(["--inputs", "[20_000] * 4"]);
        }
        args.extend(["--format", "json"]);
        let (a, b) = (binary(&args), package(&venv, &args));
        let (mut fa, mut fb) = (BTreeSet::new(), BTreeSet::new());
        fields(&json(&a), "", &mut fa);
        fields(&json(&b), "", &mut fb);
        assert_eq!(
            fa,
            fb,
            "`gilsim {}`: the JSON fields differ",
            args.join(" ")
        );
    }
}

#[test]
#[ignore = "needs the gilsim Python package installed in GILSIM_PACKAGE_VENVS (.ci/run)"]
fn ctrl_c_in_the_console_script_ends_every_worker() {
    use std::os::unix::process::ExitStatusExt;
    let _serial = common::serial();
    let venv = venvs().remove(0);
    let tag = format!("package-{}", std::process::id());
    let child = Command::new(venv.join("bin/gilsim"))
        .args(["countdown", "--repeat", "5"])
        .env("GILSIM_TEST_TAG", &tag)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until a worker runs (the parent and one worker carry the tag).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while common::tagged_processes(&tag).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no worker started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: signalling a child this test started and has not reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{:?} {}",
        out.status.signal(),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("interrupted by signal 2"),
        "{}",
        stderr(&out)
    );
    common::assert_none_left(&tag);
}
