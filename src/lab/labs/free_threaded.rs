//! Lab 12: a free-threaded CPython (3.13t) — what two threads of a pure-Python loop gain
//! without a GIL, what one thread pays for it against the GIL build of the same version, and
//! what happens when the threads share one dict. Skipped, with the reason, where no
//! free-threaded build is found.
use super::{measure_free_threaded, times_within};
use crate::domain::SharingWorkload;
use crate::lab::{
    needs_two_cpus, Anchor, Bound, CheckDef, Context, Figures, Instructor, Lab, Measured, Need,
    PredictionDef, QuantityDef, Tolerance,
};
use crate::report::chart::{self, Axes};
use crate::scenario::spec::SharingSpec;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "free-threaded",
        title: "Free-threaded CPython and shared objects",
        seconds: (25, 10),
        needs: &[Need::TwoCpus, Need::FreeThreaded],
        study_note: Some("countdown_threads.py"),
        goal: "Predict, then measure on a free-threaded build (3.13t): the 2-thread speed-up of \
               the countdown, what one thread pays against the GIL build of the same version, \
               and the 2-thread speed-up when both threads update one shared dict.",
        background: "A free-threaded CPython (PEP 703) runs without a GIL: threads run Python \
                     bytecode at once. To stay correct it makes reference counting atomic where \
                     objects are shared and guards each list and dict with a lock of its own (a \
                     critical section), and 3.13t runs without the specializing interpreter. \
                     Threads that share one object pay for it.",
        questions: &[
            "Before measuring: how much faster will 2 threads count down than 1 on 3.13t?",
            "What does one thread pay on 3.13t against 3.13, and why?",
            "Two threads updating one shared dict: faster, the same, or slower than one thread?",
        ],
        predictions: &[
            PredictionDef {
                name: "free_threaded_speedup_2",
                question: "Speed-up of 2 countdown threads over 1 on the free-threaded build",
                unit: "×",
                tolerance: Tolerance::Relative(0.2),
            },
            PredictionDef {
                name: "free_threaded_single_thread_cost",
                question: "1 thread's wall on the free-threaded build over the GIL build's",
                unit: "×",
                tolerance: Tolerance::Relative(0.15),
            },
            PredictionDef {
                name: "shared_dict_speedup_2",
                question: "Operations per second of 2 threads updating one shared dict, over 1",
                unit: "×",
                tolerance: Tolerance::Relative(0.25),
            },
        ],
        instructor: Instructor {
            expected: "On 2 CPUs: the countdown close to ×2 with 2 threads; one thread clearly \
                       slower than the GIL build of the same version (published: about 40 % for \
                       3.13t); one shared dict below ×1 while own dicts come close to ×2. \
                       docs/figures.md has the figures measured on the developers' machine, with \
                       the commands that made them.",
            anchors: &[
                Anchor {
                    figure: "3.13t about 40 % slower single-threaded on pyperformance",
                    source: "Python 3.13 free-threading HOWTO (docs.python.org, howto/free-threading-python)",
                },
                Anchor {
                    figure: "3.14t roughly 5-10 % slower single-threaded",
                    source: "What's New in Python 3.14 (free-threaded CPython)",
                },
            ],
            discussion: &[
                "Biased reference counting: why an object one thread owns is cheap and a shared one is not.",
                "Per-object locks (critical sections): what a shared dict's threads wait for.",
                "Why 3.14t pays far less than 3.13t (the specializing interpreter, deferred reference counts).",
            ],
            wrong_answers: &[
                "\"no GIL means shared objects scale too\"",
                "\"free-threading makes single-threaded code faster\"",
            ],
        },
        figures,
        measure,
    }
}

fn figures() -> Figures {
    Figures {
        quantities: vec![
            QuantityDef::new(
                "free_threaded_speedup_2",
                "free-threaded build, no GIL, countdown threads ×2: speed-up",
                "×",
            ),
            QuantityDef::new(
                "free_threaded_single_thread_cost",
                "free-threaded build, 1 thread: wall against the GIL build of the same version",
                "×",
            ),
            QuantityDef::new(
                "own_dict_speedup_2",
                "free-threaded build, 2 threads each updating its own dict: speed-up",
                "×",
            ),
            QuantityDef::new(
                "shared_dict_speedup_2",
                "free-threaded build, 2 threads updating one shared dict: speed-up",
                "×",
            ),
        ],
        checks: vec![
            CheckDef::new(
                "free_threaded_scale",
                "2 threads of a free-threaded build without its GIL are at least ×1.5 as fast as 1",
            ),
            CheckDef::new(
                "shared_dict_does_not_scale",
                "2 threads sharing one dict reach at most ×1.2 the operations per second of 1",
            ),
        ],
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (count, repeat, iterations) = if ctx.quick {
        (8_000_000, 3, 300_000)
    } else {
        (20_000_000, 3, 1_000_000)
    };
    let mut series = Vec::new();
    let free = measure_free_threaded(ctx, m, count, repeat, &mut series)?;
    let missing = || {
        free.is_none().then(|| {
            "needs a free-threaded CPython (3.13t; none found: tools/build-cpython.sh builds one)"
                .to_string()
        })
    };
    let (mut own, mut shared) = ((None, None), (None, None));
    if let Some(f) = &free {
        let doc = crate::scenario::sharing::run(&SharingSpec {
            pythons: vec![f.python.clone()],
            threads: vec![1, 2],
            workloads: vec![SharingWorkload::DictUpdate],
            iterations,
            repeat,
            timeout: ctx.timeout,
        })?;
        let at = |sharing: &str| {
            doc.results
                .iter()
                .find(|r| r.threads == 2 && r.sharing == sharing)
                .map_or((None, None), |r| (r.speedup, r.speedup_interval))
        };
        (own, shared) = (at("own"), at("shared"));
        m.method.push(format!(
            "gilsim sharing --python {} --threads 1,2 --workloads dict-update --iterations \
             {iterations} --repeat {repeat}",
            f.python.path
        ));
        for (name, speedup) in [("own dicts", own.0), ("one shared dict", shared.0)] {
            series.push(crate::report::chart::Series {
                name: name.into(),
                points: std::iter::once((1.0, 1.0))
                    .chain(speedup.map(|s| (2.0, s)))
                    .collect(),
            });
        }
    }
    m.quantity_within("own_dict_speedup_2", own.0, own.1);
    m.quantity_within("shared_dict_speedup_2", shared.0, shared.1);
    let speedup = free.as_ref().map_or((None, None), |f| f.speedup);
    m.check_range(
        "free_threaded_scale",
        needs_two_cpus(ctx).or_else(missing),
        speedup,
        Bound::AtLeast(1.5),
        format!("measured: {}", times_within(speedup.0, speedup.1)),
    );
    m.check_range(
        "shared_dict_does_not_scale",
        needs_two_cpus(ctx).or_else(missing),
        shared,
        Bound::AtMost(1.2),
        format!("measured: {}", times_within(shared.0, shared.1)),
    );
    if !series.is_empty() {
        m.charts.push(chart::line(
            "free-threaded.svg",
            "Speed-up over 1 thread on the free-threaded build",
            Axes {
                x_label: "threads",
                y_label: "speed-up over 1 (×)",
                log_x: false,
                log_y: false,
            },
            &series,
        ));
    }
    m.explanation = match &free {
        None => "No free-threaded CPython was found (PATH, pyenv, uv, ~/.cache/gilsim/cpython), \
                 so nothing was measured and no prediction is graded: tools/build-cpython.sh \
                 builds 3.13.5t and 3.13.5."
            .into(),
        Some(f) => format!(
            "On {} CPU{}, the free-threaded build {} without its GIL ran the countdown {} as \
             fast on 2 threads as on 1; one thread took {} the wall of the GIL build {} \
             (published: {}). Two threads each updating their own dict reached {} the \
             operations per second of one; updating one shared dict, {}.",
            ctx.cpus,
            if ctx.cpus == 1 { "" } else { "s" },
            f.name,
            times_within(f.speedup.0, f.speedup.1),
            times_within(f.cost.0, f.cost.1),
            f.gil_build
                .as_deref()
                .unwrap_or("(none found: not measured)"),
            crate::scenario::countdown::PUBLISHED_SINGLE_THREAD_COST,
            times_within(own.0, own.1),
            times_within(shared.0, shared.1)
        ),
    };
    Ok(())
}
