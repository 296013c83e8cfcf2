//! `gilsim lab`: every lab end to end in quick mode (real scenarios, real processes), the
//! report files it writes, grading, the class summary, and the HTML in a real browser.
mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

const LABS: [&str; 12] = [
    "one-vs-two",
    "old-gil",
    "speedup",
    "process-cost",
    "c-code",
    "convoy",
    "switch-interval",
    "not-a-lock",
    "queues",
    "shared-vs-copied",
    "no-gil",
    "free-threaded",
];

fn results(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

#[test]
fn the_list_names_every_lab_and_fits_the_terminal() {
    let out = run(&["lab", "list"]);
    assert_success(&out);
    let text = stdout(&out);
    for id in LABS {
        assert!(text.contains(id), "{id} missing:\n{text}");
    }
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
}

#[test]
fn show_prints_the_handout_and_the_instructor_notes() {
    let handout = stdout(&run(&["lab", "show", "convoy"]));
    for part in [
        "Goal",
        "Background",
        "Predict first",
        "requests_one_cpu_thread",
        "Questions",
    ] {
        assert!(handout.contains(part), "{part} missing:\n{handout}");
    }
    assert!(!handout.contains("Instructor notes"));
    let notes = stdout(&run(&words("lab show convoy --instructor")));
    for part in [
        "Expected results",
        "Published figures",
        "Skvortsov",
        "Tolerances",
        "Discussion",
        "Common wrong answers",
    ] {
        assert!(notes.contains(part), "{part} missing:\n{notes}");
    }
}

#[test]
fn bad_lab_ids_and_predictions_are_usage_errors() {
    for args in [
        vec!["lab", "show", "no-such-lab"],
        words("lab run no-such-lab --quick"),
        words("lab run convoy --quick --predict nonsense=3"),
        words("lab run convoy --quick --predict requests_one_cpu_thread=fast"),
        words("lab run convoy --quick --predict requests_one_cpu_thread"),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let first = stderr(&out).lines().next().unwrap_or_default().to_string();
        assert!(
            first.contains("lab") || first.contains("predict"),
            "{args:?}: the first line names the problem: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
}

#[test]
fn every_lab_runs_in_quick_mode_and_writes_its_report() {
    let _one_at_a_time = serial();
    let root = tempfile::tempdir().unwrap();
    for id in LABS {
        let dir = root.path().join(id);
        let dir_str = dir.to_str().unwrap();
        let out = run(&["lab", "run", id, "--quick", "--output", dir_str]);
        assert_success(&out);
        let summary = stdout(&out);
        assert!(
            summary.contains("no prediction was recorded"),
            "{id}: {summary}"
        );
        for file in ["report.md", "report.html", "results.json"] {
            assert!(dir.join(file).is_file(), "{id}: {file} missing");
        }
        let r = results(&dir);
        assert_eq!(r["schema"], "gilsim.v1");
        assert_eq!(r["command"], "lab");
        assert_eq!(r["lab"]["id"], id);
        assert!(r["host"]["cpus"].as_u64().unwrap() >= 1);
        let predictions = r["predictions"].as_array().unwrap();
        assert!(!predictions.is_empty(), "{id}");
        // A lab whose requirement is absent (free-threaded without a 3.13t) measures nothing:
        // every check says what it needs, and its predictions stay without a figure.
        let requirement_absent = r["checks"].as_array().unwrap().iter().all(|c| {
            c["outcome"]["status"] == "skipped"
                && c["outcome"]["reason"]
                    .as_str()
                    .is_some_and(|why| why.starts_with("needs"))
        });
        for p in predictions {
            assert!(
                p["predicted"].is_null() && p["within_tolerance"].is_null(),
                "{id}: {p}"
            );
            assert_eq!(p["grade"], "not-graded", "{id}: {p}");
            // Measured, or the model's figure shown for discussion (and then never measured).
            match p["provenance"].as_str() {
                Some("measured") => assert!(
                    p["measured"].as_f64().is_some() || requirement_absent,
                    "{id}: {p}"
                ),
                Some("model") => assert!(
                    p["measured"].is_null() && p["model"].as_f64().is_some(),
                    "{id}: {p}"
                ),
                other => panic!("{id}: provenance {other:?}: {p}"),
            }
        }
        for q in r["measurements"].as_array().unwrap() {
            let provenance = q["provenance"].as_str().unwrap_or_default();
            assert!(
                ["measured", "model", "published"].contains(&provenance),
                "{id}: every figure says where it came from: {q}"
            );
            if provenance != "measured" {
                assert!(q["source"].as_str().is_some(), "{id}: {q}");
            }
            if let Some([lo, hi]) = q["interval"]
                .as_array()
                .map(|a| [a[0].clone(), a[1].clone()])
            {
                let (lo, hi, v) = (
                    lo.as_f64().unwrap(),
                    hi.as_f64().unwrap(),
                    q["value"].as_f64().unwrap(),
                );
                assert!(lo <= v && v <= hi, "{id}: the range holds its figure: {q}");
            }
        }
        for c in r["checks"].as_array().unwrap() {
            let status = c["outcome"]["status"].as_str().unwrap();
            assert!(
                ["passed", "failed", "skipped"].contains(&status),
                "{id}: {c}"
            );
            if status == "skipped" {
                assert!(
                    !c["outcome"]["reason"].as_str().unwrap().is_empty(),
                    "{id}: {c}"
                );
            }
        }
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        let charts = r["charts"].as_array().unwrap();
        assert!(!charts.is_empty() || requirement_absent, "{id}: a chart");
        for c in charts {
            let file = c.as_str().unwrap();
            let svg = std::fs::read_to_string(dir.join(file)).unwrap();
            assert!(svg.contains("<svg"), "{id}: {file}");
            assert!(
                html.contains(&format!("data-file=\"{file}\"")),
                "{id}: {file} not inline"
            );
        }
        // Self-contained: nothing is loaded from anywhere.
        assert!(!html.contains("src=") && !html.contains("href="), "{id}");
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(
            md.contains("## Predictions") && md.contains("## Checks"),
            "{id}"
        );
    }
    // Figures that hold on any machine: a lock loses nothing, an atomic add loses nothing,
    // a thread's change is visible and a process's is not.
    let value = |id: &str, name: &str| {
        results(&root.path().join(id))["measurements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .and_then(|q| q["value"].as_f64())
    };
    assert_eq!(value("not-a-lock", "lost_percent_locked"), Some(0.0));
    assert_eq!(
        value("not-a-lock", "rust_lost_percent_fetch_add"),
        Some(0.0)
    );
    assert_eq!(
        value("shared-vs-copied", "thread_change_visible"),
        Some(1.0)
    );
    assert_eq!(
        value("shared-vs-copied", "process_change_visible"),
        Some(0.0)
    );
}

#[test]
fn a_prediction_is_graded_and_a_class_summary_names_the_file_it_skips() {
    let _one_at_a_time = serial();
    let root = tempfile::tempdir().unwrap();
    let a = root.path().join("alice");
    let b = root.path().join("bob");
    // Alice predicts exactly (a change is never visible), Bob the opposite.
    for (dir, guess) in [(&a, "0"), (&b, "1")] {
        let out = run(&[
            "lab",
            "run",
            "shared-vs-copied",
            "--quick",
            "--predict",
            &format!("process_change_visible={guess}"),
            "--output",
            dir.to_str().unwrap(),
        ]);
        assert_success(&out);
    }
    let graded = |dir: &Path| results(dir)["predictions"][0]["within_tolerance"].clone();
    assert_eq!(graded(&a), true);
    assert_eq!(graded(&b), false);
    assert!(std::fs::read_to_string(a.join("report.md"))
        .unwrap()
        .contains("consistent"));
    let broken = root.path().join("carol");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("results.json"),
        "{\"schema\": \"gilsim.v1\", \"command\": ",
    )
    .unwrap();
    let summary_dir = root.path().join("class");
    let out = run(&[
        "lab",
        "collect",
        a.to_str().unwrap(),
        b.join("results.json").to_str().unwrap(),
        broken.to_str().unwrap(),
        "--output",
        summary_dir.to_str().unwrap(),
    ]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("Skipped") && text.contains("carol"), "{text}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(summary_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["labs"][0]["results"], 2);
    assert_eq!(summary["labs"][0]["predictions"][0]["recorded"], 2);
    assert_eq!(summary["labs"][0]["predictions"][0]["within"], 1);
    assert_eq!(summary["machines"].as_array().unwrap().len(), 2);
    let skipped = summary["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{summary}");
    assert!(skipped[0]["path"].as_str().unwrap().contains("carol"));
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{summary}"
    );
    for file in ["summary.md", "summary.html"] {
        assert!(summary_dir.join(file).is_file(), "{file}");
    }
    // Nothing but lab results: exit 1, said on stderr.
    let out = run(&["lab", "collect", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

/// Damaged, edited and foreign files beside one real result: the summary holds the real one
/// alone, its figures unchanged, and names every other file with its reason.
#[test]
fn a_class_summary_trusts_nothing_in_a_students_file() {
    let root = tempfile::tempdir().unwrap();
    let class = root.path().join("class");
    let nested = class.join("week 2").join("late");
    std::fs::create_dir_all(&nested).unwrap();
    let real_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/labs/example-one-vs-two/results.json"),
    )
    .unwrap();
    let real: Value = serde_json::from_str(&real_text).unwrap();
    // A renamed file, as a teacher's folder holds them.
    std::fs::write(class.join("alice.json"), &real_text).unwrap();
    let edited = |f: &dyn Fn(&mut Value)| {
        let mut v = real.clone();
        f(&mut v);
        serde_json::to_string(&v).unwrap()
    };
    let files: Vec<(&str, String, &str)> = vec![
        (
            "huge.json",
            edited(&|v| {
                v["measurements"][0]["value"] = serde_json::json!(1e308);
                v["host"]["cpus"] = serde_json::json!(4);
            }),
            "physically",
        ),
        (
            "negative.json",
            edited(&|v| v["measurements"][0]["value"] = serde_json::json!(-5)),
            "negative",
        ),
        (
            "no-lab.json",
            edited(&|v| v["lab"]["id"] = serde_json::json!("no-such-lab")),
            "unknown lab",
        ),
        (
            "twice.json",
            edited(&|v| {
                let first = v["measurements"][0].clone();
                v["measurements"].as_array_mut().unwrap().push(first);
            }),
            "twice",
        ),
        (
            "script.json",
            edited(&|v| {
                v["lab"]["title"] = serde_json::json!("<script>alert(1)</script>");
                v["measurements"][0]["label"] = serde_json::json!("<script>x</script>");
                v["measurements"][0]["unit"] = serde_json::json!("<script>");
            }),
            "counted once",
        ),
        (
            "escape.json",
            edited(&|v| {
                v["measurements"][1]["label"] = serde_json::json!("\u{1b}[31mred\u{1b}[0m");
                v["host"]["python_version"] = serde_json::json!("3.11.7\u{1b}[2J");
            }),
            "Python version",
        ),
        (
            "future.json",
            edited(&|v| v["schema"] = serde_json::json!("gilsim.v2")),
            "newer",
        ),
        ("empty.json", String::new(), "empty"),
        (
            "truncated.json",
            real_text[..200].to_string(),
            "not valid JSON",
        ),
        ("notes.json", "hello, teacher".into(), "not valid JSON"),
        (
            "package.json",
            "{\"name\": \"pkg\", \"version\": \"1.0.0\"}".into(),
            "not a gilsim lab result",
        ),
    ];
    for (name, text, _) in &files {
        std::fs::write(nested.join(name), text).unwrap();
    }
    let out_dir = root.path().join("summary");
    let out = run(&[
        "lab",
        "collect",
        class.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
    ]);
    assert_success(&out);
    let terminal = stdout(&out);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    let machines = summary["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 1, "{summary}");
    assert!(machines[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("alice.json"));
    let lab = &summary["labs"][0];
    assert_eq!(summary["labs"].as_array().unwrap().len(), 1, "{summary}");
    assert_eq!(lab["title"], "One vs two CPU-bound threads");
    // The real file's figures, unchanged.
    for q in lab["quantities"].as_array().unwrap() {
        let original = real["measurements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == q["name"])
            .unwrap();
        for field in ["median", "min", "max"] {
            assert_eq!(q[field], original["value"], "{q}");
        }
        assert_eq!(q["n"], 1);
    }
    let skipped = summary["skipped"].as_array().unwrap();
    for (name, _, why) in &files {
        let entry = skipped
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} is not named: {summary}"));
        assert!(
            entry["reason"].as_str().unwrap().contains(why),
            "{name}: {entry}"
        );
        assert!(
            terminal.contains(name),
            "{name} on the terminal: {terminal}"
        );
    }
    // Nothing raw from a file reaches any output, and no number beyond what was measured.
    let mut outputs = vec![terminal.clone()];
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        outputs.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for text in &outputs {
        assert!(!text.contains("<script"), "{text}");
        assert!(!text.contains('\u{1b}'), "an escape sequence: {text}");
        assert!(
            !text.contains("18,446,744") && !text.contains("e308"),
            "{text}"
        );
    }
}

/// The browser Debian ships, where installed.
fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run installs it and runs this"]
fn the_html_report_renders_offline_in_chromium() {
    let browser = chromium().expect("chromium is installed");
    let _one_at_a_time = serial();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("report");
    let out = run(&[
        "lab",
        "run",
        "process-cost",
        "--quick",
        "--output",
        dir.to_str().unwrap(),
    ]);
    assert_success(&out);
    // A copy of the page with a script that lists each chart's rendered size; the report
    // itself has no script.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<script"));
    let probe = html.replace(
        "</body>",
        "<script>document.body.setAttribute('data-sizes', Array.from(document.querySelectorAll(\
         'figure.chart svg')).map(s => { const r = s.getBoundingClientRect(); \
         return Math.round(r.width) + 'x' + Math.round(r.height); }).join(','));</script></body>",
    );
    let probe_path = root.path().join("probe.html");
    std::fs::write(&probe_path, probe).unwrap();
    let url = format!("file://{}", probe_path.display());
    let offline = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ];
    let dom = std::process::Command::new(browser)
        .args(offline)
        .args(["--virtual-time-budget=3000", "--dump-dom", &url])
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    let sizes = dom
        .split("data-sizes=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no sizes in the DOM: {dom}"));
    let charts = results(&dir)["charts"].as_array().unwrap().len();
    let sizes: Vec<&str> = sizes.split(',').collect();
    assert_eq!(sizes.len(), charts, "{sizes:?}");
    for s in sizes {
        let (w, h) = s.split_once('x').unwrap();
        assert!(
            w.parse::<u32>().unwrap() > 100 && h.parse::<u32>().unwrap() > 100,
            "{s}"
        );
    }
    // At a phone's width (390 px) the page does not widen: wide tables scroll in their box.
    // The report in a 390 px frame; the probe reads the frame's page width.
    let probe = format!(
        "<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"f\" \
         style=\"width:390px;height:800px;border:0\" src=\"file://{}\" \
         onload=\"const d = this.contentDocument.documentElement; \
         document.body.setAttribute('data-width', d.scrollWidth + 'x' + d.clientWidth);\">\
         </iframe></body></html>",
        dir.join("report.html").display()
    );
    let narrow_path = root.path().join("narrow.html");
    std::fs::write(&narrow_path, probe).unwrap();
    let dom = std::process::Command::new(browser)
        .args(offline)
        .args([
            "--allow-file-access-from-files",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", narrow_path.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dom.stdout);
    let (page, frame) = dom
        .split("data-width=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|w| w.split_once('x'))
        .unwrap_or_else(|| panic!("no width in the DOM: {dom}"));
    let (page, frame): (u32, u32) = (page.parse().unwrap(), frame.parse().unwrap());
    assert!(frame <= 390, "a phone-sized frame: {frame}");
    assert!(
        page <= frame,
        "the page is {page} px wide in a {frame} px frame"
    );
    let shot = root.path().join("report.png");
    let status = std::process::Command::new(browser)
        .args(offline)
        .args(["--hide-scrollbars", "--window-size=1100,2400"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", dir.join("report.html").display()))
        .output()
        .expect("chromium runs");
    assert!(status.status.success());
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a screenshot with content"
    );
}

/// The checks that need 2 CPUs to mean anything.
const TWO_CPU_CHECKS: [&str; 9] = [
    "processes_beat_threads",
    "rust_scales",
    "hashing_scales",
    "rate_5000us",
    "rate_1000us",
    "old_gil_second_core_hurts",
    "subinterpreters_scale",
    "rust_race",
    "pool_pays_for_big_tasks",
];

#[test]
fn without_python_2_7_no_old_gil_check_passes_and_no_model_figure_is_graded() {
    let _one_at_a_time = serial();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("old-gil");
    // No pyenv, no Python 2 on PATH: the old GIL cannot be measured.
    let out = gilsim()
        .env_remove("PYENV_ROOT")
        .env_remove("PYENV_VERSION")
        .env("HOME", root.path())
        .env("PATH", "/usr/bin:/bin")
        .args(words(
            "lab run old-gil --quick --predict second_core_ratio=1.8",
        ))
        .args(["--output", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_success(&out);
    let r = results(&dir);
    let check = |name: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap()
    };
    let old = check("old_gil_second_core_hurts");
    assert_eq!(old["outcome"]["status"], "skipped", "{old}");
    assert!(
        old["outcome"]["reason"].as_str().unwrap().contains("2.7"),
        "{old}"
    );
    let p = &r["predictions"][0];
    assert_eq!(p["name"], "second_core_ratio");
    assert_eq!(p["grade"], "not-graded", "{p}");
    assert!(
        p["within_tolerance"].is_null() && p["measured"].is_null(),
        "{p}"
    );
    assert_eq!(p["provenance"], "model", "{p}");
    for q in r["measurements"].as_array().unwrap() {
        let name = q["name"].as_str().unwrap();
        let expected = if name.starts_with("new_") {
            "measured"
        } else {
            "model"
        };
        assert_eq!(q["provenance"], expected, "{q}");
    }
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("| provenance |") && md.contains("model ("),
        "{md}"
    );
}

#[test]
fn on_one_cpu_the_two_cpu_physics_is_skipped_and_nothing_crashes() {
    let _one_at_a_time = serial();
    let root = tempfile::tempdir().unwrap();
    for id in [
        "one-vs-two",
        "old-gil",
        "speedup",
        "c-code",
        "switch-interval",
        "not-a-lock",
    ] {
        let dir = root.path().join(id);
        let out = std::process::Command::new("taskset")
            .args([
                "-c",
                "0",
                env!("CARGO_BIN_EXE_gilsim"),
                "lab",
                "run",
                id,
                "--quick",
            ])
            .args(["--output", dir.to_str().unwrap()])
            .output()
            .expect("taskset runs");
        assert_success(&out);
        let r = results(&dir);
        assert_eq!(r["host"]["cpus"], 1, "{id}");
        for c in r["checks"].as_array().unwrap() {
            if TWO_CPU_CHECKS.contains(&c["name"].as_str().unwrap()) {
                assert_eq!(c["outcome"]["status"], "skipped", "{id}: {c}");
            }
        }
        // Settings that coincide on one CPU give no ratio, not ×1.00.
        for q in r["measurements"].as_array().unwrap() {
            if [
                "second_core_ratio",
                "new_t2_over_t1_two_cpus",
                "old_t2_over_t1_two_cpus",
            ]
            .contains(&q["name"].as_str().unwrap())
                && q["provenance"] == "measured"
            {
                assert!(q["value"].is_null(), "{id}: {q}");
            }
        }
    }
}

/// A result written by an older gilsim (`gilsim.v1` without provenance, ranges or grades) is
/// read, its figures pooled as measured.
#[test]
fn an_older_results_file_is_read() {
    let root = tempfile::tempdir().unwrap();
    let mut old: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/labs/example-one-vs-two/results.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for m in old["measurements"].as_array_mut().unwrap() {
        for key in ["provenance", "source", "interval"] {
            m.as_object_mut().unwrap().remove(key);
        }
    }
    for p in old["predictions"].as_array_mut().unwrap() {
        for key in ["grade", "interval", "provenance", "model", "note"] {
            p.as_object_mut().unwrap().remove(key);
        }
    }
    for c in old["checks"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("provenance");
    }
    std::fs::write(root.path().join("old.json"), old.to_string()).unwrap();
    let out_dir = root.path().join("summary");
    let out = run(&[
        "lab",
        "collect",
        root.path().to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
    ]);
    assert_success(&out);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["labs"][0]["results"], 1, "{summary}");
    assert_eq!(
        summary["labs"][0]["quantities"].as_array().unwrap().len(),
        old["measurements"].as_array().unwrap().len(),
        "{summary}"
    );
    // Without a range, a timing prediction is undetermined, never graded as a point.
    let p = &summary["labs"][0]["predictions"][0];
    assert_eq!(p["recorded"], 1, "{summary}");
    assert_eq!(p["undetermined"], 1, "{summary}");
}
