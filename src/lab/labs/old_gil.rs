//! Lab 2: the old GIL (Python 2.7) against the new one, on 1 and 2 CPUs.
use super::{countdown, ratio, times};
use crate::domain::Runtime;
use crate::lab::{
    needs_two_cpus, Anchor, Context, Instructor, Lab, Measured, Need, PredictionDef, Tolerance,
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
                     installed and otherwise the GIL model's \"old\" policy (the report says which).",
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
        measure,
    }
}

fn find(rows: &[CountdownRow], python: Option<&str>, cpus: usize, workers: usize) -> Option<f64> {
    rows.iter()
        .find(|r| {
            r.runtime == Runtime::PythonThreads
                && r.workers == workers
                && r.cpus == Some(cpus)
                && r.python.as_ref().map(|p| p.name.as_str()) == python
        })
        .map(|r| r.wall_s.min)
}

fn measure(ctx: &Context) -> Result<Measured> {
    let (count, repeat) = if ctx.quick {
        (5_000_000, 3)
    } else {
        (15_000_000, 3)
    };
    let mut m = Measured::default();
    let two = ctx.cpus.min(2);
    let cpus: Vec<usize> = (1..=two).collect();
    let python27 = crate::interpreters::resolve("2.7").ok();
    let mut spec = countdown(
        count,
        &[1, 2],
        &[],
        &[Runtime::PythonThreads],
        repeat,
        ctx.timeout,
    );
    spec.cpus = cpus.clone();
    spec.python = vec!["embedded".into()];
    let old_name = python27.as_ref().map(|p| p.name.clone());
    if let Some(p) = &python27 {
        spec.python.insert(0, p.name.clone());
    }
    let doc = crate::scenario::countdown::run(&spec)?;
    let rows = &doc.results;
    let (old2, old1, second) = match &old_name {
        Some(name) => {
            let t = |c, w| find(rows, Some(name.as_str()), c, w);
            (
                ratio(t(two, 2), t(two, 1)),
                ratio(t(1, 2), t(1, 1)),
                ratio(t(two, 2), t(1, 2)),
            )
        }
        None => {
            // The model's old policy, with the saved calibration or documented defaults.
            let params = crate::paths::load_calibration(None)?.unwrap_or_default();
            let wall = |threads, cores| {
                let mut s = Scenario::cpu_bound(threads, count, 0.005, cores);
                s.policy = Policy::Old;
                s.main_thread = false;
                sim::simulate(&params, &s).wall_s
            };
            (
                Some(wall(2, two) / wall(1, two)),
                Some(wall(2, 1) / wall(1, 1)),
                Some(wall(2, two) / wall(2, 1)),
            )
        }
    };
    let t = |c, w| find(rows, None, c, w);
    let new2 = ratio(t(two, 2), t(two, 1));
    let new1 = ratio(t(1, 2), t(1, 1));
    let source = match &python27 {
        Some(p) => format!("Python {} ({})", p.version, p.path),
        None => "the GIL model's old policy (no Python 2.7 found)".to_string(),
    };
    m.quantity(
        "old_t2_over_t1_two_cpus",
        "old GIL: 2 threads / 1 thread, 2 CPUs",
        old2,
        "×",
    );
    m.quantity(
        "old_t2_over_t1_one_cpu",
        "old GIL: 2 threads / 1 thread, 1 CPU",
        old1,
        "×",
    );
    m.quantity(
        "second_core_ratio",
        "old GIL, 2 threads: 2 CPUs / 1 CPU",
        second,
        "×",
    );
    m.quantity(
        "new_t2_over_t1_two_cpus",
        "new GIL: 2 threads / 1 thread, 2 CPUs",
        new2,
        "×",
    );
    m.quantity(
        "new_t2_over_t1_one_cpu",
        "new GIL: 2 threads / 1 thread, 1 CPU",
        new1,
        "×",
    );
    m.check(
        "old_gil_second_core_hurts",
        "Old GIL: 2 threads are slower on 2 CPUs than on 1 (ratio > 1.05)",
        needs_two_cpus(ctx),
        second.map(|r| r > 1.05),
        format!("{} ({source})", times(second)),
    );
    m.check(
        "new_gil_parity",
        "New GIL: 2 threads take within 10 % of 1 thread's time",
        None,
        new2.map(|r| (0.9..=1.1).contains(&r)),
        format!(
            "{} on {two} CPU{}",
            times(new2),
            if two == 1 { "" } else { "s" }
        ),
    );
    let mut bars = Vec::new();
    for (label, v, group) in [
        ("old, 1 CPU", old1, "old GIL"),
        ("old, 2 CPUs", old2, "old GIL"),
        ("new, 1 CPU", new1, "new GIL"),
        ("new, 2 CPUs", new2, "new GIL"),
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
    m.explanation = format!(
        "Old GIL ({source}): 2 threads took {} of 1 thread's time on {two} CPU{} and {} on 1 CPU, \
         so the second core made 2 threads {} ({}). New GIL (the embedded CPython): {} on {two} \
         CPU{} and {} on 1 CPU: the threads take turns and a second core neither helps nor hurts.",
        times(old2),
        if two == 1 { "" } else { "s" },
        times(old1),
        match second {
            Some(r) if r > 1.05 => "slower",
            Some(r) if r < 0.95 => "faster",
            Some(_) => "about as fast",
            None => "(not measured)",
        },
        times(second),
        times(new2),
        if two == 1 { "" } else { "s" },
        times(new1),
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
    if python27.is_none() {
        m.method.push(
            "No Python 2.7: the old GIL's figures are the model's (gilsim simulate --gil old), \
             not a measurement."
                .into(),
        );
    }
    Ok(m)
}
