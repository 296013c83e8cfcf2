//! Multiprocessing inside the host: start methods, broken workers, and the pool, queue and
//! share scenarios; after each command nothing it started is alive.
mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn class_based_sender_fails_under_spawn_with_the_reason() {
    let start = Instant::now();
    let (out, tag) = run_tagged(&[
        "run",
        "--timeout",
        "60",
        "--start-method",
        "spawn",
        &seed("queue_process_class.py"),
    ]);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Can't pickle local object 'A.__init__.<locals>.sender'"),
        "{err}"
    );
    assert!(
        err.contains("gilsim: hint:") && err.contains("'spawn' start method must pickle"),
        "{err}"
    );
    assert!(!err.contains("leaked"), "{err}");
    assert_none_left(&tag);
}

#[test]
fn class_based_sender_works_under_fork() {
    let (out, tag) = run_tagged(&[
        "run",
        "--timeout",
        "60",
        "--start-method",
        "fork",
        &seed("queue_process_class.py"),
    ]);
    assert_success(&out);
    assert_eq!(stdout(&out), "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
    assert!(!stderr(&out).contains("leaked"), "{}", stderr(&out));
    assert_none_left(&tag);
}

#[test]
fn start_method_flag_is_a_default_the_script_can_override() {
    let s = script(
        "which.py",
        "import multiprocessing as mp, sys\nif sys.argv[1:] == ['own']:\n    mp.set_start_method('forkserver')\nprint(mp.get_start_method())\n",
    );
    let out = run(&["run", "--start-method", "spawn", s.path_str()]);
    assert_eq!(stdout(&out), "spawn\n", "{}", stderr(&out));
    let out = run(&["run", "--start-method", "spawn", s.path_str(), "--", "own"]);
    assert_eq!(stdout(&out), "forkserver\n", "{}", stderr(&out));
}

const DYING_POOL: &str = r#"
import multiprocessing as mp, sys

def f(x):
    return x

if __name__ == '__main__':
    mp.set_start_method('spawn')
    # Every spawned worker re-runs the main module from this path, which no longer exists.
    sys.modules['__main__'].__file__ = '/nonexistent/gone.py'
    with mp.Pool(2) as p:
        print(p.map(f, range(4)))
"#;

#[test]
fn a_pool_whose_workers_die_at_start_is_stopped_with_the_cause() {
    let s = script("dying_pool.py", DYING_POOL);
    let start = Instant::now();
    let (out, tag) = run_tagged(&["run", "--timeout", "120", s.path_str()]);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("pool workers keep dying"), "{err}");
    assert!(
        err.contains("No such file or directory: '/nonexistent/gone.py'"),
        "{err}"
    );
    assert_none_left(&tag);
}

#[test]
fn pool_rows_return_the_right_results() {
    let (out, tag) = run_tagged(&words(
        "pool --workers 2 --items 64 --repeat 1 --warmup 0 --format json",
    ));
    let doc = json(&out);
    assert_eq!(doc["schema"], "gilsim.v1");
    assert_eq!(doc["command"], "pool");
    let rows = doc["results"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        3 * 2 + 2,
        "3 start methods × 2 methods + 2 Rust rows"
    );
    for r in rows {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["results_ok"], true, "{r}");
        for key in ["startup_s", "map_s", "items_per_s"] {
            assert!(r[key].as_f64().unwrap() > 0.0, "{key}: {r}");
        }
        assert!(r["total_s"]["median"].as_f64().unwrap() > 0.0);
    }
    let methods: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["start_method"].as_str())
        .collect();
    for m in ["spawn", "forkserver", "fork"] {
        assert!(methods.contains(&m), "{methods:?}");
    }
    let verdict = doc["verdict"].as_str().unwrap();
    assert!(verdict.contains("spawn took ×"), "{verdict}");
    assert!(!stderr(&out).contains("leaked"), "{}", stderr(&out));
    assert_none_left(&tag);
}

#[test]
fn pool_work_makes_items_cost_cpu() {
    let out = run(&words("pool --workers 2 --items 16 --work 200000 --start-method fork --method with --runtimes python-processes --repeat 1 --warmup 0 --format json"));
    let doc = json(&out);
    let row = &doc["results"][0];
    assert_eq!(row["results_ok"], true);
    // 16 × 200,000 Python iterations take tens of milliseconds at least, one after another.
    assert!(row["sequential_s"].as_f64().unwrap() > 0.02, "{row}");
}

#[test]
fn queue_receives_0_1_2_in_every_variant() {
    let (out, tag) = run_tagged(&words("queue --messages 3 --interval 0.1 --format json"));
    let doc = json(&out);
    let rows = doc["results"].as_array().unwrap();
    let variants: Vec<&str> = rows
        .iter()
        .map(|r| r["variant"].as_str().unwrap())
        .collect();
    for v in ["process", "process-class", "thread"] {
        assert!(variants.contains(&v), "{variants:?}");
    }
    assert_eq!(rows.len(), 5, "3 Python variants + 2 Rust twins");
    for r in rows {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["received"], serde_json::json!([0, 1, 2]), "{r}");
        assert_eq!(r["messages_received"], 3);
        assert!(r["latency_s"]["p50"].as_f64().unwrap() >= 0.0);
        assert!(r["latency_s"]["p99"].as_f64().unwrap() >= r["latency_s"]["p50"].as_f64().unwrap());
        assert!(r["shutdown_s"].as_f64().unwrap() >= 0.0);
    }
    let thread = rows
        .iter()
        .find(|r| r["runtime"] == "python" && r["variant"] == "thread")
        .unwrap();
    // The event is only seen after the sender's sleep: up to one interval.
    assert!(thread["shutdown_s"].as_f64().unwrap() < 1.0);
    // Every Python row counts the parent interpreter's hand-offs exactly; in the thread variant
    // each message wakes the receiver, which must take the GIL from the sender's side.
    for r in rows.iter().filter(|r| r["runtime"] == "python") {
        let source = r["gil"]["source"].as_str().unwrap_or("none");
        assert!(["calibrated", "debug-offsets"].contains(&source), "{r}");
    }
    assert!(thread["gil"]["switches"].as_u64().unwrap() >= 3, "{thread}");
    assert!(rows
        .iter()
        .filter(|r| r["runtime"] != "python")
        .all(|r| r.get("gil").is_none()));
    assert!(doc["verdict"]
        .as_str()
        .unwrap()
        .contains("no terminate() or kill()"));
    assert!(!stderr(&out).contains("leaked"), "{}", stderr(&out));
    assert_none_left(&tag);
}

#[test]
fn queue_class_variant_under_spawn_is_an_error_row_with_the_reason() {
    let (out, tag) = run_tagged(&words("queue --messages 2 --interval 0 --variant process-class --start-method spawn --runtimes python --format json"));
    assert_eq!(out.status.code(), Some(1));
    let doc = report_json(&out);
    let row = &doc["results"][0];
    assert_eq!(row["status"], "error");
    let error = row["error"].as_str().unwrap();
    assert!(error.contains("Can't pickle local object"), "{error}");
    assert!(
        error.contains("'spawn' start method must pickle"),
        "{error}"
    );
    assert_none_left(&tag);
}

#[test]
fn share_shows_threads_share_and_processes_copy() {
    let (out, tag) = run_tagged(&words("share --size 20000 --format json"));
    let doc = json(&out);
    let rows = doc["results"].as_array().unwrap();
    assert_eq!(rows[0]["variant"], "thread");
    assert_eq!(rows[0]["visible_in_parent"], true);
    for r in &rows[1..] {
        assert_eq!(r["variant"], "process");
        assert_eq!(r["visible_in_parent"], false, "{r}");
    }
    let by_method = |m: &str| rows.iter().find(|r| r["start_method"] == m).unwrap();
    let spawn = by_method("spawn");
    assert!(spawn["pickled_bytes"].as_u64().unwrap() >= spawn["object_bytes"].as_u64().unwrap());
    let fork = by_method("fork");
    assert_eq!(fork["pickled_bytes"], 0);
    assert!(fork["child_copied_bytes"].as_u64().unwrap() > 0);
    assert_none_left(&tag);
}

#[test]
fn the_seeds_pool_script_runs_under_fork_and_its_missing_main_guard_shows_under_spawn() {
    let (out, tag) = run_tagged(&[
        "run",
        "--start-method",
        "fork",
        &seed("pool_return_values.py"),
    ]);
    assert_success(&out);
    assert_none_left(&tag);
    // Without `if __name__ == '__main__':` every spawned worker re-runs the Pool creation.
    let (out, tag) = run_tagged(&[
        "run",
        "--timeout",
        "120",
        "--start-method",
        "spawn",
        &seed("pool_return_values.py"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bootstrapping phase"), "{err}");
    assert!(err.contains("pool workers keep dying"), "{err}");
    assert_none_left(&tag);
}
