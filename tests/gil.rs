//! Checks of the GIL instrument itself: the exact hand-off counter against the switch
//! interval, the held shares, and an independent estimate (the sampler's observed hand-offs).
mod common;
use common::*;
use serde_json::Value;

/// Found through `_Py_DebugOffsets` (3.13+) or by calibration: both read the GIL's own state.
fn from_the_interpreter(gil: &Value) -> bool {
    gil["source"] == "calibrated" || gil["source"] == "debug-offsets"
}

/// Medians over three runs: a single run can give one thread a few percent more of the CPU.
fn gil_row(threads: &str, interval: &str, count: &str) -> (Value, Value) {
    gil_row_with(threads, interval, count, &[])
}

fn gil_row_with(threads: &str, interval: &str, count: &str, extra: &[&str]) -> (Value, Value) {
    let _one_at_a_time = serial();
    let mut args = vec![
        "countdown",
        "--runtimes",
        "python-threads",
        "--threads",
        threads,
        "--count",
        count,
        "--switch-interval",
        interval,
        "--repeat",
        "3",
        "--warmup",
        "0",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_success(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = doc["results"][0].clone();
    (row["gil"].clone(), row)
}

/// A thread runs Python only while it holds the GIL, so the GIL's held time covers the
/// threads' CPU time but for the few instructions of each hand-off. Returns the sampled held
/// seconds and the threads' CPU seconds.
fn held_and_cpu_seconds(gil: &Value) -> (f64, f64) {
    let threads = gil["threads"].as_array().cloned().unwrap_or_default();
    let figure = |t: &Value, key: &str| t[key].as_f64().unwrap_or(f64::NAN);
    let span = threads
        .iter()
        .map(|t| figure(t, "wall_s"))
        .fold(0.0, f64::max);
    let held = gil["held_fraction"].as_f64().unwrap_or(0.0) * span;
    // The GIL is held at most the whole span: CPU time beyond it was spent by threads running
    // at once (waking, going back to wait), not holding.
    let cpu: f64 = threads.iter().map(|t| figure(t, "cpu_s")).sum();
    (held, cpu.min(span))
}

/// Whether the sampled held time covers the threads' CPU time within the span (within a tenth).
fn held_covers_cpu(gil: &Value) -> bool {
    let (held, cpu) = held_and_cpu_seconds(gil);
    held >= 0.9 * cpu
}

/// Whether each thread's held share is within ten points of its CPU share and the held time
/// covers the CPU time: the checks below, as one answer.
fn shares_agree(gil: &Value) -> bool {
    let threads = gil["threads"].as_array().cloned().unwrap_or_default();
    let figure = |t: &Value, key: &str| t[key].as_f64().unwrap_or(f64::NAN);
    let cpu_total: f64 = threads.iter().map(|t| figure(t, "cpu_s")).sum();
    let held_total: f64 = threads.iter().map(|t| figure(t, "held_fraction")).sum();
    let agree = threads.iter().all(|t| {
        (figure(t, "held_fraction") / held_total - figure(t, "cpu_s") / cpu_total).abs() <= 0.10
    });
    agree && held_covers_cpu(gil)
}

/// `min_seen`: the share of exact hand-offs the sampler must see. Two hand-offs between two
/// samples look like none, so the shorter the slices, the more it misses.
fn check_two_cpu_bound_threads(interval_s: f64, interval: &str, min_seen: f64) {
    let count = "20000000";
    // The exact counter against the mechanism, without the sampler: its wake-ups compete with
    // the GIL waiters for the two cores and can stretch the slices. A CPU-bound holder is asked
    // to drop the GIL only after a waiter has waited a whole interval, so the interval caps the
    // rate. How far below the cap it lands is the host's: a waiter's timed wait ends late when
    // its CPU sits idle and is slow to be woken. A run under a tenth of the cap is measured
    // again; the check fails only when three in a row are.
    let cap_in = |row: &Value| row["wall_s"]["median"].as_f64().unwrap() / interval_s + 2.0;
    let mut attempt = 0;
    let (gil, row) = loop {
        attempt += 1;
        let (gil, row) = gil_row_with("2", interval, count, &["--gil-sampling", "counter"]);
        let switches = gil["switches"].as_f64().unwrap_or(0.0);
        if attempt == 3 || switches >= 0.1 * cap_in(&row) {
            break (gil, row);
        }
        eprintln!(
            "attempt {attempt}: {switches} hand-offs, at most {:.0}; measuring again",
            cap_in(&row)
        );
    };
    assert!(from_the_interpreter(&gil), "{gil}");
    assert_eq!(gil["sampling"], "counter", "{gil}");
    // Not sampled means absent, never zero.
    assert!(gil["held_fraction"].is_null(), "{gil}");
    for t in gil["threads"].as_array().unwrap() {
        assert!(
            t["held_fraction"].is_null() && t["cpu_s"].as_f64().unwrap() > 0.0,
            "{t}"
        );
    }
    let wall = row["wall_s"]["median"].as_f64().unwrap();
    let switches = gil["switches"].as_f64().unwrap();
    let cap = cap_in(&row);
    assert!(
        (0.1 * cap..=cap).contains(&switches),
        "{switches} hand-offs in {wall} s at {interval} s: at most {cap:.0}, at least a tenth"
    );
    // An independent estimate: the kernel's count of the workers' voluntary context switches
    // (the main thread is in the row too: it waits for them once each).
    assert_hand_offs_match_context_switches(&row, 4.0);

    // The sampler's shares, the held time and the hand-offs it saw against the same runs'
    // exact count. At 5 ms the default (shares from separate sampled runs) within a fixed band.
    // At 1 ms one run can favour a thread for a while on a shared host (CPU shares of 55/45 and worse
    // without any sampler), so there the shares are checked against the threads' own CPU time
    // in the same runs (`continuous`): the instrument must agree with the scheduler's truth.
    let short = interval_s < 0.005;
    // Another tenant that takes a core from the GIL's holder makes one run's held share drift
    // from its CPU share: up to three runs, the first that agrees is checked (an instrument
    // that disagrees with the scheduler fails all three).
    let mut attempt = 0;
    let (gil, row) = loop {
        attempt += 1;
        let (gil, row) = if short {
            gil_row_with("2", interval, count, &["--gil-sampling", "continuous"])
        } else {
            gil_row("2", interval, count)
        };
        if attempt == 3 || !short || shares_agree(&gil) {
            break (gil, row);
        }
        eprintln!("attempt {attempt}: shares off, measuring again: {gil}");
    };
    let wall = row["wall_s"]["median"].as_f64().unwrap();
    let switches = if short {
        assert_eq!(gil["sampling"], "continuous", "{gil}");
        gil["switches"].as_f64().unwrap()
    } else {
        assert_eq!(gil["sampling"], "separate", "{gil}");
        gil["sampled_switches"].as_f64().unwrap()
    };
    let threads = gil["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 2);
    let cpu_total: f64 = threads.iter().map(|t| t["cpu_s"].as_f64().unwrap()).sum();
    let held_total: f64 = threads
        .iter()
        .map(|t| t["held_fraction"].as_f64().unwrap())
        .sum();
    for t in threads {
        let held = t["held_fraction"].as_f64().unwrap();
        if short {
            let (cpu_share, held_share) =
                (t["cpu_s"].as_f64().unwrap() / cpu_total, held / held_total);
            // Ten points: on a shared host one run's held and CPU shares can drift apart by
            // several points.
            assert!(
                (held_share - cpu_share).abs() <= 0.10,
                "{}: held share {held_share:.3} vs CPU share {cpu_share:.3}",
                t["name"]
            );
        } else {
            assert!((0.40..=0.60).contains(&held), "{}: held {held}", t["name"]);
        }
        // Only one of them runs Python at a time: each spends a good part of the run off the
        // CPU. Whether the scheduler counts that as blocked (`wait_s`) or runnable varies (a
        // 3.13 run once showed 0.10 s blocked and 0.18 s runnable of 0.28 s off the CPU).
        let off_cpu = t["wall_s"].as_f64().unwrap() - t["cpu_s"].as_f64().unwrap();
        assert!(off_cpu > 0.2 * wall, "{t}");
        // Blocked within the thread's life. (Not "≤ off-CPU": these are medians over runs,
        // taken field by field, and one run's identity need not hold between medians.)
        assert!(
            t["wait_s"].as_f64().unwrap() <= t["wall_s"].as_f64().unwrap(),
            "{t}"
        );
    }
    // Two CPU-bound threads keep the GIL busy: what the sampler saw held covers what the
    // threads ran. (How long the GIL sits free between a release and the next take is the
    // host's wake-up latency, not the instrument's.)
    let (held_s, cpu_s) = held_and_cpu_seconds(&gil);
    assert!(
        held_s >= 0.9 * cpu_s,
        "GIL held {held_s:.3} s by the sampler, threads on a CPU {cpu_s:.3} s (at most the span): {gil}"
    );
    // The sampler sees a hand-off as a change of holder between two samples: at most the exact
    // count, and nearly all of them when slices are much longer than the sampling period.
    let seen = gil["handoffs_seen"].as_f64().unwrap();
    assert!(seen <= switches + 1.0, "seen {seen} > exact {switches}");
    assert!(seen >= min_seen * switches, "seen {seen} of {switches}");
    assert!(gil["sample_rate_hz"].as_f64().unwrap() >= 10_000.0, "{gil}");
}

#[test]
fn two_threads_hand_off_once_per_5ms_interval() {
    check_two_cpu_bound_threads(0.005, "0.005", 0.8);
}

#[test]
fn two_threads_hand_off_once_per_1ms_interval() {
    check_two_cpu_bound_threads(0.001, "0.001", 0.5);
}

#[test]
fn one_thread_never_hands_off() {
    let (gil, _) = gil_row("1", "0.005", "5000000");
    assert!(from_the_interpreter(&gil), "{gil}");
    assert!(gil["switches"].as_u64().unwrap() <= 2, "{gil}");
    assert!(gil["held_fraction"].as_f64().unwrap() > 0.9, "{gil}");
}

#[test]
fn sleeping_threads_leave_the_gil_free() {
    let s = script(
        "sleepers.py",
        "import threading, time\nts = [threading.Thread(target=time.sleep, args=(1.0,)) for _ in range(2)]\nfor t in ts: t.start()\nfor t in ts: t.join()\n",
    );
    let out = {
        let _one_at_a_time = serial();
        run(&["timeline", s.path_str(), "--format", "json"])
    };
    assert_success(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let held = doc["gil"]["held_fraction"].as_f64().unwrap();
    assert!(held < 0.05, "GIL held {held} while every thread slept");
    let names: Vec<&str> = doc["gil"]["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn turned_off_figures_say_unavailable_not_zero() {
    // Its threads would compete for the cores with a measuring test.
    let _one_at_a_time = serial();
    let out = run(&words("countdown --runtimes python-threads --threads 1,2 --count 1000000 --repeat 1 --warmup 0 --no-gil-stats --format json"));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gil = &doc["results"][1]["gil"];
    assert_eq!(gil["source"], "unavailable");
    assert!(gil["reason"].as_str().unwrap().contains("--no-gil-stats"));
    assert!(gil["switches"].is_null(), "{gil}");
    let verdict = doc["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("exact GIL figures unavailable"),
        "{verdict}"
    );
}

/// `gilsim timeline --scenario countdown` on 2 threads, 4M iterations, plus `extra`.
fn two_thread_timeline(extra: &[&str]) -> std::process::Output {
    let mut args = words("timeline --scenario countdown --threads 2 --count 4000000");
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn timeline_draws_one_lane_per_thread() {
    // Its threads would compete for the cores with a measuring test.
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    let out = two_thread_timeline(&["--svg", svg.to_str().unwrap(), "--window", "0.05"]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("The GIL changed hands"), "{text}");
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
    for lane in [
        "MainThread",
        "Thread-1",
        "Thread-2",
        "holding the GIL",
        "hand-off",
    ] {
        assert!(picture.contains(lane), "picture lacks {lane}");
    }
    // Slices of ~5 ms in a 50 ms window: several held segments per worker lane.
    assert!(picture.matches(r##"fill="#2ca02c""##).count() >= 6);
}

#[test]
fn timeline_json_lists_who_took_the_gil_when() {
    let _one_at_a_time = serial();
    let out = two_thread_timeline(&["--format", "json"]);
    assert_success(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let holders = doc["holders"].as_array().expect("holders");
    let exact = doc["gil"]["switches"].as_u64().unwrap();
    // The sampler can miss a short hold, never invent one: at most the exact hand-offs plus
    // the first take.
    assert!(
        holders.len() >= 3 && holders.len() as u64 <= exact + 1,
        "{doc}"
    );
    let mut last_t = 0.0;
    let mut last_thread = "";
    for h in holders {
        let (t, thread) = (h["t_s"].as_f64().unwrap(), h["thread"].as_str().unwrap());
        assert!(t >= last_t, "out of order: {holders:?}");
        assert_ne!(thread, last_thread, "a holder listed twice in a row");
        assert!(
            ["MainThread", "Thread-1", "Thread-2"].contains(&thread),
            "{thread}"
        );
        (last_t, last_thread) = (t, thread);
    }
    assert!(holders.iter().any(|h| h["thread"] == "Thread-1"));
    assert!(holders.iter().any(|h| h["thread"] == "Thread-2"));
}
