//! Lab 6: the convoy effect, an echo server thread beside CPU-bound threads.
use crate::lab::{Anchor, Context, Instructor, Lab, Measured, PredictionDef, Tolerance};
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
                "bpo-7946: the convoy effect was reported in 2010 and is still open.",
                "Why does each request cost about one interval, not half of one?",
                "asyncio runs the server and the work in one thread: would it help here?",
            ],
            wrong_answers: &[
                "\"I/O releases the GIL, so I/O threads are unaffected\"",
                "\"more CPU threads don't matter to the I/O thread\"",
            ],
        },
        measure,
    }
}

fn measure(ctx: &Context) -> Result<Measured> {
    let (intervals, duration): (&[f64], f64) = if ctx.quick {
        (&[0.005], 1.0)
    } else {
        (&[0.005, 0.001], 3.0)
    };
    let spec = ConvoySpec {
        cpu_threads: vec![0, 1, 2],
        switch_interval: intervals.to_vec(),
        duration,
        calibration: None,
        timeout: ctx.timeout,
    };
    let doc = crate::scenario::convoy::run(&spec)?;
    let mut m = Measured::default();
    let rate = |threads: usize, interval: f64| {
        doc.results
            .iter()
            .find(|r| r.cpu_threads == threads && (r.switch_interval_s - interval).abs() < 1e-9)
            .and_then(|r| r.requests_per_s)
    };
    for &interval in intervals {
        for threads in [0, 1, 2] {
            let name = if threads == 1 && interval == 0.005 {
                "requests_one_cpu_thread".to_string()
            } else {
                format!(
                    "requests_{threads}_cpu_threads_{}us",
                    (interval * 1e6).round()
                )
            };
            m.quantity(
                &name,
                &format!(
                    "requests/s, {threads} CPU thread(s), {} ms interval",
                    interval * 1e3
                ),
                rate(threads, interval),
                "req/s",
            );
        }
    }
    let (alone, one) = (rate(0, 0.005), rate(1, 0.005));
    m.check(
        "convoy",
        "One CPU-bound thread cuts the server's requests/s at least tenfold (5 ms)",
        None,
        alone.zip(one).map(|(a, o)| a >= 10.0 * o),
        format!(
            "{} req/s alone, {} with one CPU thread",
            alone.map_or("?".into(), |a| format!("{a:.0}")),
            one.map_or("?".into(), |o| format!("{o:.0}"))
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
    Ok(m)
}
