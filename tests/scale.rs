//! `gilsim scale FILE:FUNC`: real functions in python/examples/ run serially, on threads and on
//! processes, in fresh interpreter processes; the verdict each gets; results that change,
//! functions that cannot be pickled, exceptions and bad input.
mod common;
use common::*;
use serde_json::Value;

fn example(name: &str) -> String {
    format!("{}/python/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn scale(target: &str, inputs: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["scale", target, "--inputs", inputs, "--format", "json"];
    args.extend(extra);
    run(&args)
}

#[test]
#[ignore = "needs 2 CPUs (.ci/run runs it where there are)"]
fn each_example_gets_its_verdict_on_two_cpus() {
    let _one_at_a_time = serial();
    assert!(cpus() >= 2, "needs 2 CPUs, this machine has {}", cpus());
    for (target, inputs, kind) in [
        ("count_loop.py:count", "[600_000] * 16", "gil-bound"),
        ("hashing.py:digest", "range(32)", "releases-gil"),
        (
            "tiny_items.py:square",
            "range(20_000)",
            "overhead-dominates",
        ),
        ("waiting.py:fetch", "range(16)", "io-bound"),
    ] {
        // A noisy machine may leave a run undetermined (a slow round widens the ranges); it
        // gets up to three tries, and may never reach another kind.
        let mut doc = Value::Null;
        for _ in 0..3 {
            doc = json(&scale(
                &example(target),
                inputs,
                &words("--workers 1,2 --runtimes serial,threads,processes"),
            ));
            let got = doc["verdict"]["kind"].as_str().unwrap().to_string();
            assert!(
                got == kind || got == "undetermined",
                "{target}: {kind} expected: {}",
                doc["verdict"]
            );
            if got == kind {
                break;
            }
        }
        assert_eq!(doc["verdict"]["kind"], kind, "{target}: {}", doc["verdict"]);
        for r in doc["results"].as_array().unwrap() {
            assert_eq!(r["status"], "ok", "{target}: {r}");
            assert!(r["wall_s"]["min"].as_f64().unwrap() > 0.0, "{r}");
            assert!(r["speedup"].as_f64().unwrap() > 0.0, "{r}");
            if r["runtime"] == "threads" {
                assert_eq!(r["gil"]["source"], "outside", "{r}");
                assert!(r["gil"]["switches"].as_f64().is_some(), "{r}");
            }
        }
    }
}

#[test]
fn on_one_cpu_processes_cannot_help() {
    let _one_at_a_time = serial();
    let out = std::process::Command::new("taskset")
        .args(["-c", "0", env!("CARGO_BIN_EXE_gilsim"), "scale"])
        .arg(example("count_loop.py:count"))
        .args([
            "--inputs",
            "[200_000] * 8",
            "--workers",
            "2",
            "--repeat",
            "3",
        ])
        .args(words("--runtimes serial,threads,processes --format json"))
        .output()
        .expect("taskset runs");
    let doc = json(&out);
    let text = doc["verdict"]["text"].as_str().unwrap();
    assert!(text.contains("processes cannot help"), "{text}");
    assert_eq!(doc["verdict"]["kind"], "undetermined");
    assert_eq!(doc["results"].as_array().unwrap().len(), 3);
}

#[test]
fn a_runtime_that_changes_the_results_is_an_error() {
    let _one_at_a_time = serial();
    let out = scale(
        &example("wrong_under_threads.py:next_id"),
        "range(2000)",
        &words("--workers 2 --repeat 3 --runtimes serial,threads,processes"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = report_json(&out);
    let rows = doc["results"].as_array().unwrap();
    let processes = rows.iter().find(|r| r["runtime"] == "processes").unwrap();
    assert_eq!(processes["status"], "error", "{processes}");
    assert!(
        processes["error"]
            .as_str()
            .unwrap()
            .contains("changed the results"),
        "{processes}"
    );
    assert!(
        stderr(&out).contains("changed the results"),
        "{}",
        stderr(&out)
    );
    assert!(doc["verdict"]["text"].as_str().unwrap().contains("Failed"));
}

#[test]
fn a_function_that_cannot_be_pickled_gets_the_reason_and_the_way_that_works() {
    let _one_at_a_time = serial();
    let s = script("lambdas.py", "double = lambda x: 2 * x\n");
    let target = format!("{}:double", s.path_str());
    let on_processes = |method: &str| {
        scale(
            &target,
            "range(10)",
            &[
                "--workers",
                "2",
                "--repeat",
                "3",
                "--runtimes",
                "serial,processes",
                "--start-method",
                method,
            ],
        )
    };
    let out = on_processes("spawn");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.contains("cannot be pickled"))
        .unwrap_or_else(|| panic!("no reason given: {err}"));
    assert!(line.contains("--start-method fork"), "{line}");
    // Under fork the same function works.
    let doc = json(&on_processes("fork"));
    assert!(doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "ok"));
}

#[test]
fn an_exception_in_func_shows_its_traceback_once() {
    let s = script("boom.py", "def boom(x):\n    return 1 / (x - 3)\n");
    let out = scale(&format!("{}:boom", s.path_str()), "range(5)", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.matches("Traceback").count(), 1, "{err}");
    assert!(
        err.contains("ZeroDivisionError") && err.contains("input #3"),
        "{err}"
    );
    assert!(err.contains("boom.py"), "the user's frame: {err}");
    assert!(
        !err.contains("gilsim_scale_driver"),
        "gilsim's own frames: {err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn bad_targets_and_inputs_are_usage_errors() {
    let s = script("f.py", "def f(x):\n    return x\n");
    let good = format!("{}:f", s.path_str());
    for args in [
        words("scale /no/such/file.py:f --inputs range(3)"),
        words("scale nocolon --inputs range(3)"),
        vec!["scale", &good[..good.len() - 1], "--inputs", "range(3)"],
        vec!["scale", &good],
        vec!["scale", &good, "--inputs", "range(3)", "--workers", "0"],
        vec!["scale", &good, "--inputs-from", "/no/such.py:x"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    // A name the module lacks: the run says so, exit 1.
    let out = run(&[
        "scale",
        &format!("{}:g", s.path_str()),
        "--inputs",
        "range(3)",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("has no g"), "{}", stderr(&out));
}

#[test]
fn inputs_can_come_from_another_module() {
    let s = script("f.py", "def f(x):\n    return x * 2\n");
    std::fs::write(s.file("data.py"), "def items():\n    return [1, 2, 3]\n").unwrap();
    let target = format!("{}:f", s.path_str());
    let with_inputs_from = |source: &str| {
        run(&[
            "scale",
            &target,
            "--inputs-from",
            source,
            "--workers",
            "2",
            "--repeat",
            "3",
            "--runtimes",
            "serial,threads",
            "--format",
            "json",
        ])
    };
    let data = s.file("data.py").display().to_string();
    assert_eq!(
        with_inputs_from(&data).status.code(),
        Some(2),
        "FILE:ITERABLE needs its name"
    );
    let doc: Value = json(&with_inputs_from(&format!("{data}:items")));
    assert_eq!(doc["params"]["inputs_count"], 3);
}
