//! `gilsim profile`: programs whose answer is known, profiled from outside on real CPythons.
mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command};

/// Allowed distance from the known answer, in shares (10 percentage points).
const WITHIN: f64 = 0.10;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/profile/{name}.py"))
}

/// A Python from `gilsim interpreters` by version name ("3.9"), or None.
fn python(version: &str) -> Option<String> {
    let doc = json(&run(&["interpreters", "--format", "json"]));
    doc["results"]
        .as_array()?
        .iter()
        .find(|i| i["name"] == version && i["gil"] == "new")
        .map(|i| i["path"].as_str().unwrap().to_string())
}

/// The fixture running under `python` for `seconds`, once it has printed "ready".
fn start(python: &str, name: &str, seconds: &str) -> Child {
    let child = start_ready(Command::new(python).arg(fixture(name)).arg(seconds));
    // Let its threads settle into their steady state.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// `gilsim profile --pid PID --duration SECONDS` with more arguments.
fn profile_pid(pid: u32, seconds: &str, more: &[&str]) -> std::process::Output {
    let pid = pid.to_string();
    let mut args = vec!["profile", "--pid", &pid, "--duration", seconds];
    args.extend_from_slice(more);
    run(&args)
}

/// `profile --pid` of the fixture for `seconds` at `rate` samples per second, as JSON.
fn profile_at(python: &str, name: &str, seconds: &str, rate: &str) -> Value {
    let child = start(python, name, "60");
    let out = profile_pid(child.id(), seconds, &["--rate", rate, "--format", "json"]);
    stop(child);
    assert_success(&out);
    report_json(&out)
}

/// `profile --pid` of the fixture for `seconds` at the default rate, as JSON.
fn profile(python: &str, name: &str, seconds: &str) -> Value {
    profile_at(python, name, seconds, "100")
}

fn thread<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no thread {name}: {doc:#}"))
}

fn share(t: &Value, state: &str) -> f64 {
    t[format!("{state}_fraction")].as_f64().unwrap()
}

fn near(doc: &Value, name: &str, state: &str, want: f64) {
    let got = share(thread(doc, name), state);
    assert!(
        (got - want).abs() <= WITHIN,
        "{name} {state} {got:.3}, expected {want} ± {WITHIN}; verdict: {}",
        doc["verdict"]
    );
}

/// The holder function seen most often while thread `waiter` waited.
fn top_holder(doc: &Value, waiter: &str) -> String {
    let tid = thread(doc, waiter)["tid"].clone();
    let best = doc["waits_behind"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["waiter_thread"] == tid && !w["holder_thread"].is_null())
        .max_by_key(|w| w["samples"].as_u64().unwrap())
        .unwrap_or_else(|| panic!("{waiter} never waited behind a holder: {doc:#}"));
    leaf_frame(&best["holder"])
}

/// The stacks of thread `name` in `state`, innermost frame of each with its samples.
fn leaves(doc: &Value, name: &str, state: &str) -> Vec<(String, u64)> {
    let tid = thread(doc, name)["tid"].clone();
    doc["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["thread"] == tid && s["state"] == state)
        .map(|s| {
            let leaf = s["frames"]
                .as_array()
                .unwrap()
                .last()
                .map_or("", |f| f.as_str().unwrap());
            (leaf.to_string(), s["samples"].as_u64().unwrap())
        })
        .collect()
}

/// The line numbers of a fixture's lines that end with `# marker`.
fn marked_lines(name: &str, marker: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name))
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with(&format!("# {marker}")))
        .map(|(i, _)| (i + 1).to_string())
        .collect()
}

/// Every known program on one interpreter.
fn ground_truth(python: &str) {
    let _serial = serial();
    // Two CPU-bound threads: each holds half the time and waits the other half, behind the
    // other one's function.
    // More samples here: shares near one half vary most from sample to sample.
    let doc = profile_at(python, "two_cpu", "4", "200");
    for name in ["spin_a", "spin_b"] {
        near(&doc, name, "held", 0.5);
        near(&doc, name, "waiting", 0.5);
    }
    assert!(top_holder(&doc, "spin_a").starts_with("spin_b "), "{doc:#}");
    assert!(top_holder(&doc, "spin_b").starts_with("spin_a "), "{doc:#}");
    assert!(doc["gil"]["switches"].as_u64().unwrap() > 0, "{doc:#}");
    // hashlib on a large buffer releases the GIL.
    let doc = profile(python, "hash_beside_cpu", "2");
    near(&doc, "hasher", "released", 0.9);
    near(&doc, "spin", "held", 1.0);
    // time.sleep and a lock are idle, not waits for the GIL.
    let doc = profile(python, "sleeper", "1");
    near(&doc, "nap", "idle", 1.0);
    let doc = profile(python, "lock_wait", "1");
    near(&doc, "blocked", "idle", 1.0);
    near(&doc, "keep", "idle", 1.0);
    // The convoy: the server's recv and send lines wait behind the CPU-bound function.
    let doc = profile(python, "convoy", "2");
    let server = thread(&doc, "serve");
    assert!(share(server, "waiting") >= 0.5, "{doc:#}");
    let io_lines: Vec<String> = ["recv", "send"]
        .iter()
        .flat_map(|m| marked_lines("convoy", m))
        .collect();
    let waiting = leaves(&doc, "serve", "waiting");
    let total: u64 = waiting.iter().map(|(_, n)| n).sum();
    let at_io: u64 = waiting
        .iter()
        .filter(|(leaf, _)| {
            io_lines
                .iter()
                .any(|l| leaf.ends_with(&format!("convoy.py:{l}")))
        })
        .map(|(_, n)| n)
        .sum();
    assert!(
        at_io as f64 >= 0.9 * total as f64,
        "waits at the I/O lines {io_lines:?}: {waiting:?}"
    );
    assert!(top_holder(&doc, "serve").starts_with("spin "), "{doc:#}");
    assert!(
        doc["verdict"].as_str().unwrap().contains("convoy"),
        "{}",
        doc["verdict"]
    );
}

#[test]
fn known_programs_on_the_embedded_build() {
    ground_truth(&embedded_executable());
}

#[test]
#[ignore = "needs pyenv CPython 3.9, 3.10, 3.12 and 3.13; .ci/run runs it where they are"]
fn known_programs_on_python_3_9_3_10_3_12_and_3_13() {
    for version in ["3.9", "3.10", "3.12", "3.13"] {
        let path = python(version).unwrap_or_else(|| panic!("no CPython {version}"));
        eprintln!("CPython {version}: {path}");
        ground_truth(&path);
    }
}

#[test]
fn the_flame_graph_and_the_speedscope_file_are_valid() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("gil.svg");
    let speedscope = dir.path().join("gil.speedscope.json");
    let child = start(&embedded_executable(), "two_cpu", "60");
    let out = profile_pid(
        child.id(),
        "1",
        &[
            "--format",
            "speedscope",
            "--output",
            speedscope.to_str().unwrap(),
            "--flamegraph",
            svg.to_str().unwrap(),
        ],
    );
    stop(child);
    assert_success(&out);
    assert!(
        stdout(&out).contains("waited for it"),
        "the table on stdout"
    );
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    for frame in [
        "holding the GIL",
        "waiting for the GIL",
        "spin_a two_cpu.py",
    ] {
        assert!(svg.contains(frame), "{frame} missing from the flame graph");
    }
    let file: Value = serde_json::from_str(&std::fs::read_to_string(speedscope).unwrap()).unwrap();
    // speedscope's own schema of its file format (jlfwong/speedscope, MIT licence).
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/speedscope-file-format-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&file)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<&str> = file["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.contains("spin_a") && n.ends_with("waiting for the GIL")),
        "{names:?}"
    );
    let frames = file["shared"]["frames"].as_array().unwrap().len();
    for p in file["profiles"].as_array().unwrap() {
        for stack in p["samples"].as_array().unwrap() {
            for i in stack.as_array().unwrap() {
                assert!((i.as_u64().unwrap() as usize) < frames);
            }
        }
    }
}

#[test]
fn a_script_is_profiled_from_its_start() {
    let _serial = serial();
    let out = run(&[
        "profile",
        "--format",
        "json",
        fixture("two_cpu").to_str().unwrap(),
        "2",
    ]);
    assert_success(&out);
    let doc = report_json(&out);
    assert_eq!(doc["schema"], "gilsim.v1");
    assert_eq!(doc["ended"], true, "the script ran to its end");
    assert!(doc["samples"].as_u64().unwrap() > 50, "{doc:#}");
    for name in ["spin_a", "spin_b"] {
        assert!(share(thread(&doc, name), "held") > 0.2, "{doc:#}");
    }
    assert!(doc["gil"]["switches"].as_u64().unwrap() > 0);
}

/// The script's interpreter waits at its first line until the profiler has attached: a short
/// script whose threads start at once is seen whole, in the very process that ran it.
#[test]
fn a_short_script_is_held_until_the_profiler_attaches() {
    let _serial = serial();
    let program = script(
        "short.py",
        "import os, sys, threading, time\n\
         open(sys.argv[1], 'w').write(str(os.getpid()))\n\
         def spin():\n    end = time.time() + 0.3\n    while time.time() < end: pass\n\
         ts = [threading.Thread(target=spin, name='spin_%d' % i) for i in range(2)]\n\
         [t.start() for t in ts]\n\
         [t.join() for t in ts]\n",
    );
    let pid_file = program.file("pid");
    let out = run(&[
        "profile",
        "--format",
        "json",
        program.path_str(),
        pid_file.to_str().unwrap(),
    ]);
    assert_success(&out);
    let doc = report_json(&out);
    let pid: u64 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    assert_eq!(doc["pid"].as_u64(), Some(pid), "{doc:#}");
    // Both threads, whatever names the samples caught them under.
    let spinners = doc["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| share(t, "held") > 0.1)
        .count();
    assert_eq!(spinners, 2, "{doc:#}");
}

#[test]
fn a_process_that_ends_while_profiled_gets_what_was_seen() {
    let child = start(&embedded_executable(), "sleeper", "1.5");
    let pid = child.id();
    let reaper = reap_in_background(child);
    let out = profile_pid(pid, "20", &["--format", "json"]);
    reaper.join().unwrap();
    assert_success(&out);
    let doc = report_json(&out);
    assert_eq!(doc["ended"], true, "{doc:#}");
    assert!(doc["samples"].as_u64().unwrap() > 10, "{doc:#}");
    assert!(doc["verdict"].as_str().unwrap().contains("ended"));
}

#[test]
fn bad_targets_get_one_line_each() {
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let out = profile_pid(sleeper.id(), "1", &[]);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("not a CPython"), "{err}");
    let out = run(&words("profile --pid 999999999 --duration 1"));
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("999999999"), "{}", stderr(&out));
    let out = run(&["profile", "--duration", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&words("profile --pid 1 x.py"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&words("profile --rate 0 --pid 1"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
#[ignore = "needs a pyenv CPython 3.8 or older; .ci/run runs it where there is one"]
fn an_old_python_is_unsupported() {
    let old = ["3.8", "3.7", "3.6"]
        .iter()
        .find_map(|v| python(v))
        .expect("a CPython 3.6-3.8");
    let child = start(&old, "sleeper", "30");
    let out = profile_pid(child.id(), "1", &[]);
    stop(child);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("3.9 or later"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // 3.6 has no `_PyRuntime`: it is still named as too old, not as "not a CPython".
    if let Some(py36) = python("3.6") {
        let child = start(&py36, "sleeper", "30");
        let out = profile_pid(child.id(), "1", &[]);
        stop(child);
        let err = stderr(&out);
        assert!(err.contains("runs Python 3.6"), "{err}");
    }
}

#[test]
fn at_1000_hz_on_16_threads_every_sample_due_is_taken_or_counted_missed() {
    let _serial = serial();
    let child = start(&embedded_executable(), "sixteen_threads", "60");
    let out = profile_pid(child.id(), "2", &words("--rate 1000 --format json"));
    stop(child);
    assert_success(&out);
    let doc = report_json(&out);
    let (samples, missed) = (
        doc["samples"].as_u64().unwrap(),
        doc["missed"].as_u64().unwrap(),
    );
    let due = doc["seconds"].as_f64().unwrap() * 1000.0;
    let accounted = (samples + missed) as f64;
    assert!(
        (0.8 * due..=1.2 * due).contains(&accounted),
        "{samples} taken + {missed} missed of {due:.0} due"
    );
    assert_eq!(doc["threads"].as_array().unwrap().len(), 17, "{doc:#}");
    let held: f64 = doc["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["held_fraction"].as_f64().unwrap())
        .sum();
    assert!(held <= 1.0 + 1e-9, "one holder per sample at most: {held}");
}

/// py-spy's `record --gil` samples only the thread holding the GIL: its share of samples per
/// function, from its raw (collapsed) output and its "Samples: N" line.
fn py_spy_held(py_spy: &str, pid: u32, seconds: &str) -> (Vec<(String, u64)>, f64) {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.txt");
    let out = Command::new(py_spy)
        .args(words("record --gil --nonblocking --format raw -r 100"))
        .args([
            "-d",
            seconds,
            "-o",
            raw.to_str().unwrap(),
            "--pid",
            &pid.to_string(),
        ])
        .output()
        .expect("py-spy runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<(String, u64)> = std::fs::read_to_string(raw)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (stack, n) = l.rsplit_once(' ')?;
            Some((stack.to_string(), n.parse().ok()?))
        })
        .collect();
    (lines, seconds.parse::<f64>().unwrap() * 100.0)
}

#[test]
#[ignore = "needs py-spy (GILSIM_PY_SPY=path); .ci/run installs it from PyPI"]
fn held_samples_agree_with_py_spy() {
    let _serial = serial();
    let py_spy = std::env::var("GILSIM_PY_SPY").expect("GILSIM_PY_SPY names py-spy");
    let child = start(&embedded_executable(), "hash_beside_cpu", "60");
    let pid = child.id();
    let (theirs, due) = py_spy_held(&py_spy, pid, "3");
    let out = run(&[
        "profile",
        "--pid",
        &pid.to_string(),
        "--duration",
        "3",
        "--format",
        "json",
    ]);
    stop(child);
    assert_success(&out);
    let doc = report_json(&out);
    for (name, function) in [("spin", "spin (hash_beside_cpu.py"), ("hasher", "hasher (")] {
        let py_spy_share = theirs
            .iter()
            .filter(|(stack, _)| stack.contains(function))
            .map(|(_, n)| *n)
            .sum::<u64>() as f64
            / due;
        let ours = share(thread(&doc, name), "held");
        assert!(
            (ours - py_spy_share).abs() <= WITHIN,
            "{name}: gilsim held {ours:.3}, py-spy {py_spy_share:.3}"
        );
    }
}

#[test]
#[ignore = "needs root and setpriv (to profile as another user); .ci/run runs it as root"]
fn another_users_process_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.path().join("gilsim");
    std::fs::copy(env!("CARGO_BIN_EXE_gilsim"), &copy).unwrap();
    let child = start(&embedded_executable(), "sleeper", "30");
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&copy)
        .args([
            "profile",
            "--pid",
            &child.id().to_string(),
            "--duration",
            "1",
        ])
        .env("HOME", dir.path())
        .output()
        .expect("setpriv runs");
    stop(child);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("permission denied") && err.contains("CAP_SYS_PTRACE"),
        "{err}"
    );
}
