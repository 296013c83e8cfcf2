//! Lab 1: the study note's countdown on one thread and on two.
use super::{
    countdown, processes_beat_threads, processes_beat_threads_def, row, rows_ratio, side,
    times_within, Side,
};
use crate::domain::Runtime;
use crate::lab::{
    Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, Need, PredictionDef,
    QuantityDef, Tolerance,
};
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "one-vs-two",
        title: "One vs two CPU-bound threads",
        seconds: (25, 6),
        needs: &[Need::TwoCpus],
        study_note: Some("countdown_single.py, countdown_threads.py"),
        goal: "Find out whether splitting a CPU-bound Python loop over two threads makes it faster, \
               and why not.",
        background: "The study note counts 50,000,000 down to zero once in one thread, then as two \
                     halves in two threads. CPython lets one thread at a time run bytecode: the \
                     global interpreter lock (GIL). Since CPython 3.2 a waiting thread asks for the \
                     GIL after a switch interval (5 ms) and the holder hands it over.",
        questions: &[
            "Before measuring: how long will 2 threads take compared with 1 (T2/T1)? Why?",
            "What does CPU/wall (how many cores were busy) tell you about the two-thread run?",
            "Processes and Rust threads did the same work: what is different about them?",
            "The study note claims \"two threads are slower than one\". When was that true?",
        ],
        predictions: &[PredictionDef {
            name: "t2_over_t1",
            question: "Wall time of 2 threads divided by 1 thread (T2/T1)",
            unit: "×",
            tolerance: Tolerance::Absolute(0.15),
        }],
        instructor: Instructor {
            expected: "T2/T1 ≈ 1.0 on CPython 3.2+ (the new GIL): the threads take turns. Processes \
                       approach ×2 on 2 CPUs; Rust threads scale with the cores.",
            anchors: &[
                Anchor {
                    figure: "3.9: 6.52 / 6.57 / 6.59 / 6.58 s for 1 / 2 / 4 / 8 threads",
                    source: "Victor Skvortsov, \"Python behind the scenes #13: the GIL and its effects \
                             on Python multithreading\" (2021)",
                },
                Anchor {
                    figure: "6.20 s with 1 thread, 6.92 s with 2",
                    source: "Real Python, \"What Is the Python Global Interpreter Lock (GIL)?\"",
                },
            ],
            discussion: &[
                "Why is T2/T1 not 2 (twice the work) nor 0.5 (twice the cores)?",
                "Hand-offs: about one per switch interval. What would a 1 ms interval change?",
                "Where does the \"two threads are slower\" folklore come from (lab old-gil)?",
            ],
            wrong_answers: &[
                "0.5: \"two cores, twice as fast\" (true for processes and Rust, not Python threads)",
                "2.0: \"threads fight over the lock\" (the old GIL, 3.1 and before)",
            ],
        },
        figures,
        measure,
    }
}

fn figures() -> Figures {
    Figures {
        quantities: vec![
            QuantityDef::new("t2_over_t1", "2 Python threads / 1 thread (wall)", "×"),
            QuantityDef::new("t4_over_t1", "4 Python threads / 1 thread (wall)", "×"),
            QuantityDef::new(
                "processes_vs_threads_2",
                "2 processes' speed / 2 threads' speed",
                "×",
            ),
            QuantityDef::new("rust_speedup_2", "Rust: 1 thread / 2 threads (wall)", "×"),
            QuantityDef::new(
                "handoffs_per_s_2",
                "GIL hand-offs per second, 2 threads",
                "/s",
            ),
        ],
        checks: vec![
            CheckDef::new(
                "threads_not_faster",
                "2 Python threads are not faster than 1 by more than 10 %",
            ),
            processes_beat_threads_def(),
        ],
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (count, repeat) = if ctx.quick {
        (10_000_000, 3)
    } else {
        (30_000_000, 5)
    };
    let runtimes = [
        Runtime::PythonThreads,
        Runtime::PythonProcesses,
        Runtime::RustThreads,
    ];
    let spec = countdown(count, &[1, 2, 4], &[1, 2, 4], &runtimes, repeat, ctx);
    let doc = crate::scenario::countdown::run(&spec)?;
    let rows = &doc.results;
    let threads = |w| row(rows, Runtime::PythonThreads, w);
    let (t2, t2_range) = rows_ratio(threads(2), threads(1));
    let (t4, t4_range) = rows_ratio(threads(4), threads(1));
    let (p2, p2_range) = rows_ratio(threads(2), row(rows, Runtime::PythonProcesses, 2));
    let (r2, r2_range) = rows_ratio(
        row(rows, Runtime::RustThreads, 1),
        row(rows, Runtime::RustThreads, 2),
    );
    m.quantity_within("t2_over_t1", t2, t2_range);
    m.quantity_within("t4_over_t1", t4, t4_range);
    m.quantity_within("processes_vs_threads_2", p2, p2_range);
    m.quantity_within("rust_speedup_2", r2, r2_range);
    let handoffs = threads(2)
        .and_then(|r| r.gil.as_ref())
        .and_then(|g| g.switches_per_s);
    m.quantity("handoffs_per_s_2", handoffs);
    m.check_range(
        "threads_not_faster",
        super::gil_premise(ctx),
        (t2, t2_range),
        crate::lab::Bound::AtLeast(0.9),
        format!("T2/T1 = {}", times_within(t2, t2_range)),
    );
    processes_beat_threads(m, ctx, (p2, p2_range));
    m.charts
        .push(crate::scenario::countdown::chart::wall_by_workers(
            "wall-by-workers.svg",
            rows,
        ));
    let parallelism = |rt: Runtime, w: usize| row(rows, rt, w).map(|r| r.parallelism);
    m.explanation = explain(
        (t2, t2_range),
        (t4, t4_range),
        parallelism(Runtime::PythonThreads, 2),
        handoffs,
        (p2, p2_range),
        parallelism(Runtime::PythonProcesses, 2),
        (r2, r2_range),
        ctx.cpus,
        super::gil_premise(ctx).is_some(),
    );
    m.method.push(format!(
        "gilsim countdown --count {count} --threads 1,2,4 --processes 1,2,4 --runtimes \
         python-threads,python-processes,rust-threads --repeat {repeat} --warmup 0 (ratios of the \
         fastest runs: noise only slows a run down; the range beside each is their 95 % \
         bootstrap interval over rounds, each round running every setting once in a shuffled \
         order)"
    ));
    Ok(())
}

type Ratio = (Option<f64>, Option<[f64; 2]>);

/// The explanation, every clause chosen from the figures and their range.
#[allow(clippy::too_many_arguments)]
fn explain(
    t2: Ratio,
    t4: Ratio,
    busy2: Option<f64>,
    handoffs: Option<f64>,
    p2: Ratio,
    busy_processes: Option<f64>,
    r2: Ratio,
    cpus: usize,
    no_gil: bool,
) -> String {
    let mut out = match side(t2.1, 0.05) {
        Side::Level => format!(
            "2 Python threads took about as long as 1: {} of its time.",
            times_within(t2.0, t2.1)
        ),
        Side::Above => format!(
            "2 Python threads took longer than 1: {} of its time.",
            times_within(t2.0, t2.1)
        ),
        Side::Below if no_gil => format!(
            "2 Python threads finished sooner than 1: {} of its time. This free-threaded build \
             ran without a GIL, so its threads ran bytecode at once.",
            times_within(t2.0, t2.1)
        ),
        Side::Below => format!(
            "2 Python threads finished sooner than 1: {} of its time. With the GIL they cannot \
             run bytecode at once, so look for what else differed between the runs: the \
             machine's other load, or a lone thread placed on a slower CPU.",
            times_within(t2.0, t2.1)
        ),
        Side::Undetermined => format!(
            "2 Python threads took {} of 1 thread's time: undetermined, the runs' range is too \
             wide (or too few runs) to tell it from 1.",
            times_within(t2.0, t2.1)
        ),
    };
    out += &format!(" 4 threads took {} of it.", times_within(t4.0, t4.1));
    out += &match busy2 {
        Some(b) if b < 1.2 => format!(
            " CPU/wall of the 2-thread run was {b:.2}: about one core busy at a time, as when \
             only the thread holding the GIL runs Python."
        ),
        Some(b) if no_gil => format!(
            " CPU/wall of the 2-thread run was {b:.2}: more than one core was busy, as threads \
             without a GIL can keep them."
        ),
        Some(b) => format!(
            " CPU/wall of the 2-thread run was {b:.2}: more than one core was busy, which the GIL \
             alone does not explain (other work in the process, or spinning)."
        ),
        None => " CPU/wall of the 2-thread run: unavailable.".into(),
    };
    out += &match handoffs {
        Some(h) => format!(" The GIL changed hands {h:.0} times a second (switch interval 5 ms)."),
        None if no_gil => " No GIL, so no hand-offs to count.".into(),
        None => " GIL hand-offs: unavailable.".into(),
    };
    out += &match side(p2.1, 0.05) {
        Side::Above => format!(
            " 2 processes were {} as fast as 2 threads{}: each has its own interpreter and GIL.",
            times_within(p2.0, p2.1),
            busy_processes.map_or(String::new(), |b| format!(" (CPU/wall {b:.2})"))
        ),
        _ if cpus < 2 => format!(
            " 2 processes were {} as fast as 2 threads: with 1 CPU they can only take turns.",
            times_within(p2.0, p2.1)
        ),
        _ => format!(
            " 2 processes against 2 threads: {}, not clearly faster.",
            times_within(p2.0, p2.1)
        ),
    };
    out += &match side(r2.1, 0.05) {
        Side::Above => format!(
            " Rust threads, with no GIL, ran {} as fast on 2 threads as on 1.",
            times_within(r2.0, r2.1)
        ),
        _ => format!(
            " Rust threads, with no GIL, ran {} as fast on 2 threads as on 1{}.",
            times_within(r2.0, r2.1),
            if cpus < 2 {
                " (1 CPU: no room to run in parallel)"
            } else {
                ""
            }
        ),
    };
    out
}
