//! Lab 3: speed-up of threads, processes and Rust threads on CPU work, 1 to 4 workers.
use super::{
    countdown, processes_beat_threads, processes_beat_threads_def, row, rows_ratio, times,
    times_within,
};
use crate::domain::Runtime;
use crate::lab::{
    needs_two_cpus, Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, Need,
    PredictionDef, QuantityDef, Tolerance,
};
use crate::report::chart::{self, Axes, Series};
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "speedup",
        title: "Threads vs processes vs Rust on CPU work",
        seconds: (20, 6),
        needs: &[Need::TwoCpus],
        study_note: Some("countdown_threads.py, countdown_processes.py"),
        goal: "Draw the speed-up curve of 1 to 4 workers for Python threads, Python processes and \
               Rust threads, and explain its shape from the number of CPUs.",
        background: "Speed-up is one worker's wall time divided by N workers' for the same total \
                     work. Python threads share one GIL; each Python process has its own \
                     interpreter and GIL; Rust threads have no GIL at all. No runtime can beat the \
                     number of CPUs.",
        questions: &[
            "Before measuring: what speed-up will 4 processes reach on this machine? Why that number?",
            "Why does the process curve flatten where it does?",
            "Rust threads and Python processes both scale: what does each cost that the other does not?",
        ],
        predictions: &[PredictionDef {
            name: "process_speedup_4",
            question: "Speed-up of 4 Python processes over 1 Python thread",
            unit: "×",
            tolerance: Tolerance::Relative(0.25),
        }],
        instructor: Instructor {
            expected: "Threads stay at ×1.0; processes and Rust threads rise to about the number of \
                       CPUs (×2 on 2 CPUs, less the processes' start-up) and stay flat beyond it.",
            anchors: &[Anchor {
                figure: "fib(35) × 20: sequential 35.36 s, thread pool 39.86 s, process pool 10.02 s",
                source: "Real Python, GIL article series (fib(35) × 20 benchmark)",
            }],
            discussion: &[
                "Amdahl: what part of the processes' run is serial (start-up, joining)?",
                "Why is the thread curve flat rather than falling (compare lab old-gil)?",
                "What would change on a 16-CPU laptop? Ask a classmate's results (lab collect).",
            ],
            wrong_answers: &[
                "×4 for 4 processes on a 2-CPU machine",
                "\"threads help a little because of hyper-threading\"",
            ],
        },
        figures,
        measure,
    }
}

const WORKERS: [usize; 4] = [1, 2, 3, 4];
const RUNTIMES: [Runtime; 3] = [
    Runtime::PythonThreads,
    Runtime::PythonProcesses,
    Runtime::RustThreads,
];

fn short(rt: Runtime) -> &'static str {
    match rt {
        Runtime::PythonThreads => "thread",
        Runtime::PythonProcesses => "process",
        _ => "rust",
    }
}

fn figures() -> Figures {
    let mut quantities = Vec::new();
    for rt in RUNTIMES {
        for w in WORKERS {
            quantities.push(QuantityDef::new(
                format!("{}_speedup_{w}", short(rt)),
                format!("{} ×{w}: speed-up", rt.name()),
                "×",
            ));
        }
    }
    Figures {
        quantities,
        checks: vec![
            processes_beat_threads_def(),
            CheckDef::new(
                "threads_flat",
                "4 Python threads are not faster than 1 by more than 10 %",
            ),
            CheckDef::new(
                "rust_scales",
                "2 Rust threads are at least ×1.4 as fast as 1",
            ),
        ],
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (count, repeat) = if ctx.quick {
        (6_000_000, 3)
    } else {
        (25_000_000, 3)
    };
    let (workers, runtimes) = (WORKERS, RUNTIMES);
    let spec = countdown(count, &workers, &workers, &runtimes, repeat, ctx);
    let doc = crate::scenario::countdown::run(&spec)?;
    let rows = &doc.results;
    let base = |rt: Runtime| match rt {
        Runtime::RustThreads => row(rows, Runtime::RustThreads, 1),
        _ => row(rows, Runtime::PythonThreads, 1),
    };
    let ranged = |rt: Runtime, w: usize| rows_ratio(base(rt), row(rows, rt, w));
    let speedup = |rt: Runtime, w: usize| ranged(rt, w).0;
    for rt in runtimes {
        for w in workers {
            let (s, range) = ranged(rt, w);
            m.quantity_within(&format!("{}_speedup_{w}", short(rt)), s, range);
        }
    }
    // Processes against threads, round by round: threads' wall over processes'.
    let p2 = rows_ratio(
        row(rows, Runtime::PythonThreads, 2),
        row(rows, Runtime::PythonProcesses, 2),
    );
    processes_beat_threads(m, ctx, p2);
    let (t4, t4_range) = ranged(Runtime::PythonThreads, 4);
    m.check_range(
        "threads_flat",
        super::gil_premise(ctx),
        (t4, t4_range),
        crate::lab::Bound::AtMost(1.1),
        format!("speed-up {}", times_within(t4, t4_range)),
    );
    let (r2, r2_range) = ranged(Runtime::RustThreads, 2);
    m.check_range(
        "rust_scales",
        needs_two_cpus(ctx),
        (r2, r2_range),
        crate::lab::Bound::AtLeast(1.4),
        format!("speed-up {}", times_within(r2, r2_range)),
    );
    let series: Vec<Series> = runtimes
        .iter()
        .map(|rt| Series {
            name: rt.name().into(),
            points: workers
                .iter()
                .filter_map(|&w| speedup(*rt, w).map(|s| (w as f64, s)))
                .collect(),
        })
        .chain(std::iter::once(Series {
            name: format!("CPUs ({})", ctx.cpus),
            points: workers
                .iter()
                .map(|&w| (w as f64, w.min(ctx.cpus) as f64))
                .collect(),
        }))
        .collect();
    m.charts.push(chart::line(
        "speedup.svg",
        "Speed-up by workers (1 Python thread = ×1; Rust: 1 Rust thread)",
        Axes {
            x_label: "workers",
            y_label: "speed-up (×)",
            log_x: false,
            log_y: false,
        },
        &series,
    ));
    m.explanation = format!(
        "On {} CPU{}: Python threads reached {} with 4 workers, Python processes {} with 2 and {} \
         with 4, Rust threads {} with 2. {}",
        ctx.cpus,
        if ctx.cpus == 1 { "" } else { "s" },
        times_within(t4, t4_range),
        times(speedup(Runtime::PythonProcesses, 2)),
        times(speedup(Runtime::PythonProcesses, 4)),
        times_within(r2, r2_range),
        if ctx.cpus < 2 {
            "With 1 CPU no runtime can run two workers at once, so none can speed up: the GIL's \
             effect on threads needs 2 CPUs to show."
        } else {
            "Threads share one GIL, so only one runs Python at a time; processes and Rust \
             threads can use every CPU, and none can go past the number of CPUs."
        }
    );
    m.method.push(format!(
        "gilsim countdown --count {count} --threads 1,2,3,4 --processes 1,2,3,4 --runtimes \
         python-threads,python-processes,rust-threads --repeat {repeat} --warmup 0 (ratios of the fastest runs; ranges: 95 % bootstrap intervals over rounds)"
    ));
    Ok(())
}
