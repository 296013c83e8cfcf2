//! Lab 8: the GIL does not protect your data.
use crate::lab::{
    needs_two_cpus, script, Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured,
    PredictionDef, QuantityDef, Tolerance,
};
use crate::report::chart;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "not-a-lock",
        title: "The GIL is not a lock for your data",
        seconds: (6, 2),
        needs: &[],
        study_note: None,
        goal: "Show that threads lose updates to a shared counter despite the GIL, that a \
               threading.Lock fixes it, and that Rust shows the same race without any GIL.",
        background: "The GIL makes each bytecode instruction atomic, not your read-modify-write. \
                     A thread that reads a counter, calls a function and writes the result back \
                     can be switched out in between; another thread's update is then overwritten. \
                     Whether `counter += 1` alone can be interrupted depends on where the \
                     interpreter checks for a switch (it changed in CPython 3.10), so this lab \
                     measures both forms. The switch interval is set to 1 µs to make switches \
                     frequent.",
        questions: &[
            "Before measuring: what percentage of the increments does read-call-write lose with 4 threads?",
            "Why does the Lock make the count exact? What does it cost?",
            "The Rust twin has no GIL: why does its read-then-write lose updates too, and why does \
             fetch_add not?",
        ],
        predictions: &[PredictionDef {
            name: "lost_percent_read_call_write",
            question: "Share of increments lost by read-call-write without a lock, 4 threads",
            unit: "%",
            tolerance: Tolerance::Absolute(20.0),
        }],
        instructor: Instructor {
            expected: "Read-call-write loses a large share (tens of per cent) at a 1 µs interval; \
                       with a Lock none is lost. `counter += 1` loses none on CPython 3.10+ (the \
                       switch check moved to calls and backward jumps) but did on older versions. \
                       Rust's load-then-store loses updates on 2+ CPUs; fetch_add never.",
            anchors: &[Anchor {
                figure: "the GIL protects the interpreter's own state, not the atomicity of Python \
                         statements",
                source: "Python documentation, glossary: \"global interpreter lock\"",
            }],
            discussion: &[
                "Which operations are atomic in CPython, and why relying on it is fragile.",
                "Free-threaded builds: does the answer change?",
                "Data races vs race conditions: Rust forbids the first, not the second.",
            ],
            wrong_answers: &[
                "\"the GIL makes threads safe, no locks needed\"",
                "\"Rust prevents all races\"",
            ],
        },
        figures,
        measure,
    }
}

/// Runs of each Python variant: the graded figure is their median, its range theirs.
const RUNS: usize = 3;

fn figures() -> Figures {
    Figures {
        quantities: vec![
            QuantityDef::new(
                "lost_percent_plus_equals",
                "Python `counter += 1`, no lock: lost (median)",
                "%",
            ),
            QuantityDef::new(
                "lost_percent_read_call_write",
                "Python read-call-write, no lock: lost (median)",
                "%",
            ),
            QuantityDef::new(
                "lost_percent_locked",
                "Python read-call-write with a Lock: lost (median)",
                "%",
            ),
            QuantityDef::new(
                "rust_lost_percent_load_store",
                "Rust load then store: lost",
                "%",
            ),
            QuantityDef::new("rust_lost_percent_fetch_add", "Rust fetch_add: lost", "%"),
        ],
        // A Lock and fetch_add cannot lose an update: their figures are shown, not checked.
        checks: vec![
            CheckDef::new(
                "race_loses_updates",
                "Python read-call-write without a lock loses updates",
            ),
            CheckDef::new(
                "rust_race",
                "Rust's load-then-store loses updates on several CPUs",
            ),
        ],
    }
}

/// 4 threads increment a global counter `n` times each: with `counter += 1`, as
/// read-call-write, and as read-call-write under a Lock, `runs` times; prints the lost share
/// of each run.
const RACE: &str = include_str!("../../../python/labs/not_a_lock_race.py");

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let n: u64 = if ctx.quick { 50_000 } else { 300_000 };
    let out = script::run(RACE, &[n.to_string(), RUNS.to_string()], ctx.timeout)?;
    // Each variant's median over its runs, and the runs' range.
    let lost = |key: &str| -> (Option<f64>, Option<[f64; 2]>) {
        let runs: Vec<f64> = out[key]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
            .unwrap_or_default();
        if runs.is_empty() {
            return (None, None);
        }
        let lo = runs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = runs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = (runs.len() >= crate::stats::MIN_RUNS_FOR_SPREAD).then_some([lo, hi]);
        (Some(crate::stats::median(&runs)), range)
    };
    let (plus, plus_range) = lost("plus_equals");
    let (rcw, rcw_range) = lost("read_call_write");
    let (locked, locked_range) = lost("locked");
    m.quantity_within("lost_percent_plus_equals", plus, plus_range);
    m.quantity_within("lost_percent_read_call_write", rcw, rcw_range);
    m.quantity_within("lost_percent_locked", locked, locked_range);
    let total = 4 * n * 10;
    let pct = |lost: u64| 100.0 * lost as f64 / total as f64;
    let racy = pct(crate::native::race::lost_updates(4, n * 10, false));
    let atomic = pct(crate::native::race::lost_updates(4, n * 10, true));
    m.quantity("rust_lost_percent_load_store", Some(racy));
    m.quantity("rust_lost_percent_fetch_add", Some(atomic));
    let any_lost = rcw_range.map(|[_, hi]| hi > 0.0).or(rcw.map(|l| l > 0.0));
    m.check(
        "race_loses_updates",
        None,
        any_lost,
        format!(
            "{} % lost (median of {RUNS} runs{})",
            rcw.map_or("unavailable".into(), |l| format!("{l:.1}")),
            rcw_range.map_or(String::new(), |[lo, hi]| format!(
                ", range {lo:.1} – {hi:.1}"
            ))
        ),
    );
    m.check(
        "rust_race",
        needs_two_cpus(ctx),
        Some(racy > 0.0),
        format!("{racy:.1} % lost"),
    );
    let mut bars = Vec::new();
    for (label, v, group) in [
        ("+= 1", plus, "Python"),
        ("read-call-write", rcw, "Python"),
        ("with a Lock", locked, "Python"),
        ("load, store", Some(racy), "Rust"),
        ("fetch_add", Some(atomic), "Rust"),
    ] {
        if let Some(v) = v {
            bars.push((label.to_string(), group.to_string(), v));
        }
    }
    m.charts.push(chart::bars(
        "lost-updates.svg",
        "Increments lost by 4 threads sharing one counter",
        "lost (% of all increments)",
        false,
        &bars,
    ));
    let pct1 = |v: Option<f64>| v.map_or("unavailable".into(), |l| format!("{l:.1} %"));
    let python = match any_lost {
        Some(true) => format!(
            "Without a lock, Python threads lost updates although only one of them ran bytecode \
             at any moment: read-call-write lost {} (median of {RUNS} runs) and `counter += 1` \
             {}. The GIL keeps the interpreter's own state consistent; it does not make a \
             read-modify-write of yours atomic.",
            pct1(rcw),
            pct1(plus)
        ),
        Some(false) => format!(
            "In these {RUNS} runs read-call-write lost no update ({}), and `counter += 1` lost {}: \
             a race that loses nothing in one run can still lose in another, as the GIL can be \
             handed over between the read and the write.",
            pct1(rcw),
            pct1(plus)
        ),
        None => "The Python runs' figures are unavailable.".into(),
    };
    m.explanation = format!(
        "{python} With a Lock {} were lost: the lock makes each read-modify-write one step. Rust, \
         with no GIL, lost {racy:.1} % with a separate load and store{} and {atomic:.1} % with \
         fetch_add, an atomic instruction.",
        pct1(locked),
        if ctx.cpus < 2 {
            " (1 CPU: its threads interleave only when the scheduler preempts one)"
        } else {
            ""
        },
    );
    m.method.push(format!(
        "A script run by the embedded CPython build: 4 threads × {n} increments per variant, \
         {RUNS} runs each, sys.setswitchinterval(1e-6); Rust: 4 threads × {} increments in gilsim",
        n * 10
    ));
    Ok(())
}
