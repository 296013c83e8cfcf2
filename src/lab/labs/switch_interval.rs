//! Lab 7: the switch interval, hand-offs against `sys.setswitchinterval`.
use super::{countdown, side, times_within, Side};
use crate::domain::Runtime;
use crate::lab::{
    Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, PredictionDef, QuantityDef,
    Tolerance,
};
use crate::report::chart::{self, Axes, Chart, Series};
use crate::scenario::spec::TimelineSpec;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "switch-interval",
        title: "The switch interval and the hand-off rate",
        seconds: (10, 3),
        needs: &[],
        study_note: Some("countdown_threads.py"),
        goal: "Change sys.setswitchinterval and count the GIL's hand-offs exactly; see what tiny \
               intervals cost.",
        background: "With the new GIL a thread waiting for it asks the holder to drop it after \
                     the switch interval (default 5 ms); the holder hands it over at its next \
                     check. Two CPU-bound threads therefore swap about once per interval, plus \
                     the hand-off's own cost. gilsim reads CPython's own hand-off counter, so the \
                     numbers below are counts, not estimates. `gilsim timeline --scenario countdown \
                     --switch-interval 0.001 --svg t.svg` draws who held the GIL when.",
        questions: &[
            "Before measuring: how many hand-offs per second at a 1 ms interval?",
            "Why is the rate a little below 1/interval?",
            "What happens to the wall time at 0.1 ms, and why?",
        ],
        predictions: &[PredictionDef {
            name: "handoffs_per_s_1000us",
            question: "GIL hand-offs per second, 2 CPU-bound threads, 1 ms interval",
            unit: "/s",
            tolerance: Tolerance::Relative(0.25),
        }],
        instructor: Instructor {
            expected: "About 1/(interval + ~0.15 ms): ~190/s at 5 ms, ~850/s at 1 ms, a few \
                       thousand at 0.1 ms, where the hand-offs start to cost wall time.",
            anchors: &[Anchor {
                figure: "at a 1 µs interval: 6.89 / 17.16 / 31.68 / 86.44 s for 1 / 2 / 4 / 8 threads",
                source: "Victor Skvortsov, \"Python behind the scenes #13: the GIL and its effects \
                         on Python multithreading\" (2021)",
            }],
            discussion: &[
                "The hand-off itself: signal, wake-up, cache misses.",
                "Why not make the interval tiny for better latency (lab convoy)?",
                "Why is 1 thread's count 0 whatever the interval?",
            ],
            wrong_answers: &[
                "\"the interval is a time slice the OS enforces\"",
                "\"a shorter interval makes CPU-bound threads faster\"",
            ],
        },
        figures,
        measure,
    }
}

/// The default mode's intervals (s); `--quick` measures 5, 1 and 0.2 ms.
const INTERVALS: [f64; 5] = [0.02, 0.005, 0.001, 0.0002, 0.0001];
const QUICK: [f64; 3] = [0.005, 0.001, 0.0002];
/// The intervals whose hand-off rate is checked.
const CHECKED: [(f64, &str); 2] = [(0.005, "5 ms"), (0.001, "1 ms")];

fn us(interval: f64) -> f64 {
    (interval * 1e6).round()
}

fn figures() -> Figures {
    let mut quantities = Vec::new();
    for interval in INTERVALS {
        let us = us(interval);
        // An exact count over the run's wall time: graded by its value.
        quantities.push(
            QuantityDef::new(
                format!("handoffs_per_s_{us}us"),
                format!("hand-offs per second at {} ms", interval * 1e3),
                "/s",
            )
            .exact(),
        );
        quantities.push(QuantityDef::new(
            format!("wall_{us}us"),
            format!("wall time at {} ms", interval * 1e3),
            "s",
        ));
    }
    Figures {
        quantities,
        checks: CHECKED
            .iter()
            .map(|(interval, name)| {
                CheckDef::new(
                    format!("rate_{}us", us(*interval)),
                    format!(
                        "At {name}, hand-offs per second are within 30 % of 1/(interval + 0.15 ms)"
                    ),
                )
            })
            .collect(),
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (intervals, count, repeat): (&[f64], u64, usize) = if ctx.quick {
        (&QUICK, 8_000_000, 3)
    } else {
        (&INTERVALS, 15_000_000, 3)
    };
    let mut points = Vec::new();
    let mut walls = Vec::new();
    for &interval in intervals {
        let mut spec = countdown(count, &[2], &[], &[Runtime::PythonThreads], repeat, ctx);
        spec.switch_interval = Some(interval);
        let doc = crate::scenario::countdown::run(&spec)?;
        let row = doc.results.first();
        let rate = row
            .and_then(|r| r.gil.as_ref())
            .and_then(|g| g.switches_per_s);
        let wall = row.map(|r| r.wall_s.min);
        let us = us(interval);
        m.quantity(&format!("handoffs_per_s_{us}us"), rate);
        m.quantity(&format!("wall_{us}us"), wall);
        if let Some(r) = rate {
            points.push((interval * 1e3, r));
        }
        if let Some(r) = row {
            walls.push((interval, r.wall_s.clone()));
        }
    }
    for (interval, _) in CHECKED {
        let us = us(interval);
        let rate = m.value(&format!("handoffs_per_s_{us}us"));
        let expected = 1.0 / (interval + 0.000_15);
        // One CPU: a waiter whose wait ended runs only when the holder's scheduler time slice
        // ends, so hand-offs come in the scheduler's steps, not per switch interval.
        let one_cpu = (ctx.cpus < 2).then(|| {
            "on 1 CPU a waiting thread runs only when the holder's scheduler time slice ends, \
             so hand-offs follow the scheduler's steps, not 1/(interval + 0.15 ms); needs 2 CPUs"
                .to_string()
        });
        m.check(
            &format!("rate_{us}us"),
            one_cpu.or_else(|| super::gil_premise(ctx)),
            rate.map(|r| (r / expected - 1.0).abs() <= 0.3),
            format!(
                "{} /s measured, {expected:.0} /s expected on 2 CPUs",
                rate.map_or("unavailable".into(), |r| format!("{r:.0}"))
            ),
        );
    }
    let reference: Vec<(f64, f64)> = intervals.iter().map(|i| (i * 1e3, 1.0 / i)).collect();
    m.charts.push(chart::line(
        "handoffs-by-interval.svg",
        "GIL hand-offs per second, 2 CPU-bound threads",
        Axes {
            x_label: "switch interval (ms, log scale)",
            y_label: "hand-offs per second (log scale)",
            log_x: true,
            log_y: true,
        },
        &[
            Series {
                name: "measured (exact count)".into(),
                points,
            },
            Series {
                name: "1 / interval".into(),
                points: reference,
            },
        ],
    ));
    // Who held the GIL when: 20 ms from the middle of a 2-thread run at 1 ms.
    let spec = TimelineSpec {
        script: None,
        threads: 2,
        count: 3_000_000,
        switch_interval: Some(0.001),
        python: ctx.python.clone(),
        timeout: ctx.timeout,
        window: 0.02,
        at: None,
    };
    let recorded = crate::scenario::timeline::run(&spec)?;
    let (from, window) = crate::scenario::timeline::window(&spec, recorded.run_s())?;
    let title = "Who held the GIL: 2 threads, 1 ms switch interval";
    // A build running without its GIL has no holder to draw.
    if recorded.outcome.gil.source != "unavailable" {
        m.charts.push(Chart {
            file: "timeline-1ms.svg".into(),
            title: title.into(),
            svg: crate::scenario::timeline::picture(title, &recorded, from, window),
        });
    }
    let at = |interval: f64| {
        walls
            .iter()
            .find(|(i, _)| (*i - interval).abs() < 1e-9)
            .map(|(_, w)| w)
    };
    let shortest = intervals.iter().copied().fold(f64::INFINITY, f64::min);
    let (slower, slower_range) = match (at(shortest), at(0.005)) {
        (Some(a), Some(b)) => crate::stats::fastest_ratio(a, b),
        _ => (None, None),
    };
    let cost = match side(slower_range, 0.03) {
        Side::Above => "so many more hand-offs made the same work slower: each costs a \
                        wake-up and cold caches."
            .to_string(),
        Side::Level => "the extra hand-offs cost too little to show in the wall time.".to_string(),
        Side::Below => "the work finished sooner, which the hand-offs do not explain (the \
             machine's speed changed between runs?)."
            .to_string(),
        Side::Undetermined => {
            "the runs' range is too wide to say whether the extra hand-offs cost time.".to_string()
        }
    };
    let gil_less = ctx.python.as_ref().filter(|p| p.python_gil == Some(0));
    let cost = match gil_less {
        Some(_) => "without a GIL there were no hand-offs to cost time.".to_string(),
        None => cost,
    };
    let hand_offs = if let Some(p) = gil_less {
        format!("No hand-offs were counted: {} ran without a GIL", p.label())
    } else {
        format!(
            "The GIL changed hands {}: {}",
            if ctx.cpus < 2 {
                "in the scheduler's steps on this 1-CPU machine"
            } else {
                "about once per switch interval"
            },
            intervals
                .iter()
                .map(|i| {
                    let us = us(*i);
                    m.value(&format!("handoffs_per_s_{us}us"))
                        .map_or(format!("unavailable at {} ms", i * 1e3), |r| {
                            format!("{r:.0}/s at {} ms", i * 1e3)
                        })
                })
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    m.explanation = format!(
        "{hand_offs}. {}The wall time at {} ms was {} of the wall time at 5 ms: {cost}",
        if ctx.cpus < 2 {
            "On 1 CPU a thread whose wait has ended must also wait for the CPU, so the rate \
             levels off at what the scheduler allows. "
        } else {
            ""
        },
        shortest * 1e3,
        times_within(slower, slower_range),
    );
    m.method.push(format!(
        "gilsim countdown --threads 2 --runtimes python-threads --count {count} --repeat {repeat} \
         --warmup 0 --switch-interval S, for S in {} s; hand-offs are CPython's own switch \
         count. The picture: gilsim timeline --scenario countdown --threads 2 --count 3000000 \
         --switch-interval 0.001 --window 0.02",
        intervals
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}
