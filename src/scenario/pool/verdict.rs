//! The pool verdict: what each start method cost, measured, and whether processes paid off.
use super::rows::PoolRow;
use crate::domain::PoolRuntime;
use crate::report::units::seconds;
use crate::scenario::dedup;

/// The smallest relative difference between the pool and the calls in sequence that is said.
const MIN_DIFFERENCE: f64 = 0.05;

fn total(row: &PoolRow) -> Option<f64> {
    row.total_s.as_ref().map(|t| t.median)
}

pub fn write(rows: &[PoolRow]) -> String {
    let mut paragraphs = Vec::new();
    let python: Vec<&PoolRow> = rows
        .iter()
        .filter(|r| r.runtime == PoolRuntime::PythonProcesses && r.status == "ok")
        .collect();
    let methods = dedup(&python.iter().filter_map(|r| r.method).collect::<Vec<_>>());
    for method in methods {
        let of = |sm: &str| {
            python
                .iter()
                .find(|r| r.method == Some(method) && r.start_method == Some(sm))
                .copied()
        };
        let parts: Vec<String> = ["fork", "forkserver", "spawn"]
            .iter()
            .filter_map(|sm| {
                of(sm)
                    .and_then(total)
                    .map(|t| format!("{sm} {}", seconds(t)))
            })
            .collect();
        if parts.is_empty() {
            continue;
        }
        let first = python
            .iter()
            .find(|r| r.method == Some(method))
            .expect("a row");
        let mut text = format!(
            "Pool({}) mapping {} items ({method}), pool creation to shutdown: {}",
            first.workers,
            first.items,
            parts.join(", ")
        );
        if let Some(fork) = of("fork").and_then(total) {
            for sm in ["spawn", "forkserver"] {
                if let Some(t) = of(sm).and_then(total) {
                    text += &format!("; {sm} took ×{:.1} as long as fork", t / fork);
                }
            }
        }
        text += ".";
        paragraphs.push(text);
    }
    if python.iter().any(|r| r.start_method == Some("spawn")) {
        paragraphs.push(
            "spawn starts a fresh interpreter per worker, which imports the main module and unpickles what it is sent (safe, slower); fork copies the parent's memory (fast, but only the forking thread survives and locks held elsewhere stay locked); forkserver forks from a clean server process started once.".into(),
        );
    }

    // Did processes pay off against doing the calls one after another in one process?
    let ok: Vec<&PoolRow> = rows.iter().filter(|r| r.status == "ok").collect();
    if let Some(best) = ok
        .iter()
        .filter(|r| r.runtime == PoolRuntime::PythonProcesses)
        .min_by(|a, b| total(a).partial_cmp(&total(b)).expect("finite"))
    {
        if let (Some(t), Some(seq)) = (total(best), best.sequential_s) {
            // Beyond noise only: twice the pool runs' robust spread, and at least 5 %.
            let limit = best.total_s.as_ref().map_or(MIN_DIFFERENCE, |s| {
                (2.0 * s.robust_rel_spread()).max(MIN_DIFFERENCE)
            });
            paragraphs.push(if (t / seq - 1.0).abs() <= limit {
                format!(
                    "The pool and the calls one after another took about as long: the fastest Python pool ({} {}) {} against {} (×{:.2}, within noise: a real difference would have to exceed ±{:.1} %, from the pool runs' spread).",
                    best.start_method.unwrap_or(""),
                    best.method.unwrap_or(""),
                    seconds(t),
                    seconds(seq),
                    t / seq,
                    limit * 100.0
                )
            } else if t > seq {
                format!(
                    "Process overhead outweighs the work: the {} calls took {} one after another in the parent, the fastest Python pool ({} {}) {} (×{:.0} longer){}.",
                    best.items,
                    seconds(seq),
                    best.start_method.unwrap_or(""),
                    best.method.unwrap_or(""),
                    seconds(t),
                    t / seq,
                    if best.work == 0 { "; give each item real work with --work to see processes pay off" } else { "" }
                )
            } else {
                format!(
                    "The pool paid off: the fastest Python pool ({} {}) took {} against {} for the same calls one after another (×{:.2} faster).",
                    best.start_method.unwrap_or(""),
                    best.method.unwrap_or(""),
                    seconds(t),
                    seconds(seq),
                    seq / t
                )
            });
        }
    }
    let startup = |rt: PoolRuntime| {
        ok.iter()
            .find(|r| r.runtime == rt)
            .and_then(|r| r.startup_s)
    };
    if let Some(rust) = startup(PoolRuntime::RustProcesses) {
        let mut text = format!(
            "Rust processes (gilsim children over pipes) were all ready {} after the pool was created",
            seconds(rust)
        );
        for sm in ["fork", "spawn"] {
            if let Some(py) = python
                .iter()
                .find(|r| r.start_method == Some(sm))
                .and_then(|r| r.startup_s)
            {
                text += &format!(", Python's {sm} workers after {}", seconds(py));
            }
        }
        text += ": a process start itself is cheap; a spawned Python worker also starts an interpreter and imports what it needs.";
        paragraphs.push(text);
    }
    let wrong: Vec<String> = ok
        .iter()
        .filter(|r| !r.results_ok)
        .map(|r| r.runtime.name().to_string())
        .collect();
    if !wrong.is_empty() {
        paragraphs.push(format!("WRONG RESULTS from: {}.", wrong.join(", ")));
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.status != "ok")
        .map(|r| {
            let name = [Some(r.runtime.name()), r.start_method, r.method];
            let name: Vec<&str> = name.into_iter().flatten().collect();
            let error = r.error.as_deref().unwrap_or("failed");
            format!("{}: {error}", name.join(" "))
        })
        .collect();
    if !failed.is_empty() {
        paragraphs.push(format!("Failed rows: {}.", failed.join("; ")));
    }
    paragraphs.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;

    fn python(start_method: &'static str, total: f64, startup: f64) -> PoolRow {
        PoolRow {
            runtime: PoolRuntime::PythonProcesses,
            method: Some("close-join"),
            start_method: Some(start_method),
            workers: 8,
            items: 1024,
            chunksize: None,
            work: 0,
            startup_s: Some(startup),
            map_s: Some(total / 2.0),
            total_s: Some(Summary::of(&[total, total * 1.01, total * 0.99])),
            items_per_s: Some(1024.0 / (total / 2.0)),
            sequential_s: Some(0.002),
            results_ok: true,
            gil: None,
            status: "ok",
            error: None,
            other_load: Some(0.0),
        }
    }

    fn rust(runtime: PoolRuntime, startup: f64) -> PoolRow {
        PoolRow {
            runtime,
            method: None,
            start_method: None,
            ..python("fork", 0.01, startup)
        }
    }

    #[test]
    fn overhead_outweighs_the_work() {
        let rows = [
            python("fork", 0.030, 0.004),
            python("forkserver", 0.090, 0.050),
            python("spawn", 0.300, 0.250),
            rust(PoolRuntime::RustThreads, 0.000_1),
            rust(PoolRuntime::RustProcesses, 0.002),
        ];
        insta::assert_snapshot!("overhead_outweighs_the_work", write(&rows));
    }

    #[test]
    fn the_pool_paid_off() {
        let busy = |sm, total| PoolRow {
            work: 1_000_000,
            sequential_s: Some(2.0),
            ..python(sm, total, 0.01)
        };
        let rows = [busy("fork", 0.6), busy("spawn", 0.9)];
        insta::assert_snapshot!("the_pool_paid_off", write(&rows));
    }

    #[test]
    fn a_difference_within_the_pool_runs_noise_is_not_a_finding() {
        // The pool 3 % faster than the calls in sequence, its runs spread ±10 %.
        let rows = [PoolRow {
            work: 1_000_000,
            sequential_s: Some(1.0),
            total_s: Some(Summary::of(&[0.97, 1.07, 0.87, 0.97, 1.10])),
            ..python("fork", 0.97, 0.01)
        }];
        let text = write(&rows);
        assert!(text.contains("about as long"), "{text}");
        assert!(!text.contains("paid off"), "{text}");
        assert!(!text.contains("outweighs"), "{text}");
    }

    #[test]
    fn wrong_results_and_failed_rows_are_named() {
        let rows = [
            PoolRow {
                results_ok: false,
                ..python("fork", 0.03, 0.004)
            },
            PoolRow {
                status: "timeout",
                error: Some("timed out after 300 s".into()),
                total_s: None,
                ..python("spawn", 0.3, 0.2)
            },
        ];
        insta::assert_snapshot!("wrong_results_and_failed_rows", write(&rows));
    }
}
