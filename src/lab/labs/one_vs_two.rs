//! Lab 1: the study note's countdown on one thread and on two.
use super::{countdown, processes_beat_threads, ratio, times, wall};
use crate::domain::Runtime;
use crate::lab::{Anchor, Context, Instructor, Lab, Measured, Need, PredictionDef, Tolerance};
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
        measure,
    }
}

fn measure(ctx: &Context) -> Result<Measured> {
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
    let spec = countdown(
        count,
        &[1, 2, 4],
        &[1, 2, 4],
        &runtimes,
        repeat,
        ctx.timeout,
    );
    let doc = crate::scenario::countdown::run(&spec)?;
    let rows = &doc.results;
    let mut m = Measured::default();
    let t2 = ratio(
        wall(rows, Runtime::PythonThreads, 2),
        wall(rows, Runtime::PythonThreads, 1),
    );
    let t4 = ratio(
        wall(rows, Runtime::PythonThreads, 4),
        wall(rows, Runtime::PythonThreads, 1),
    );
    let p2 = ratio(
        wall(rows, Runtime::PythonThreads, 2),
        wall(rows, Runtime::PythonProcesses, 2),
    );
    let r2 = ratio(
        wall(rows, Runtime::RustThreads, 1),
        wall(rows, Runtime::RustThreads, 2),
    );
    m.quantity("t2_over_t1", "2 Python threads / 1 thread (wall)", t2, "×");
    m.quantity("t4_over_t1", "4 Python threads / 1 thread (wall)", t4, "×");
    m.quantity(
        "processes_vs_threads_2",
        "2 processes' speed / 2 threads' speed",
        p2,
        "×",
    );
    m.quantity(
        "rust_speedup_2",
        "Rust: 1 thread / 2 threads (wall)",
        r2,
        "×",
    );
    let handoffs = rows
        .iter()
        .find(|r| r.runtime == Runtime::PythonThreads && r.workers == 2)
        .and_then(|r| r.gil.as_ref())
        .and_then(|g| g.switches_per_s);
    m.quantity(
        "handoffs_per_s_2",
        "GIL hand-offs per second, 2 threads",
        handoffs,
        "/s",
    );
    m.check(
        "threads_not_faster",
        "2 Python threads are not faster than 1 by more than 10 %",
        None,
        t2.map(|r| r >= 0.9),
        format!("T2/T1 = {}", times(t2)),
    );
    processes_beat_threads(&mut m, ctx, p2);
    m.charts
        .push(crate::scenario::countdown::chart::wall_by_workers(
            "wall-by-workers.svg",
            rows,
        ));
    let parallelism = |rt: Runtime, w: usize| {
        rows.iter()
            .find(|r| r.runtime == rt && r.workers == w)
            .map(|r| format!("{:.2}", r.parallelism))
            .unwrap_or_else(|| "?".into())
    };
    m.explanation = format!(
        "2 Python threads took {} of 1 thread's time and 4 threads {}, with CPU/wall {}: one core \
         busy at a time, because only the thread holding the GIL runs Python; they handed the GIL \
         over {} times a second, about once per 5 ms switch interval. 2 processes were {} as fast \
         as 2 threads (CPU/wall {}): each has its own interpreter and GIL. Rust threads, with no \
         GIL, ran {} as fast on 2 threads as on 1.",
        times(t2),
        times(t4),
        parallelism(Runtime::PythonThreads, 2),
        handoffs.map_or("?".into(), |h| format!("{h:.0}")),
        times(p2),
        parallelism(Runtime::PythonProcesses, 2),
        times(r2),
    );
    m.method.push(format!(
        "gilsim countdown --count {count} --threads 1,2,4 --processes 1,2,4 --runtimes \
         python-threads,python-processes,rust-threads --repeat {repeat} --warmup 0 (the fastest of the runs: noise only slows a run down)"
    ));
    Ok(m)
}
