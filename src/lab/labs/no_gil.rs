//! Lab 11: what if there were no GIL — the model's `none` policy beside measured threads,
//! subinterpreters with their own GIL where an interpreter has them, and a free-threaded build
//! (3.13t) without its GIL where one is found.
use super::{countdown, measure_free_threaded, row, rows_ratio, times, times_within};
use crate::domain::Runtime;
use crate::lab::{
    needs_two_cpus, Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, Need,
    PredictionDef, QuantityDef, Tolerance,
};
use crate::report::chart::{self, Axes, Series};
use crate::sim::{self, Policy, Scenario};
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "no-gil",
        title: "What if there were no GIL?",
        seconds: (15, 6),
        needs: &[Need::TwoCpus, Need::Python312],
        study_note: Some("countdown_threads.py"),
        goal: "Predict what removing the GIL would do to the countdown on this machine, with the \
               GIL model, and compare with subinterpreters that each have a GIL of their own.",
        background: "Free-threaded CPython builds (3.13t, 3.14t; PEP 703) run without a GIL. \
                     Subinterpreters with their own GIL (PEP 684, 3.12+) run in parallel inside \
                     one process. gilsim's GIL model predicts the countdown under the new GIL and \
                     without one; the measured threads are the GIL build you have.",
        questions: &[
            "Before measuring: without a GIL, how much faster would 2 threads count down than 1 here?",
            "What stops the speed-up growing past the number of CPUs?",
            "What does a free-threaded build cost a single thread, and why?",
        ],
        predictions: &[PredictionDef {
            name: "parallel_speedup_2",
            question: "Speed-up of 2 workers over 1 without a shared GIL",
            unit: "×",
            tolerance: Tolerance::Relative(0.25),
        }],
        instructor: Instructor {
            expected: "Without a GIL the speed-up follows the CPU count (×2 with 2 threads on 2 \
                       CPUs); with it, ×1. Subinterpreters reach close to the CPU count too.",
            anchors: &[
                Anchor {
                    figure: "single-threaded cost of the free-threaded build about 5-10 %",
                    source: "What's New in Python 3.14 (free-threaded CPython)",
                },
                Anchor {
                    figure: "6 % (pyperformance, single thread) / 8 % overhead figures quoted for the \
                             free-threaded build",
                    source: "PEP 703, \"Making the Global Interpreter Lock Optional in CPython\"",
                },
            ],
            discussion: &[
                "Biased reference counting and per-object locks: where the single-thread cost comes from.",
                "Which existing code breaks without a GIL (lab not-a-lock)?",
                "Subinterpreters vs processes: start-up, sharing, memory.",
            ],
            wrong_answers: &[
                "\"no GIL means ×N for N threads on any machine\"",
                "\"free-threading makes single-threaded code faster\"",
            ],
        },
        figures,
        measure,
    }
}

const WORKERS: [usize; 3] = [1, 2, 4];

fn figures() -> Figures {
    let mut quantities = Vec::new();
    for w in WORKERS {
        quantities.push(QuantityDef::new(
            format!("threads_speedup_{w}"),
            format!("threads ×{w}: speed-up"),
            "×",
        ));
        quantities.push(QuantityDef::new(
            format!("model_new_speedup_{w}"),
            format!("new GIL ×{w}: speed-up"),
            "×",
        ));
        quantities.push(QuantityDef::new(
            format!("model_none_speedup_{w}"),
            format!("no GIL ×{w}: speed-up"),
            "×",
        ));
    }
    quantities.push(QuantityDef::new(
        "subinterpreters_speedup_2",
        "subinterpreters ×2: speed-up",
        "×",
    ));
    quantities.push(QuantityDef::new(
        "free_threaded_speedup_2",
        "free-threaded build, no GIL, threads ×2: speed-up",
        "×",
    ));
    quantities.push(QuantityDef::new(
        "free_threaded_single_thread_cost",
        "free-threaded build, 1 thread: wall against the GIL build of the same version",
        "×",
    ));
    quantities.push(QuantityDef::new(
        "parallel_speedup_2",
        "2 workers without a shared GIL: speed-up",
        "×",
    ));
    // The model's speed-up without a GIL is processor sharing: it cannot fail, so it is shown,
    // not checked.
    Figures {
        quantities,
        checks: vec![
            CheckDef::new(
                "subinterpreters_scale",
                "2 subinterpreters are at least ×1.5 as fast as 1",
            ),
            CheckDef::new(
                "free_threaded_scale",
                "2 threads of a free-threaded build without its GIL are at least ×1.5 as fast as 1",
            ),
        ],
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (count, repeat) = if ctx.quick {
        (8_000_000, 3)
    } else {
        (20_000_000, 3)
    };
    let doc = crate::scenario::countdown::run(&countdown(
        count,
        &WORKERS,
        &[],
        &[Runtime::PythonThreads],
        repeat,
        ctx,
    ))?;
    let rows = &doc.results;
    let params = crate::paths::load_calibration(None)?.unwrap_or_default();
    let source = super::model_source(&params, &["iteration_s", "switch_cost_s", "wakeup_s"], ctx);
    let modelled = |threads: usize, policy: Policy| {
        let mut s = Scenario::cpu_bound(threads, count, 0.005, ctx.cpus);
        s.policy = policy;
        sim::simulate(&params, &s).wall_s
    };
    let mut series = vec![
        Series {
            name: "measured threads (GIL)".into(),
            points: Vec::new(),
        },
        Series {
            name: "model, new GIL".into(),
            points: Vec::new(),
        },
        Series {
            name: "model, no GIL".into(),
            points: Vec::new(),
        },
    ];
    for w in WORKERS {
        let (measured, range) = rows_ratio(
            row(rows, Runtime::PythonThreads, 1),
            row(rows, Runtime::PythonThreads, w),
        );
        let new = modelled(1, Policy::New) / modelled(w, Policy::New);
        let none = modelled(1, Policy::None) / modelled(w, Policy::None);
        m.quantity_within(&format!("threads_speedup_{w}"), measured, range);
        m.modelled(&format!("model_new_speedup_{w}"), Some(new), &source);
        m.modelled(&format!("model_none_speedup_{w}"), Some(none), &source);
        if let Some(s) = measured {
            series[0].points.push((w as f64, s));
        }
        series[1].points.push((w as f64, new));
        series[2].points.push((w as f64, none));
    }
    // Subinterpreters, where some interpreter on the machine has them.
    let newest = crate::interpreters::discover(&[])
        .into_iter()
        .filter(|i| i.subinterpreters_own_gil)
        .max_by_key(|i| i.version_key());
    let (mut sub2, mut sub2_range) = (None, None);
    if let Some(python) = &newest {
        let mut spec = countdown(
            count,
            &[1, 2],
            &[],
            &[Runtime::PythonSubinterpreters],
            repeat,
            ctx,
        );
        spec.python = vec![python.path.clone()];
        spec.interpreters = crate::domain::ExternalPython::rows_of(python.clone())
            .into_iter()
            .map(Some)
            .collect();
        let doc = crate::scenario::countdown::run(&spec)?;
        let w = |n: usize| doc.results.iter().find(|r| r.workers == n);
        if let (Some(one), Some(two)) = (w(1), w(2)) {
            (sub2, sub2_range) = crate::stats::fastest_ratio(&one.wall_s, &two.wall_s);
        }
        m.method.push(format!(
            "gilsim countdown --python {} --runtimes python-subinterpreters --threads 1,2 --count \
             {count} --repeat {repeat} --warmup 0",
            python.path
        ));
        if let Some(s) = sub2 {
            series.push(Series {
                name: format!("subinterpreters (Python {})", python.version),
                points: vec![(1.0, 1.0), (2.0, s)],
            });
        }
    }
    m.quantity_within("subinterpreters_speedup_2", sub2, sub2_range);
    let free = measure_free_threaded(ctx, m, count, repeat, &mut series)?;
    let model2 = m.any_value("model_none_speedup_2");
    match sub2 {
        Some(s) => m.quantity_within("parallel_speedup_2", Some(s), sub2_range),
        // For discussion only: the model's answer, never graded.
        None => m.modelled("parallel_speedup_2", model2, &source),
    }
    m.check_range(
        "subinterpreters_scale",
        needs_two_cpus(ctx).or_else(|| {
            newest
                .is_none()
                .then(|| "needs a CPython 3.12+ (none found)".to_string())
        }),
        (sub2, sub2_range),
        crate::lab::Bound::AtLeast(1.5),
        format!("measured: {}", times_within(sub2, sub2_range)),
    );
    m.check_range(
        "free_threaded_scale",
        needs_two_cpus(ctx).or_else(|| {
            free.is_none()
                .then(|| "needs a free-threaded CPython (3.13t; none found)".to_string())
        }),
        free.as_ref().map_or((None, None), |f| f.speedup),
        crate::lab::Bound::AtLeast(1.5),
        format!(
            "measured: {}",
            free.as_ref()
                .map_or("not measured".into(), |f| times_within(
                    f.speedup.0,
                    f.speedup.1
                ))
        ),
    );
    m.charts.push(chart::line(
        "speedup-without-gil.svg",
        "Countdown speed-up: with the GIL, without it (model), subinterpreters",
        Axes {
            x_label: "threads",
            y_label: "speed-up over 1 (×)",
            log_x: false,
            log_y: false,
        },
        &series,
    ));
    let threads2 = times_within(
        m.value("threads_speedup_2"),
        m.quantities
            .iter()
            .find(|q| q.name == "threads_speedup_2")
            .and_then(|q| q.interval),
    );
    m.explanation = format!(
        "On {} CPU{}, the measured threads (GIL build) reached {threads2} with 2 threads. The \
         model ({source}) predicts {} under the new GIL and {} without any GIL: a model's \
         answer, for discussion. {} {}",
        ctx.cpus,
        if ctx.cpus == 1 { "" } else { "s" },
        times(m.any_value("model_new_speedup_2")),
        times(model2),
        match (&newest, sub2) {
            (Some(p), Some(_)) => format!(
                "Subinterpreters with their own GIL (Python {}, measured) reached {} with 2.",
                p.version,
                times_within(sub2, sub2_range)
            ),
            _ => "No CPython 3.12+ was found, so subinterpreters were not measured and the \
                  prediction is not graded."
                .into(),
        },
        match &free {
            Some(f) =>
                format!(
                "The free-threaded build {} without its GIL (measured) reached {} with 2 threads; \
                 one thread took {} the wall of the GIL build {} (published: {}).",
                f.name,
                times_within(f.speedup.0, f.speedup.1),
                times_within(f.cost.0, f.cost.1),
                f.gil_build.as_deref().unwrap_or("(none found: not measured)"),
                crate::scenario::countdown::PUBLISHED_SINGLE_THREAD_COST
            ),
            None => "No free-threaded build (3.13t) was found, so its figures in the instructor \
                     notes are published ones (tools/build-cpython.sh builds one)."
                .into(),
        }
    );
    m.method.insert(
        0,
        format!(
            "gilsim countdown --threads 1,2,4 --runtimes python-threads --count {count} --repeat \
             {repeat} --warmup 0; the model (gilsim simulate --gil new|none --cores {}) with \
             {}",
            ctx.cpus, params.source
        ),
    );
    Ok(())
}
