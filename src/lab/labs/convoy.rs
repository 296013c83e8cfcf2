//! Lab 6: the convoy effect, an echo server thread beside CPU-bound threads.
use crate::lab::{
    Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, PredictionDef, QuantityDef,
    Tolerance,
};
use crate::report::chart;
use crate::scenario::spec::ConvoySpec;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "convoy",
        title: "The convoy effect: I/O beside CPU work",
        seconds: (20, 5),
        needs: &[],
        study_note: None,
        goal: "Measure how many requests per second a Python echo server thread answers alone and \
               beside CPU-bound threads, and use the switch interval as the knob.",
        background: "Every blocking call (recv, send) gives the GIL away. When the reply arrives \
                     the I/O thread must win the GIL back from a CPU-bound thread, which keeps it \
                     until the switch interval runs out. So each request can wait a whole interval \
                     per blocking call: the I/O thread moves at the pace of the CPU threads' time \
                     slices, like a car stuck behind a convoy of trucks.",
        questions: &[
            "Before measuring: how many requests per second will the server answer with one \
             CPU-bound thread beside it (5 ms interval)?",
            "Why does a second CPU-bound thread halve it again?",
            "What does a shorter switch interval buy, and what does it cost?",
        ],
        predictions: &[PredictionDef {
            name: "requests_one_cpu_thread",
            question: "Requests per second with one CPU-bound thread, 5 ms interval",
            unit: "req/s",
            tolerance: Tolerance::Relative(0.5),
        }],
        instructor: Instructor {
            expected: "Tens of thousands of requests per second alone; about 100 with one CPU \
                       thread at 5 ms (one interval per recv/send round trip), about 50 with two.",
            anchors: &[Anchor {
                figure:
                    "~30,000 req/s alone; ~100 / ~50 / ~30 req/s with 1 / 2 / 4 CPU threads at \
                         5 ms; 11,000 / 5,500 / 2,800 at 10 µs",
                source:
                    "Victor Skvortsov, \"Python behind the scenes #13: the GIL and its effects \
                         on Python multithreading\" (2021)",
            }],
            discussion: &[
                "bpo-7946: the convoy effect was reported in 2010 and closed without a fix.",
                "Why does each request cost about one interval, not half of one?",
                "asyncio runs the server and the work in one thread: would it help here?",
            ],
            wrong_answers: &[
                "\"I/O releases the GIL, so I/O threads are unaffected\"",
                "\"more CPU threads don't matter to the I/O thread\"",
            ],
        },
        figures,
        measure,
    }
}

/// The default mode's intervals; `--quick` measures the first only.
const INTERVALS: [f64; 2] = [0.005, 0.001];
const CPU_THREADS: [usize; 3] = [0, 1, 2];
/// Runs of the graded cell (1 CPU thread at 5 ms), for the range a prediction is graded on.
const GRADED_RUNS: usize = 3;

fn name(threads: usize, interval: f64) -> String {
    if threads == 1 && interval == 0.005 {
        "requests_one_cpu_thread".to_string()
    } else {
        format!(
            "requests_{threads}_cpu_threads_{}us",
            (interval * 1e6).round()
        )
    }
}

fn figures() -> Figures {
    let mut quantities = Vec::new();
    for interval in INTERVALS {
        for threads in CPU_THREADS {
            quantities.push(
                QuantityDef::new(
                    name(threads, interval),
                    format!(
                        "requests/s, {threads} CPU thread(s), {} ms interval",
                        interval * 1e3
                    ),
                    "req/s",
                )
                .within(0.0, 1e8),
            );
        }
    }
    Figures {
        quantities,
        checks: vec![CheckDef::new(
            "convoy",
            "One CPU-bound thread cuts the server's requests/s at least tenfold (5 ms)",
        )],
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (intervals, duration): (&[f64], f64) = if ctx.quick {
        (&INTERVALS[..1], 1.0)
    } else {
        (&INTERVALS[..], 3.0)
    };
    let spec = ConvoySpec {
        cpu_threads: CPU_THREADS.to_vec(),
        switch_interval: intervals.to_vec(),
        duration,
        model: crate::scenario::spec::ModelParams::load(None)?,
        timeout: ctx.timeout,
    };
    let doc = crate::scenario::convoy::run(&spec)?;
    let rate = |threads: usize, interval: f64| {
        doc.results
            .iter()
            .find(|r| r.cpu_threads == threads && (r.switch_interval_s - interval).abs() < 1e-9)
            .and_then(|r| r.requests_per_s)
    };
    // The graded cell again, so that its prediction is graded against a range of runs.
    let mut graded: Vec<f64> = rate(1, 0.005).into_iter().collect();
    for _ in 1..GRADED_RUNS {
        let again = crate::scenario::convoy::run(&ConvoySpec {
            cpu_threads: vec![1],
            switch_interval: vec![0.005],
            ..spec.clone()
        })?;
        graded.extend(again.results.iter().filter_map(|r| r.requests_per_s));
    }
    for &interval in intervals {
        for threads in CPU_THREADS {
            let n = name(threads, interval);
            if threads == 1 && interval == 0.005 && graded.len() >= GRADED_RUNS {
                let lo = graded.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = graded.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                m.quantity_within(&n, Some(crate::stats::median(&graded)), Some([lo, hi]));
            } else {
                m.quantity(&n, rate(threads, interval));
            }
        }
    }
    let (alone, one) = (rate(0, 0.005), m.value("requests_one_cpu_thread"));
    // On one CPU the client, the server and the CPU thread share it: the scheduler's time
    // slices, not the GIL's forced hand-offs, set the server's pace.
    let one_cpu = (ctx.cpus < 2).then(|| {
        "needs 2 CPUs: on 1 CPU the client, the server and the CPU thread take turns on it, so \
         the scheduler, not the GIL's hand-offs, sets the server's pace"
            .to_string()
    });
    m.check(
        "convoy",
        one_cpu,
        alone.zip(one).map(|(a, o)| a >= 10.0 * o),
        format!(
            "{} req/s alone, {} with one CPU thread",
            alone.map_or("unavailable".into(), |a| format!("{a:.0}")),
            one.map_or("unavailable".into(), |o| format!("{o:.0}"))
        ),
    );
    let mut bars = Vec::new();
    for r in &doc.results {
        let label = format!("{} CPU, {} ms", r.cpu_threads, r.switch_interval_s * 1e3);
        if let Some(v) = r.requests_per_s {
            bars.push((label.clone(), "measured".to_string(), v));
        }
    }
    m.charts.push(chart::bars(
        "requests.svg",
        "Echo server requests per second beside CPU-bound threads",
        "requests per second (log scale)",
        true,
        &bars,
    ));
    m.explanation = doc.verdict.clone();
    m.method.push(format!(
        "gilsim convoy --cpu-threads 0,1,2 --switch-interval {} --duration {duration}",
        intervals
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    ));
    m.method.push(format!(
        "The graded cell (1 CPU thread at 5 ms) was run {GRADED_RUNS} times: its figure is the \
         median, its range the runs' lowest and highest."
    ));
    Ok(())
}
