//! Lab 5: C code that releases the GIL (hashlib on large buffers) beside the countdown.
use super::times_within;
use crate::lab::{
    needs_two_cpus, script, Anchor, Bound, CheckDef, Context, Figures, Instructor, Lab, Measured,
    Need, PredictionDef, QuantityDef, Tolerance,
};
use crate::report::chart::{self, Axes, Series};
use crate::stats::Summary;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "c-code",
        title: "C code that releases the GIL (hashlib)",
        seconds: (5, 2),
        needs: &[Need::TwoCpus],
        study_note: None,
        goal:
            "Show that threads do run in parallel when the work is C code that releases the GIL, \
               and contrast it with the pure-Python countdown.",
        background:
            "hashlib releases the GIL while it hashes a buffer larger than 2 KiB, so other \
                     threads can run Python (or hash) meanwhile. The same threads running a Python \
                     loop hold the GIL all the time. This lab hashes the same buffers with 1, 2 \
                     and 4 threads, and counts down with 1 and 2.",
        questions: &[
            "Before measuring: how much faster will 2 threads hash the same data than 1?",
            "Why do the hashing threads scale when the countdown threads do not?",
            "Name other standard-library calls that release the GIL.",
        ],
        predictions: &[PredictionDef {
            name: "hash_speedup_2",
            question: "Speed-up of 2 hashing threads over 1",
            unit: "×",
            tolerance: Tolerance::Absolute(0.3),
        }],
        instructor: Instructor {
            expected: "Hashing: ×1.7-2.0 with 2 threads on 2 CPUs, no further gain past the CPU \
                       count. Countdown: ×1.0.",
            anchors: &[Anchor {
                figure: "hashlib in threads: 3.30 / 1.68 / 1.50 / 1.60 s for 1 / 2 / 4 / 8 threads",
                source:
                    "Victor Skvortsov, \"Python behind the scenes #13: the GIL and its effects \
                         on Python multithreading\" (2021)",
            }],
            discussion: &[
                "Where exactly is the GIL released (Py_BEGIN_ALLOW_THREADS)?",
                "Why does a small buffer (under 2 KiB) not release it?",
                "numpy, zlib, file and socket I/O: the same pattern.",
            ],
            wrong_answers: &[
                "\"no Python code can ever run in parallel\"",
                "\"4 threads hash 4 times as fast\" on a 2-CPU machine",
            ],
        },
        figures,
        measure,
    }
}

fn figures() -> Figures {
    let mut quantities: Vec<QuantityDef> = [1, 2, 4]
        .iter()
        .map(|w| {
            QuantityDef::new(
                format!("hash_{w}_s"),
                format!("hash with {w} thread(s), median"),
                "s",
            )
        })
        .collect();
    quantities.extend([
        QuantityDef::new("hash_speedup_2", "hashing: 1 thread / 2 threads", "×"),
        QuantityDef::new("hash_speedup_4", "hashing: 1 thread / 4 threads", "×"),
        QuantityDef::new(
            "countdown_speedup_2",
            "countdown: 1 thread / 2 threads",
            "×",
        ),
    ]);
    Figures {
        quantities,
        checks: vec![
            CheckDef::new(
                "hashing_scales",
                "2 hashing threads are at least ×1.4 as fast as 1",
            ),
            CheckDef::new(
                "countdown_does_not",
                "2 countdown threads are not faster than 1 by more than 10 %",
            ),
        ],
    }
}

/// Times hashing `buffers` buffers of `size_mb` MiB and counting down `count`, split over
/// 1, 2, 4 (hash) and 1, 2 (countdown) threads, `repeat` rounds: every round's time.
const HASH: &str = include_str!("../../../python/labs/c_code_hash.py");

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let (size_mb, buffers, count, repeat) = if ctx.quick {
        (4, 8, 1_500_000, 3)
    } else {
        (16, 16, 6_000_000, 5)
    };
    let args: Vec<String> = [size_mb, buffers, count, repeat]
        .iter()
        .map(|v| v.to_string())
        .collect();
    let out = script::run(HASH, &args, ctx.timeout)?;
    let runs = |k: &str| -> Option<Summary> {
        let v: Vec<f64> = out[k]
            .as_array()?
            .iter()
            .filter_map(|x| x.as_f64())
            .filter(|x| x.is_finite() && *x > 0.0)
            .collect();
        (!v.is_empty()).then(|| Summary::of(&v))
    };
    let speed = |k: &str, base: &str| match (runs(base), runs(k)) {
        (Some(b), Some(t)) => crate::stats::fastest_ratio(&b, &t),
        _ => (None, None),
    };
    for w in [1, 2, 4] {
        m.quantity(
            &format!("hash_{w}_s"),
            runs(&format!("hash_{w}")).map(|s| s.median),
        );
    }
    let (h2, h2_range) = speed("hash_2", "hash_1");
    let (h4, h4_range) = speed("hash_4", "hash_1");
    let (c2, c2_range) = speed("countdown_2", "countdown_1");
    m.quantity_within("hash_speedup_2", h2, h2_range);
    m.quantity_within("hash_speedup_4", h4, h4_range);
    m.quantity_within("countdown_speedup_2", c2, c2_range);
    m.check_range(
        "hashing_scales",
        needs_two_cpus(ctx),
        (h2, h2_range),
        Bound::AtLeast(1.4),
        format!("speed-up {}", times_within(h2, h2_range)),
    );
    m.check_range(
        "countdown_does_not",
        None,
        (c2, c2_range),
        Bound::AtMost(1.1),
        format!("speed-up {}", times_within(c2, c2_range)),
    );
    m.charts.push(chart::line(
        "hash-vs-countdown.svg",
        "Speed-up with threads: hashlib (releases the GIL) vs the countdown",
        Axes {
            x_label: "threads",
            y_label: "speed-up over 1 thread (×)",
            log_x: false,
            log_y: false,
        },
        &[
            Series {
                name: "hashlib.sha256".into(),
                points: [(1.0, Some(1.0)), (2.0, h2), (4.0, h4)]
                    .iter()
                    .filter_map(|(x, y)| y.map(|y| (*x, y)))
                    .collect(),
            },
            Series {
                name: "countdown".into(),
                points: [(1.0, Some(1.0)), (2.0, c2)]
                    .iter()
                    .filter_map(|(x, y)| y.map(|y| (*x, y)))
                    .collect(),
            },
        ],
    ));
    let hashing = match super::side(h2_range, 0.1) {
        super::Side::Above if ctx.cpus >= 2 => "hashlib releases the GIL while it hashes, so \
             the threads hashed on several CPUs at once"
            .to_string(),
        _ if ctx.cpus < 2 => "with 1 CPU the hashing threads cannot run at once, whether or not \
             they hold the GIL"
            .to_string(),
        super::Side::Undetermined => {
            "the hashing runs' range is too wide to say whether threads helped".to_string()
        }
        _ => "the hashing threads did not run faster together: something else limited them \
              (a busy machine, or buffers too small for the GIL's release to matter)"
            .to_string(),
    };
    m.explanation = format!(
        "Hashing the same {buffers} buffers of {size_mb} MiB: 2 threads were {} and 4 threads {} as \
         fast as 1, on {} CPU{}. Counting down, 2 threads were {} as fast as 1. Here {hashing}; \
         the countdown is Python bytecode, which needs the GIL all the time.",
        times_within(h2, h2_range),
        times_within(h4, h4_range),
        ctx.cpus,
        if ctx.cpus == 1 { "" } else { "s" },
        times_within(c2, c2_range)
    );
    m.method.push(format!(
        "A script run by the embedded CPython build: sha256 of {buffers} × {size_mb} MiB split \
         over 1, 2, 4 threads, and a countdown of {count} over 1, 2 threads, {repeat} interleaved \
         rounds (ratios of the fastest runs; ranges: 95 % bootstrap intervals over rounds)"
    ));
    Ok(())
}
