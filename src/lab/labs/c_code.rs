//! Lab 5: C code that releases the GIL (hashlib on large buffers) beside the countdown.
use super::times;
use crate::lab::{
    needs_two_cpus, script, Anchor, Context, Instructor, Lab, Measured, Need, PredictionDef,
    Tolerance,
};
use crate::report::chart::{self, Axes, Series};
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
        measure,
    }
}

/// Times hashing `buffers` buffers of `size_mb` MiB and counting down `count`, split over
/// 1, 2, 4 (hash) and 1, 2 (countdown) threads; each the median of `repeat` rounds.
const HASH: &str = r#"
import hashlib, json, sys, threading, time
size_mb, buffers, count, repeat = [int(a) for a in sys.argv[1:5]]
data = b"x" * (size_mb << 20)
def hash_some(k):
    for _ in range(k):
        hashlib.sha256(data).digest()
def countdown(n):
    while n>0:
        n -= 1
def timed(target, total, workers):
    shares = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]
    ts = [threading.Thread(target=target, args=(s,)) for s in shares]
    t0 = time.perf_counter()
    for t in ts: t.start()
    for t in ts: t.join()
    return time.perf_counter() - t0
runs = {}
for _ in range(repeat):
    for w in (1, 2, 4):
        runs.setdefault("hash_%d" % w, []).append(timed(hash_some, buffers, w))
    for w in (1, 2):
        runs.setdefault("countdown_%d" % w, []).append(timed(countdown, count, w))
print(json.dumps({k: sorted(v)[len(v) // 2] for k, v in runs.items()}))
"#;

fn measure(ctx: &Context) -> Result<Measured> {
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
    let get = |k: &str| out[k].as_f64();
    let mut m = Measured::default();
    let speed = |k: &str, base: &str| get(base).zip(get(k)).map(|(b, t)| b / t);
    for w in [1, 2, 4] {
        m.quantity(
            &format!("hash_{w}_s"),
            &format!("hash with {w} thread(s)"),
            get(&format!("hash_{w}")),
            "s",
        );
    }
    let h2 = speed("hash_2", "hash_1");
    let h4 = speed("hash_4", "hash_1");
    let c2 = speed("countdown_2", "countdown_1");
    m.quantity("hash_speedup_2", "hashing: 1 thread / 2 threads", h2, "×");
    m.quantity("hash_speedup_4", "hashing: 1 thread / 4 threads", h4, "×");
    m.quantity(
        "countdown_speedup_2",
        "countdown: 1 thread / 2 threads",
        c2,
        "×",
    );
    m.check(
        "hashing_scales",
        "2 hashing threads are at least ×1.4 as fast as 1",
        needs_two_cpus(ctx),
        h2.map(|s| s >= 1.4),
        format!("speed-up {}", times(h2)),
    );
    m.check(
        "countdown_does_not",
        "2 countdown threads are not faster than 1 by more than 10 %",
        None,
        c2.map(|s| s <= 1.1),
        format!("speed-up {}", times(c2)),
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
    m.explanation = format!(
        "Hashing the same {buffers} buffers of {size_mb} MiB: 2 threads were {} and 4 threads {} as \
         fast as 1, on {} CPU{}. Counting down, 2 threads were {} as fast as 1. hashlib releases the \
         GIL while it hashes, so the threads hash on several CPUs at once; the countdown is Python \
         bytecode, which needs the GIL all the time.",
        times(h2),
        times(h4),
        ctx.cpus,
        if ctx.cpus == 1 { "" } else { "s" },
        times(c2)
    );
    m.method.push(format!(
        "A script run by the embedded CPython build: sha256 of {buffers} × {size_mb} MiB split \
         over 1, 2, 4 threads, and a countdown of {count} over 1, 2 threads; medians of {repeat} \
         interleaved rounds"
    ));
    Ok(m)
}
