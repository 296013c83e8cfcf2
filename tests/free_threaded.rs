//! A real free-threaded CPython 3.13.5t (and its GIL build, 3.13.5), as
//! `tools/build-cpython.sh` builds them into `~/.cache/gilsim/cpython`: every test here needs
//! them and is run by `.ci/run`, which builds them first.
mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The interpreters `tools/build-cpython.sh` builds (it prints their paths).
fn built(name: &str) -> String {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache"));
    let path = cache.join("gilsim/cpython").join(name);
    assert!(
        path.is_file(),
        "{} (run tools/build-cpython.sh)",
        path.display()
    );
    path.display().to_string()
}

fn free_threaded() -> String {
    built("3.13.5t/bin/python3.13t")
}

fn gil_build() -> String {
    built("3.13.5/bin/python3.13")
}

/// Two threads spinning in pure Python until stdin closes; `before` runs after "ready" is
/// printed and a line is read from stdin.
fn spinning(python: &str, gil: Option<&str>, env: &[(&str, &str)]) -> std::process::Child {
    let code = "import sys, threading\n\
                done = False\n\
                def spin():\n    n = 0\n    while not done: n += 1\n\
                ts = [threading.Thread(target=spin) for _ in range(2)]\n\
                [t.start() for t in ts]\n\
                print('ready', flush=True)\n\
                line = sys.stdin.readline()\n\
                if line.strip() == 'import': import gilsim_no_mod_gil\n\
                sys.stdin.read()\n\
                done = True\n";
    let mut command = Command::new(python);
    command.args(["-c", code]).stdin(Stdio::piped());
    if let Some(g) = gil {
        command.env("PYTHON_GIL", g);
    }
    command.envs(env.iter().copied());
    start_ready(&mut command)
}

/// `watch --pid` for `seconds`, as JSON: the last line is the summary.
fn watch(pid: u32, seconds: &str) -> Value {
    let out = run(&words(&format!(
        "watch --pid {pid} --duration {seconds} --format json"
    )));
    assert_success(&out);
    let text = stdout(&out);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

/// `profile --pid` for `seconds`, as JSON: the profile itself.
fn profile_of(pid: u32, seconds: &str) -> Value {
    let out = run(&words(&format!(
        "profile --pid {pid} --duration {seconds} --format json"
    )));
    let doc = json(&out);
    if doc["results"].is_object() {
        doc["results"].clone()
    } else {
        doc
    }
}

fn end(mut child: std::process::Child) {
    drop(child.stdin.take());
    let _ = child.wait();
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh; .ci/run builds it"]
fn watch_reads_whether_a_free_threaded_build_has_its_gil() {
    let _serial = serial();
    let python = free_threaded();
    // Without its GIL: no hand-offs, no held share, both threads on a CPU at once.
    let child = spinning(&python, Some("0"), &[]);
    let summary = watch(child.id(), "1.5");
    end(child);
    assert_eq!(summary["build"], "free-threaded", "{summary}");
    assert_eq!(summary["python"], "3.13t", "{summary}");
    assert_eq!(summary["gil_enabled"], "disabled", "{summary}");
    assert_eq!(summary["switches"], 0, "{summary}");
    assert!(summary["held_fraction"].is_null(), "{summary}");
    let verdict = summary["verdict"].as_str().unwrap();
    assert!(verdict.starts_with("No GIL"), "{verdict}");
    if cpus() >= 2 {
        let busy = summary["threads"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["cpu_fraction"].as_f64().unwrap_or(0.0) > 0.6)
            .count();
        assert_eq!(busy, 2, "two spinning threads on two CPUs: {summary}");
    }
    // PYTHON_GIL=1: the GIL is read as on a GIL build. Two CPU-bound threads hand it over
    // about once per 5 ms switch interval: at most 1 / 5 ms = 200 a second, and far more than
    // a few a second.
    let child = spinning(&python, Some("1"), &[]);
    let summary = watch(child.id(), "1.5");
    end(child);
    assert_eq!(summary["gil_enabled"], "enabled", "{summary}");
    let rate = summary["switches_per_s"].as_f64().unwrap();
    assert!(
        (40.0..=210.0).contains(&rate),
        "{rate} hand-offs/s: {summary}"
    );
    let held = summary["held_fraction"].as_f64().unwrap();
    assert!(held > 0.8, "the GIL held {held}: {summary}");
    let verdict = summary["verdict"].as_str().unwrap();
    assert!(verdict.starts_with("The GIL is back"), "{verdict}");
}

/// A C extension that declares no `Py_mod_gil` slot: importing it into a free-threaded 3.13
/// turns the GIL on for good (with a RuntimeWarning).
const NO_MOD_GIL: &str = r#"
#include <Python.h>
static struct PyModuleDef_Slot slots[] = {{0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "gilsim_no_mod_gil", NULL, 0, NULL,
                                 slots};
PyMODINIT_FUNC PyInit_gilsim_no_mod_gil(void) { return PyModuleDef_Init(&def); }
"#;

/// Compiles `NO_MOD_GIL` against `python`'s headers into `dir`.
fn build_extension(python: &str, dir: &std::path::Path) {
    let config = |what: &str| {
        let out = Command::new(python)
            .args([
                "-c",
                &format!("import sysconfig; print(sysconfig.get_config_var({what:?}))"),
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let include = config("INCLUDEPY");
    let suffix = config("EXT_SUFFIX");
    std::fs::write(dir.join("no_mod_gil.c"), NO_MOD_GIL).unwrap();
    let out = Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-I", &include, "-o"])
        .arg(dir.join(format!("gilsim_no_mod_gil{suffix}")))
        .arg(dir.join("no_mod_gil.c"))
        .output()
        .expect("a C compiler (cc)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh and a C compiler; .ci/run runs it"]
fn an_extension_without_py_mod_gil_brings_the_gil_back_and_watch_sees_when() {
    use std::io::Write;
    let _serial = serial();
    let python = free_threaded();
    let dir = tempfile::tempdir().unwrap();
    build_extension(&python, dir.path());
    let path = dir.path().display().to_string();
    let mut child = spinning(&python, None, &[("PYTHONPATH", &path)]);
    let pid = child.id();
    // watch for 3 s; the import happens 1 s in.
    let watcher = std::thread::spawn(move || watch(pid, "3"));
    std::thread::sleep(std::time::Duration::from_secs(1));
    writeln!(child.stdin.as_mut().unwrap(), "import").unwrap();
    let summary = watcher.join().unwrap();
    end(child);
    assert_eq!(summary["gil_enabled"], "enabled", "{summary}");
    let changes = summary["gil_enabled_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{summary}");
    assert_eq!(changes[0]["enabled"], "enabled");
    let at = changes[0]["t_s"].as_f64().unwrap();
    assert!((0.5..2.5).contains(&at), "turned on at {at} s: {summary}");
    // From then on two CPU-bound threads take turns: about 2 s of hand-offs at ≤ 200/s.
    let switches = summary["switches"].as_f64().unwrap();
    assert!(
        (40.0..=600.0).contains(&switches),
        "{switches} hand-offs: {summary}"
    );
    let verdict = summary["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("off from the start, then turned on at"),
        "{verdict}"
    );
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh and 2 CPUs; .ci/run runs it"]
fn a_pure_python_loop_scales_on_the_free_threaded_build_for_want_of_a_gil() {
    let _serial = serial();
    let python = free_threaded();
    let out = run(&words(&format!(
        "scale python/examples/count_loop.py:count --inputs [400_000]*8 --workers 1,2 \
         --runtimes serial,threads --repeat 5 --python {python} --format json"
    )));
    let doc = json(&out);
    let verdict = &doc["verdict"];
    let text = verdict["text"].as_str().unwrap();
    // A free-threaded scaling is never explained as C code releasing the GIL.
    for wrong in ["C code", "Releases the GIL", "hashlib"] {
        assert!(!text.contains(wrong), "{wrong:?}: {text}");
    }
    // Scaling is "no-gil" where the runs' range is clear of 1, "undetermined" on a machine
    // too noisy to say; either way the absence of the GIL is what the verdict names.
    assert!(
        ["no-gil", "undetermined"].contains(&verdict["kind"].as_str().unwrap()),
        "{text}"
    );
    assert!(text.contains("No GIL"), "{text}");
    let threads2 = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["runtime"] == "threads" && r["workers"] == 2)
        .unwrap();
    assert_eq!(threads2["gil"]["no_gil"], true, "{threads2}");
    assert!(threads2["gil"]["held_fraction"].is_null(), "{threads2}");
}

#[test]
#[ignore = "needs CPython 3.13.5 and 3.13.5t from tools/build-cpython.sh; .ci/run runs it"]
fn the_countdown_reads_the_gil_that_python_gil_1_turns_on() {
    let _serial = serial();
    let out = run(&words(&format!(
        "countdown --python {},{} --threads 1,2 --runtimes python-threads --repeat 3 \
         --count 2000000 --format json",
        gil_build(),
        free_threaded()
    )));
    let doc = json(&out);
    let rows = doc["results"].as_array().unwrap();
    let row = |gil: Option<u64>, workers: u64| {
        rows.iter()
            .find(|r| {
                r["workers"] == workers
                    && r["python"]["version"] == "3.13.5"
                    && r["python"]["python_gil"].as_u64() == gil
            })
            .unwrap_or_else(|| panic!("PYTHON_GIL={gil:?} ×{workers}: {doc}"))
    };
    // With PYTHON_GIL=1 two threads hand the GIL over; without it there is none to count.
    let enabled = row(Some(1), 2);
    assert!(
        enabled["gil"]["switches"].as_f64().unwrap() > 0.0,
        "{enabled}"
    );
    let disabled = row(Some(0), 2);
    assert!(disabled["gil"]["switches"].is_null(), "{disabled}");
    assert!(
        disabled["gil"]["reason"]
            .as_str()
            .unwrap()
            .contains("without its GIL"),
        "{disabled}"
    );
    // The single-thread cost is stated beside the published figure.
    let text = doc["verdict"]
        .as_str()
        .or(doc["verdict"]["text"].as_str())
        .unwrap();
    assert!(text.contains("measured here"), "{text}");
    assert!(text.contains("free-threading HOWTO"), "{text}");
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh; .ci/run runs it"]
fn run_and_interpreters_know_the_free_threaded_build() {
    let python = free_threaded();
    let script = script("spin.py", "n = 0\nwhile n < 100000: n += 1\n");
    let out = run(&["run", "--python", &python, script.path.to_str().unwrap()]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("free-threaded, no GIL"),
        "{}",
        stderr(&out)
    );
    // python3.13 and python3.13t of one install are one file (hard links): listed once.
    use std::os::unix::fs::MetadataExt;
    let file = |p: &str| std::fs::metadata(p).map(|m| (m.dev(), m.ino())).ok();
    let doc = json(&run(&["interpreters", "--format", "json"]));
    let listed = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| file(i["path"].as_str().unwrap()) == file(&python))
        .count();
    assert_eq!(listed, 1, "{doc}");
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh and pip; .ci/run runs it"]
fn pip_install_on_3_13t_stops_before_cargo_with_one_sentence() {
    let python = free_threaded();
    let venv = tempfile::tempdir().unwrap();
    let made = Command::new(&python)
        .args(["-m", "venv"])
        .arg(venv.path())
        .status()
        .unwrap();
    assert!(made.success());
    let out = Command::new(venv.path().join("bin/pip"))
        .args(["install", "-q", env!("CARGO_MANIFEST_DIR")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains("Compiling"), "cargo started: {err}");
    assert!(
        err.contains("cannot be installed into a free-threaded CPython 3.13t"),
        "{err}"
    );
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh; .ci/run runs it"]
fn profile_reads_a_free_threaded_builds_stacks_and_states() {
    let _serial = serial();
    let python = free_threaded();
    // Line 5 of the program is the loop: `while not done: n += 1`.
    let child = spinning(&python, Some("0"), &[]);
    let p = &profile_of(child.id(), "1.5");
    end(child);
    assert_eq!(p["build"], "free-threaded", "{p}");
    assert!(p["gil"].is_null(), "{p}");
    let spinners: Vec<&Value> = p["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["running_fraction"].as_f64().unwrap() > 0.8)
        .collect();
    assert_eq!(spinners.len(), 2, "two threads running Python at once: {p}");
    for t in &spinners {
        assert_eq!(t["held_fraction"], 0.0, "{t}");
    }
    // Their stacks: `spin` at the loop's line, read through _Py_DebugOffsets.
    let frames: Vec<String> = p["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "released")
        .map(|s| {
            s["frames"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!frames.is_empty(), "{p}");
    assert!(frames.iter().all(|f| f == "spin <string>:5"), "{frames:?}");
    // The main thread reads stdin: idle.
    let main = p["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["running_fraction"].as_f64().unwrap() < 0.2)
        .expect("the main thread");
    assert!(main["idle_fraction"].as_f64().unwrap() > 0.8, "{main}");
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh; .ci/run runs it"]
fn a_lab_runs_on_the_free_threaded_build_and_skips_what_a_gil_premises() {
    let _serial = serial();
    let python = free_threaded();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("report");
    let out = run(&[
        "lab",
        "run",
        "one-vs-two",
        "--quick",
        "--python",
        &python,
        "--predict",
        "t2_over_t1=0.5",
        "--output",
        out_dir.to_str().unwrap(),
    ]);
    assert_success(&out);
    let text = std::fs::read_to_string(out_dir.join("results.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["host"]["python_version"], "3.13.5", "{r}");
    let check = |name: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("check {name}: {r}"))
            .clone()
    };
    for name in ["threads_not_faster", "processes_beat_threads"] {
        let c = check(name);
        assert_eq!(c["outcome"]["status"], "skipped", "{c}");
        assert!(
            c["outcome"]["reason"]
                .as_str()
                .unwrap()
                .contains("premised on a GIL"),
            "{c}"
        );
    }
    let said = r["verdict"].as_str().unwrap();
    assert!(!said.contains("With the GIL they cannot"), "{said}");
    assert!(
        r["method"].to_string().contains(&python),
        "the method names the interpreter: {}",
        r["method"]
    );
    // A lab that runs in the embedded interpreter only refuses --python (a usage error).
    let out = run(&["lab", "run", "convoy", "--python", &python]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--python applies to one-vs-two"),
        "{}",
        stderr(&out)
    );
}

#[test]
#[ignore = "needs CPython 3.13.5t and 3.13.5 from tools/build-cpython.sh and 2 CPUs; .ci/run runs it"]
fn sharing_runs_on_both_builds_and_decides_what_sharing_costs_from_ranges() {
    let _serial = serial();
    let out = run(&words(&format!(
        "sharing --python {},{} --threads 1,2 --workloads dict-update,read-global \
         --iterations 300000 --repeat 3 --format json",
        free_threaded(),
        gil_build()
    )));
    let doc = json(&out);
    let rows = doc["results"].as_array().unwrap();
    // Two interpreters × (dict-update own and shared, read-global shared) × 1 and 2 threads.
    assert_eq!(rows.len(), 12, "{doc}");
    for r in rows {
        let free = r["python"].as_str().unwrap().contains("PYTHON_GIL=0");
        assert_eq!(r["gil_enabled"], !free, "{r}");
        let cpu = r["cpu_per_wall"].as_f64().unwrap();
        let threads = r["threads"].as_f64().unwrap();
        assert!(cpu > 0.0 && cpu <= threads.min(cpus() as f64) + 0.2, "{r}");
        if r["threads"] == 1 {
            assert_eq!(r["speedup"], 1.0, "{r}");
            assert!(r["speedup_interval"].is_null(), "{r}");
        } else {
            let [lo, hi] = [0, 1].map(|i| r["speedup_interval"][i].as_f64().unwrap());
            let s = r["speedup"].as_f64().unwrap();
            assert!(lo <= s && s <= hi, "{r}");
        }
    }
    // With a GIL two threads never run Python at once: about one core busy.
    let gil_two: Vec<&Value> = rows
        .iter()
        .filter(|r| r["gil_enabled"] == true && r["threads"] == 2)
        .collect();
    assert!(
        gil_two
            .iter()
            .all(|r| r["cpu_per_wall"].as_f64().unwrap() < 1.3),
        "{gil_two:?}"
    );
    let text = doc["verdict"].as_str().unwrap();
    assert!(
        text.contains("without a GIL (a free-threaded build)"),
        "{text}"
    );
    assert!(text.contains("with a GIL, so no two threads"), "{text}");
    // Whatever the machine decided, every sharing sentence is a decision or says undetermined.
    for sentence in text.split(". ").filter(|s| s.starts_with("dict-update")) {
        assert!(
            sentence.contains("sharing cost ×")
                || sentence.contains("undetermined")
                || sentence.contains("ran faster"),
            "{sentence}"
        );
    }
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh; .ci/run runs it"]
fn pool_queue_and_share_run_their_python_rows_on_the_free_threaded_build() {
    let _serial = serial();
    let python = free_threaded();
    let host_is_free_threaded = |doc: &Value| {
        assert_eq!(doc["host"]["python"]["version"], "3.13.5", "{doc}");
        assert_eq!(doc["host"]["python"]["gil_enabled"], false, "{doc}");
    };
    let pool = json(&run(&words(&format!(
        "pool --python {python} --repeat 1 --items 64 --workers 2 --start-method fork,spawn \
         --method with --runtimes python-processes --format json"
    ))));
    host_is_free_threaded(&pool);
    let rows = pool["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{pool}");
    for row in rows {
        assert_eq!(row["status"], "ok", "{row}");
        assert_eq!(row["results_ok"], true, "{row}");
    }
    assert_eq!(pool["params"]["python"], "3.13t", "{pool}");

    let queue = json(&run(&words(&format!(
        "queue --python {python} --messages 5 --interval 0.01 --runtimes python --format json"
    ))));
    host_is_free_threaded(&queue);
    let rows = queue["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{queue}");
    for row in rows {
        assert_eq!(row["status"], "ok", "{row}");
    }

    // A thread mutates the parent's own list on either build; the GIL is said to be absent,
    // not read as zero hand-offs.
    let share = json(&run(&words(&format!(
        "share --python {python} --start-method fork --format json"
    ))));
    host_is_free_threaded(&share);
    let thread = &share["results"][0];
    assert_eq!(thread["variant"], "thread", "{share}");
    assert_eq!(thread["visible_in_parent"], true, "{thread}");
    assert!(thread["gil"]["switches"].is_null(), "{thread}");
    assert!(
        thread["gil"]["reason"]
            .as_str()
            .unwrap()
            .contains("without its GIL"),
        "{thread}"
    );
    assert_eq!(share["results"][1]["visible_in_parent"], false, "{share}");

    // A 3.13t found on PATH, by its command name.
    let dir = std::path::Path::new(&python)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{dir}:{}", std::env::var("PATH").unwrap());
    let out = gilsim()
        .args(words(
            "share --python python3.13t --start-method fork --format json",
        ))
        .env("PATH", path)
        .output()
        .unwrap();
    host_is_free_threaded(&json(&out));
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh; .ci/run runs it"]
fn timeline_draws_the_gil_python_gil_1_turns_on_and_nothing_without_it() {
    let _serial = serial();
    let python = free_threaded();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    let args = format!(
        "timeline --scenario countdown --count 4000000 --python {python} --svg {} --format json",
        svg.display()
    );
    // Without its GIL: the reason, each thread's CPU, and no picture of a GIL that is not there.
    let out = gilsim()
        .args(words(&args))
        .env("PYTHON_GIL", "0")
        .output()
        .unwrap();
    let doc = json(&out);
    assert_eq!(doc["gil"]["source"], "unavailable", "{doc}");
    assert!(doc["svg"].is_null(), "{doc}");
    assert!(!svg.exists());
    let cpu: f64 = doc["gil"]["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["cpu_s"].as_f64().unwrap())
        .sum();
    assert!(cpu > 0.0, "{doc}");

    // PYTHON_GIL=1: hand-offs counted exactly, each seen by the recorder, and two threads
    // that each held it.
    let out = gilsim()
        .args(words(&args))
        .env("PYTHON_GIL", "1")
        .output()
        .unwrap();
    let doc = json(&out);
    let switches = doc["gil"]["switches"].as_u64().unwrap();
    assert!(switches > 0, "{doc}");
    assert!(
        doc["gil"]["handoffs_seen"].as_u64().unwrap() <= switches + 1,
        "{doc}"
    );
    let holders: std::collections::BTreeSet<&str> = doc["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["thread"].as_str().unwrap())
        .collect();
    assert!(holders.len() >= 2, "{doc}");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

#[test]
#[ignore = "needs CPython 3.13.5t from tools/build-cpython.sh and 2 CPUs; .ci/run runs it"]
fn profile_says_what_a_parked_thread_waits_for_without_a_gil() {
    let _serial = serial();
    let python = free_threaded();
    // One thread sorts a shared list with a Python key (the sort holds the list's critical
    // section throughout), one appends to it (and so parks on that lock), one waits on a
    // threading.Lock that is never released.
    let program = script(
        "parked.py",
        "import sys, threading\n\
         shared = list(range(200000))\n\
         def sorter():\n    while True: shared.sort(key=lambda x: -x)\n\
         def appender():\n    while True:\n        shared.append(1)\n        shared.pop()\n\
         lock = threading.Lock()\n\
         lock.acquire()\n\
         def locked(): lock.acquire()\n\
         for f in (sorter, appender, locked):\n    threading.Thread(target=f, daemon=True).start()\n\
         print('ready', flush=True)\n\
         sys.stdin.read()\n",
    );
    let mut command = Command::new(&python);
    command
        .arg(program.path_str())
        .env("PYTHON_GIL", "0")
        .stdin(Stdio::piped());
    let child = start_ready(&mut command);
    let p = &profile_of(child.id(), "2");
    // watch gives each thread's parked share: the appender's, and none for the lock waiter.
    let summary = watch(child.id(), "1.5");
    end(child);
    let parked: Vec<f64> = summary["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["parked_fraction"].as_f64().unwrap())
        .collect();
    assert_eq!(parked.iter().filter(|&&f| f > 0.5).count(), 1, "{summary}");
    assert!(summary["verdict"]
        .as_str()
        .unwrap()
        .contains("Parked inside the interpreter"));
    assert!(p["gil"].is_null(), "{p}");
    let stacks = p["stacks"].as_array().unwrap();
    let leaf = |s: &Value| leaf_frame(&s["frames"]);
    let samples = |pick: &dyn Fn(&Value) -> bool| -> u64 {
        stacks
            .iter()
            .filter(|s| pick(s))
            .map(|s| s["samples"].as_u64().unwrap())
            .sum()
    };
    // The appender is parked on the list's lock most of the time, named as such.
    let on_list = samples(&|s: &Value| {
        s["state"] == "waiting"
            && leaf(s).starts_with("appender")
            && s["waits_on"]
                .as_str()
                .is_some_and(|w| w.contains("list object's lock"))
    });
    let appender = samples(&|s: &Value| leaf(s).starts_with("appender"));
    assert!(
        on_list * 2 > appender,
        "{on_list} of {appender} appender samples parked on the list: {p}"
    );
    // The threading.Lock's waiter is idle, its wait named apart, never interpreter waiting.
    let locked: Vec<&Value> = stacks
        .iter()
        .filter(|s| leaf(s).starts_with("locked"))
        .collect();
    assert!(!locked.is_empty(), "{p}");
    for s in locked {
        assert_eq!(s["state"], "idle", "{s}");
        assert_eq!(s["waits_on"], "a threading.Lock", "{s}");
    }
    let text = p["verdict"].as_str().unwrap_or_default();
    assert!(text.contains("Most often parked"), "{p}");
}
