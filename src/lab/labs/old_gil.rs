//! Lab 2: the old GIL (Python 2.7) against the new one, on 1 and 2 CPUs.
use super::{countdown, times, times_within};
use crate::domain::Runtime;
use crate::lab::{
    needs_two_cpus, Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, Need,
    PredictionDef, QuantityDef, Tolerance,
};
use crate::report::chart;
use crate::scenario::countdown::CountdownRow;
use crate::sim::{self, Policy, Scenario};
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "old-gil",
        title: "Old GIL vs new: does a second core help?",
        seconds: (15, 6),
        needs: &[Need::TwoCpus, Need::Python27],
        study_note: Some("countdown_threads.py"),
        goal: "See the slowdown the study note describes, where it really happens: Python 2.7's \
               old GIL with two CPU-bound threads on two cores.",
        background: "Up to CPython 3.1 the running thread released the GIL every 100 ticks and \
                     could take it straight back; the waiting thread, woken on another core, \
                     usually found it taken again. David Beazley showed in 2009 that two threads \
                     were then slower than one, and slower on two cores than on one. CPython 3.2 \
                     replaced it with the switch-interval GIL. This lab runs Python 2.7 where it is \
                     installed. Without it the GIL model's \"old\" policy is shown beside Beazley's \
                     published figures for discussion: a model's answer, never graded.",
        questions: &[
            "Before measuring: with the old GIL, do 2 threads on 2 CPUs take more or less time than \
             on 1 CPU? By how much?",
            "Why can a second core make the old GIL slower?",
            "What did CPython 3.2 change so that this no longer happens?",
        ],
        predictions: &[PredictionDef {
            name: "second_core_ratio",
            question: "Old GIL, 2 threads: wall time on 2 CPUs divided by on 1 CPU",
            unit: "×",
            tolerance: Tolerance::Absolute(0.3),
        }],
        instructor: Instructor {
            expected: "With Python 2.7 on 2 CPUs, 2 threads take longer than 1 and longer than on \
                       1 CPU (ratio > 1); the new GIL keeps 2 threads ≈ 1 thread on both.",
            anchors: &[Anchor {
                figure: "24.6 s sequential, 45.5 s with 2 threads, 38.0 s with one core disabled",
                source: "David Beazley, \"Inside the Python GIL\", Chicago Python User Group, 2009",
            }],
            discussion: &[
                "Signals and wake-ups: who gets the GIL when the waiter runs on another core?",
                "Why did disabling a core make Beazley's run faster?",
                "The model reproduces the direction: what in the old policy causes it?",
            ],
            wrong_answers: &[
                "\"A second core always helps\": not for threads that serialise on one lock",
                "\"The new GIL has the same problem\": it hands over explicitly",
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
                "old_t2_over_t1_two_cpus",
                "old GIL: 2 threads / 1 thread, 2 CPUs",
                "×",
            ),
            QuantityDef::new(
                "old_t2_over_t1_one_cpu",
                "old GIL: 2 threads / 1 thread, 1 CPU",
                "×",
            ),
            QuantityDef::new(
                "second_core_ratio",
                "old GIL, 2 threads: 2 CPUs / 1 CPU",
                "×",
            ),
            QuantityDef::new(
                "new_t2_over_t1_two_cpus",
                "new GIL: 2 threads / 1 thread, 2 CPUs",
                "×",
            ),
            QuantityDef::new(
                "new_t2_over_t1_one_cpu",
                "new GIL: 2 threads / 1 thread, 1 CPU",
                "×",
            ),
        ],
        checks: vec![
            CheckDef::new(
                "old_gil_second_core_hurts",
                "Old GIL: 2 threads are slower on 2 CPUs than on 1 (ratio > 1.05)",
            ),
            CheckDef::new(
                "new_gil_parity",
                "New GIL: 2 threads take within 10 % of 1 thread's time",
            ),
        ],
    }
}

fn find<'a>(
    rows: &'a [CountdownRow],
    python: Option<&str>,
    cpus: usize,
    workers: usize,
) -> Option<&'a CountdownRow> {
    rows.iter().find(|r| {
        r.runtime == Runtime::PythonThreads
            && r.workers == workers
            && r.cpus == Some(cpus)
            && r.python.as_ref().map(|p| p.name.as_str()) == python
    })
}

type Ratio = (Option<f64>, Option<[f64; 2]>);

fn of(a: Option<&CountdownRow>, b: Option<&CountdownRow>) -> Ratio {
    match (a, b) {
        (Some(a), Some(b)) => crate::stats::fastest_ratio(&a.wall_s, &b.wall_s),
        _ => (None, None),
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (count, repeat) = if ctx.quick {
        (5_000_000, 3)
    } else {
        (15_000_000, 3)
    };
    // On one CPU the "2 CPUs" settings are the 1-CPU ones: their ratios are undefined.
    let two_cpus = ctx.cpus >= 2;
    let cpus: Vec<usize> = if two_cpus { vec![1, 2] } else { vec![1] };
    let python27 = crate::interpreters::resolve("2.7").ok();
    let mut spec = countdown(count, &[1, 2], &[], &[Runtime::PythonThreads], repeat, ctx);
    spec.cpus = cpus.clone();
    spec.python = vec!["embedded".into()];
    spec.interpreters = vec![None];
    if let Some(p) = &python27 {
        spec.python.insert(0, p.name.clone());
        let rows = crate::domain::ExternalPython::rows_of(p.clone());
        spec.interpreters.splice(0..0, rows.into_iter().map(Some));
    }
    let doc = crate::scenario::countdown::run(&spec)?;
    let rows = &doc.results;
    let nothing: Ratio = (None, None);
    let on_two = |r: Ratio| if two_cpus { r } else { (None, None) };
    let model_source;
    let (old2, old1, second) = match &python27 {
        Some(p) => {
            let t = |c, w| find(rows, Some(p.name.as_str()), c, w);
            let old2 = on_two(of(t(2, 2), t(2, 1)));
            let old1 = of(t(1, 2), t(1, 1));
            let second = on_two(of(t(2, 2), t(1, 2)));
            m.quantity_within("old_t2_over_t1_two_cpus", old2.0, old2.1);
            m.quantity_within("old_t2_over_t1_one_cpu", old1.0, old1.1);
            m.quantity_within("second_core_ratio", second.0, second.1);
            model_source = None;
            (old2, old1, second)
        }
        None => {
            // For discussion only: the model's old policy, never graded.
            let params = crate::paths::load_calibration(None)?.unwrap_or_default();
            let source = super::model_source(
                &params,
                &[
                    "old_release_cost_s",
                    "old_check_ticks",
                    "old_ticks_per_iteration",
                    "old_win_probability",
                ],
                ctx,
            );
            let wall = |threads, cores| {
                let mut s = Scenario::cpu_bound(threads, count, 0.005, cores);
                s.policy = Policy::Old;
                s.main_thread = false;
                sim::simulate(&params, &s).wall_s
            };
            m.modelled(
                "old_t2_over_t1_two_cpus",
                Some(wall(2, 2) / wall(1, 2)),
                &source,
            );
            m.modelled(
                "old_t2_over_t1_one_cpu",
                Some(wall(2, 1) / wall(1, 1)),
                &source,
            );
            m.modelled("second_core_ratio", Some(wall(2, 2) / wall(2, 1)), &source);
            model_source = Some(source);
            (nothing, nothing, nothing)
        }
    };
    let t = |c, w| find(rows, None, c, w);
    let new2 = on_two(of(t(2, 2), t(2, 1)));
    let new1 = of(t(1, 2), t(1, 1));
    m.quantity_within("new_t2_over_t1_two_cpus", new2.0, new2.1);
    m.quantity_within("new_t2_over_t1_one_cpu", new1.0, new1.1);
    let old_source = match &python27 {
        Some(p) => format!("Python {} ({})", p.version, p.path),
        None => "no Python 2.7".to_string(),
    };
    m.check_range(
        "old_gil_second_core_hurts",
        needs_two_cpus(ctx).or_else(|| {
            python27.is_none().then(|| {
                "needs a Python 2.7 to measure the old GIL (none found); the model's figure is \
                 shown for discussion only"
                    .to_string()
            })
        }),
        second,
        crate::lab::Bound::AtLeast(1.05),
        format!("{} ({old_source})", times_within(second.0, second.1)),
    );
    // The new GIL's parity holds on 1 CPU too: there it is checked on the 1-CPU pair.
    let (parity, parity_cpus) = if two_cpus { (new2, 2) } else { (new1, 1) };
    m.check_range(
        "new_gil_parity",
        None,
        parity,
        crate::lab::Bound::Within(0.9, 1.1),
        format!(
            "{} on {parity_cpus} CPU{}",
            times_within(parity.0, parity.1),
            if parity_cpus == 1 { "" } else { "s" }
        ),
    );
    let (model2, model1) = (
        m.any_value("old_t2_over_t1_two_cpus"),
        m.any_value("old_t2_over_t1_one_cpu"),
    );
    let mut bars = Vec::new();
    let old_group = if python27.is_some() {
        "old GIL (measured)"
    } else {
        "old GIL (model)"
    };
    for (label, v, group) in [
        ("old, 1 CPU", model1, old_group),
        ("old, 2 CPUs", model2, old_group),
        ("new, 1 CPU", new1.0, "new GIL (measured)"),
        ("new, 2 CPUs", new2.0, "new GIL (measured)"),
    ] {
        if let Some(v) = v {
            bars.push((label.to_string(), group.to_string(), v));
        }
    }
    m.charts.push(chart::bars(
        "t2-over-t1.svg",
        "2 threads' wall time / 1 thread's",
        "T2 / T1 (×)",
        false,
        &bars,
    ));
    m.explanation = explain(
        python27.as_ref().map(|p| p.version.as_str()),
        model_source.as_deref(),
        (old2, old1, second),
        (model2, model1),
        (new2, new1),
        two_cpus,
    );
    m.method.push(format!(
        "gilsim countdown --python {} --runtimes python-threads --threads 1,2 --cpus {} --count \
         {count} --repeat {repeat} --warmup 0",
        spec.python.join(","),
        cpus.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",")
    ));
    if let Some(source) = &model_source {
        m.method.push(format!(
            "No Python 2.7: the old GIL's figures are the model's ({source}; gilsim simulate --gil \
             old), shown beside Beazley's published ones for discussion, never graded."
        ));
    }
    if !two_cpus {
        m.method.push(
            "1 CPU: the 2-CPU settings coincide with the 1-CPU ones, so their ratios are \
             undefined here."
                .into(),
        );
    }
    Ok(())
}

type Three = (Ratio, Ratio, Ratio);

fn explain(
    python27: Option<&str>,
    model_source: Option<&str>,
    (old2, old1, second): Three,
    (model2, model1): (Option<f64>, Option<f64>),
    (new2, new1): (Ratio, Ratio),
    two_cpus: bool,
) -> String {
    let mut out = match (python27, model_source) {
        (Some(version), _) if two_cpus => format!(
            "Old GIL (Python {version}, measured): 2 threads took {} of 1 thread's time on 2 CPUs \
             and {} on 1 CPU; the second core made 2 threads {} ({}).",
            times_within(old2.0, old2.1),
            times_within(old1.0, old1.1),
            match super::side(second.1, 0.05) {
                super::Side::Above => "slower",
                super::Side::Below => "faster",
                super::Side::Level => "neither faster nor slower",
                super::Side::Undetermined => "undetermined: the runs' range is too wide to say",
            },
            times_within(second.0, second.1),
        ),
        (Some(version), _) => format!(
            "Old GIL (Python {version}, measured): 2 threads took {} of 1 thread's time on 1 CPU. \
             With 1 CPU the second core's effect, the heart of this lab, cannot be measured here.",
            times_within(old1.0, old1.1),
        ),
        (None, source) => format!(
            "No Python 2.7 here, so the old GIL was not measured. For discussion only, the model \
             ({}) gives 2 threads {} of 1 thread's time on 2 CPUs and {} on 1 CPU; Beazley \
             published 45.5 s against 24.6 s sequential (×1.85) on 2 cores and 38.0 s (×1.54) with \
             one core disabled.",
            source.unwrap_or("the GIL model"),
            times(model2),
            times(model1),
        ),
    };
    out += &if two_cpus {
        format!(
            " New GIL (the embedded CPython, measured): {} on 2 CPUs and {} on 1 CPU.",
            times_within(new2.0, new2.1),
            times_within(new1.0, new1.1)
        )
    } else {
        format!(
            " New GIL (the embedded CPython, measured): {} on 1 CPU.",
            times_within(new1.0, new1.1)
        )
    };
    out
}
