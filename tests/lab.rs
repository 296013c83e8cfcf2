//! `gilsim lab`: every lab end to end in quick mode (real scenarios, real processes), the
//! report files it writes, grading, the class summary, and the HTML in a real browser.
mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

const LABS: [&str; 11] = [
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
    let notes = stdout(&run(&["lab", "show", "convoy", "--instructor"]));
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
        vec!["lab", "run", "no-such-lab", "--quick"],
        vec!["lab", "run", "convoy", "--quick", "--predict", "nonsense=3"],
        vec![
            "lab",
            "run",
            "convoy",
            "--quick",
            "--predict",
            "requests_one_cpu_thread=fast",
        ],
        vec![
            "lab",
            "run",
            "convoy",
            "--quick",
            "--predict",
            "requests_one_cpu_thread",
        ],
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
        for p in predictions {
            assert!(
                p["predicted"].is_null() && p["within_tolerance"].is_null(),
                "{id}: {p}"
            );
            assert!(
                p["measured"].as_f64().is_some(),
                "{id}: every prediction is measured: {p}"
            );
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
        assert!(!charts.is_empty(), "{id}: a chart");
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
        .contains("within tolerance"));
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
        skipped[0]["reason"].as_str().unwrap().contains("malformed"),
        "{summary}"
    );
    for file in ["summary.md", "summary.html"] {
        assert!(summary_dir.join(file).is_file(), "{file}");
    }
    // Nothing but lab results: exit 1, said on stderr.
    let out = run(&["lab", "collect", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
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
