//! Lab 4: what starting a process costs, and the task size from which a process pool pays.
use crate::domain::{PoolMethod, PoolRuntime, StartMethod};
use crate::lab::{
    needs_two_cpus, script, Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, Need,
    PredictionDef, QuantityDef, Tolerance,
};
use crate::report::chart::{self, Axes, Series};
use crate::scenario::spec::PoolSpec;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "process-cost",
        title: "What a process costs, and when it pays",
        seconds: (20, 5),
        needs: &[Need::TwoCpus],
        study_note: Some("pool_map.py, start_methods.py"),
        goal: "Measure how long a pool of worker processes takes to start under spawn, forkserver \
               and fork, compare it with starting a thread, and find the task size from which \
               Pool.map beats doing the work in one process.",
        background: "multiprocessing starts a child by forking the parent (fork), by forking a \
                     clean server process (forkserver), or by starting a fresh interpreter that \
                     imports the main module (spawn). Python 3.14 made forkserver the default on \
                     Linux. A process pool only pays when the work per task outweighs starting the \
                     workers and pickling tasks and results.",
        questions: &[
            "Before measuring: how many milliseconds does a 2-worker spawn pool take to start?",
            "Rank spawn, forkserver and fork by start-up time and explain the order.",
            "From which task size does the process pool beat one process? How would more CPUs move it?",
        ],
        predictions: &[PredictionDef {
            name: "spawn_startup_ms",
            question: "Start-up of a 2-worker pool with spawn",
            unit: "ms",
            tolerance: Tolerance::Relative(0.5),
        }],
        instructor: Instructor {
            expected: "fork starts in a few milliseconds, forkserver and spawn in tens of \
                       milliseconds (spawn re-imports); a thread starts in tens to hundreds of \
                       microseconds. Tiny tasks are faster in one process; the pool wins once a \
                       task takes milliseconds, on 2 CPUs by at most ×2.",
            anchors: &[
                Anchor {
                    figure: "about 100 µs to start a thread, about 50 ms to start a process",
                    source: "PEP 703, \"Making the Global Interpreter Lock Optional in CPython\" \
                             (figures as quoted there)",
                },
                Anchor {
                    figure: "the default start method on POSIX (except macOS) changed from fork to forkserver",
                    source: "What's New in Python 3.14",
                },
            ],
            discussion: &[
                "Why is fork fast, and why is it unsafe with threads?",
                "What is pickled for each task and each result?",
                "Chunksize: how would larger chunks move the crossover?",
            ],
            wrong_answers: &[
                "\"processes are always faster for CPU work\"",
                "\"start-up is the same for every start method\"",
            ],
        },
        figures,
        measure,
    }
}

fn figures() -> Figures {
    let mut quantities: Vec<QuantityDef> = METHODS
        .iter()
        .map(|sm| {
            QuantityDef::new(
                format!("{}_startup_ms", sm.name()),
                format!("start-up of a 2-worker pool, {} (median)", sm.name()),
                "ms",
            )
        })
        .collect();
    quantities.push(QuantityDef::new(
        "thread_start_us",
        "start and join one thread",
        "µs",
    ));
    for sm in METHODS {
        quantities.push(
            QuantityDef::new(
                format!("{}_pays_from_work", sm.name()),
                format!(
                    "{}: smallest task size measured at which the pool beat one process",
                    sm.name()
                ),
                "iterations per task",
            )
            .within(0.0, 1e12),
        );
    }
    Figures {
        quantities,
        checks: vec![
            CheckDef::new(
                "fork_starts_faster",
                "A fork pool starts faster than a spawn pool",
            ),
            CheckDef::new(
                "pool_pays_for_big_tasks",
                "At the largest task size, the fork pool beats one process",
            ),
        ],
    }
}

const THREAD_START: &str = include_str!("../../../python/labs/process_cost_thread_start.py");

/// One pool row: (work per task, start method, start-up s, total s, one process's time s).
type PoolRun = (u64, StartMethod, Option<f64>, Option<f64>, Option<f64>);

const METHODS: [StartMethod; 3] = [
    StartMethod::Spawn,
    StartMethod::Forkserver,
    StartMethod::Fork,
];

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (sizes, repeat): (&[u64], usize) = if ctx.quick {
        (&[10_000, 100_000, 1_000_000], 2)
    } else {
        (&[1_000, 10_000, 100_000, 1_000_000, 3_000_000], 3)
    };
    let items = 8;
    let mut runs: Vec<PoolRun> = Vec::new();
    for &work in sizes {
        let spec = PoolSpec {
            workers: 2,
            items,
            start_method: METHODS.to_vec(),
            method: vec![PoolMethod::With],
            chunksize: Some(1),
            work,
            runtimes: vec![PoolRuntime::PythonProcesses],
            repeat,
            warmup: 0,
            python: None,
            timeout: ctx.timeout,
        };
        let doc = crate::scenario::pool::run(&spec)?;
        for row in &doc.results {
            let Some(method) = METHODS
                .iter()
                .find(|sm| Some(sm.name()) == row.start_method)
            else {
                continue;
            };
            runs.push((
                work,
                *method,
                row.startup_s,
                row.total_s.as_ref().map(|t| t.median),
                row.sequential_s,
            ));
        }
    }
    // Each pool row's start-up (one per task size): their median, and their range.
    let startups = |sm: StartMethod| -> Vec<f64> {
        runs.iter()
            .filter(|r| r.1 == sm)
            .filter_map(|r| r.2)
            .collect()
    };
    let startup = |sm: StartMethod| {
        let all = startups(sm);
        (!all.is_empty()).then(|| crate::stats::median(&all))
    };
    let thread = script::run(THREAD_START, &[], ctx.timeout)?["thread_start_s"].as_f64();
    for sm in METHODS {
        let all = startups(sm);
        let range = (all.len() >= crate::stats::MIN_RUNS_FOR_SPREAD).then(|| {
            [
                all.iter().copied().fold(f64::INFINITY, f64::min) * 1e3,
                all.iter().copied().fold(f64::NEG_INFINITY, f64::max) * 1e3,
            ]
        });
        m.quantity_within(
            &format!("{}_startup_ms", sm.name()),
            startup(sm).map(|s| s * 1e3),
            range,
        );
    }
    m.quantity("thread_start_us", thread.map(|s| s * 1e6));
    for sm in METHODS {
        let crossover = runs
            .iter()
            .filter(|r| r.1 == sm)
            .find(|r| matches!((r.3, r.4), (Some(t), Some(s)) if t < s))
            .map(|r| r.0 as f64);
        m.quantity(&format!("{}_pays_from_work", sm.name()), crossover);
    }
    let (spawn, fork) = (startup(StartMethod::Spawn), startup(StartMethod::Fork));
    m.check(
        "fork_starts_faster",
        None,
        spawn.zip(fork).map(|(s, f)| f < s),
        format!(
            "fork {} ms, spawn {} ms",
            fork.map_or("unavailable".into(), |f| format!("{:.1}", f * 1e3)),
            spawn.map_or("unavailable".into(), |s| format!("{:.1}", s * 1e3))
        ),
    );
    let largest = *sizes.last().expect("sizes");
    let fork_largest = runs
        .iter()
        .find(|r| r.0 == largest && r.1 == StartMethod::Fork)
        .and_then(|r| r.3.zip(r.4));
    m.check(
        "pool_pays_for_big_tasks",
        needs_two_cpus(ctx),
        fork_largest.map(|(t, s)| t < s),
        fork_largest.map_or("unavailable".into(), |(t, s)| {
            format!(
                "pool {:.1} ms vs one process {:.1} ms at {largest} iterations per task",
                t * 1e3,
                s * 1e3
            )
        }),
    );
    let mut bars: Vec<(String, String, f64)> = METHODS
        .iter()
        .filter_map(|sm| {
            startup(*sm).map(|s| (sm.name().to_string(), "process pool".to_string(), s * 1e3))
        })
        .collect();
    if let Some(t) = thread {
        bars.push(("thread".into(), "one thread".into(), t * 1e3));
    }
    m.charts.push(chart::bars(
        "startup.svg",
        "Start-up: a 2-worker pool by start method, and one thread",
        "milliseconds (log scale)",
        true,
        &bars,
    ));
    let series: Vec<Series> = METHODS
        .iter()
        .map(|sm| Series {
            name: sm.name().into(),
            points: runs
                .iter()
                .filter(|r| r.1 == *sm)
                .filter_map(|r| r.3.zip(r.4).map(|(t, s)| (r.0 as f64, t / s)))
                .collect(),
        })
        .collect();
    m.charts.push(chart::line(
        "pool-vs-sequential.svg",
        "Pool.map time / one process's time (below 1: the pool pays)",
        Axes {
            x_label: "countdown iterations per task (log scale)",
            y_label: "pool / one process (×, log scale)",
            log_x: true,
            log_y: true,
        },
        &series,
    ));
    let pays = |sm: &str| {
        m.value(&format!("{sm}_pays_from_work")).map_or(
            "at none of the sizes measured".into(),
            |w| {
                format!(
                    "from {} iterations per task",
                    crate::report::units::number(w)
                )
            },
        )
    };
    let thread_vs_process = match (thread, spawn.into_iter().chain(fork).reduce(f64::min)) {
        (Some(t), Some(p)) if p > t => format!(
            "Starting a pool cost {} times as long as starting a thread",
            crate::report::units::number(p / t)
        ),
        (Some(_), Some(_)) => "Starting a pool cost no more than starting a thread here".into(),
        _ => "The thread's and the pool's start-up cannot be compared (one is unavailable)".into(),
    };
    m.explanation = format!(
        "A 2-worker pool started in {} with spawn, {} with forkserver and {} with fork; one \
         thread started and joined in {}. {thread_vs_process}, so a pool pays only once each \
         task is big enough: here {} with fork and {} with spawn{}.",
        ms(spawn),
        ms(startup(StartMethod::Forkserver)),
        ms(fork),
        thread.map_or("unavailable".into(), |t| format!("{:.0} µs", t * 1e6)),
        pays("fork"),
        pays("spawn"),
        if ctx.cpus < 2 {
            " (1 CPU: the pool's workers take turns, so it can pay only by overlapping waits)"
        } else {
            ""
        }
    );
    m.method.push(format!(
        "gilsim pool --workers 2 --items {items} --chunksize 1 --method with --runtimes \
         python-processes --start-method spawn,forkserver,fork --repeat {repeat} --warmup 0 \
         --work N, for N in {}; one thread's start and join timed over 200 threads",
        sizes
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}

fn ms(s: Option<f64>) -> String {
    s.map_or("unavailable".into(), |s| format!("{:.1} ms", s * 1e3))
}
