//! The `scale` verdict, computed from the measurement: what limits this function, in one of a
//! few kinds, with the figures and their ranges; "undetermined" when the ranges cannot decide.
use super::{Answer, ScalePython, ScaleRow};
use crate::domain::ScaleRuntime;
use crate::report::units::seconds;
use crate::scenario::spec::ScaleSpec;
use serde::Serialize;

/// A speed-up whose whole range is above this counts as a real gain.
const GAIN: f64 = 1.2;
/// A speed-up range whose upper end is at most this shows no gain beyond noise.
const NOTHING: f64 = 1.05;
/// The serial run kept a CPU busy less than this share of its time: it mostly waits.
const WAITING: f64 = 0.5;

#[derive(Clone, Debug, Serialize)]
pub struct ScaleVerdict {
    /// `gil-bound`, `releases-gil`, `no-gil` (a free-threaded build running without its GIL),
    /// `overhead-dominates`, `io-bound` or `undetermined`.
    pub kind: &'static str,
    pub text: String,
}

impl crate::report::document::VerdictText for ScaleVerdict {
    fn text(&self) -> &str {
        &self.text
    }
}

/// The best row of a runtime for one interpreter: the highest speed-up measured.
fn best<'a>(
    rows: &'a [ScaleRow],
    python: &Option<String>,
    runtime: ScaleRuntime,
) -> Option<&'a ScaleRow> {
    rows.iter()
        .filter(|r| r.runtime == runtime && &r.python == python && r.speedup.is_some())
        .max_by(|a, b| {
            a.speedup
                .unwrap_or(0.0)
                .total_cmp(&b.speedup.unwrap_or(0.0))
        })
}

/// A speed-up with two decimals, or two significant figures below ×0.1.
fn factor(v: f64) -> String {
    if v >= 0.1 {
        format!("×{v:.2}")
    } else {
        let digits = (1 - v.abs().log10().floor() as i32).clamp(2, 12) as usize;
        format!("×{v:.digits$}")
    }
}

fn times(r: &ScaleRow) -> String {
    match (r.speedup, r.speedup_interval) {
        (Some(s), Some([lo, hi])) => format!("{} ({} – {})", factor(s), factor(lo), factor(hi)),
        (Some(s), None) => format!("{} (no range: fewer than 3 runs)", factor(s)),
        _ => "unavailable".into(),
    }
}

/// "2 processes", "1 process".
fn count(n: usize, runtime: ScaleRuntime) -> String {
    let name = match (runtime, n) {
        (ScaleRuntime::Threads, 1) => "thread",
        (ScaleRuntime::Processes, 1) => "process",
        (ScaleRuntime::Subinterpreters, 1) => "subinterpreter",
        (r, _) => r.name(),
    };
    format!("{n} {name}")
}

/// A short duration down to nanoseconds.
fn duration(s: f64) -> String {
    if s < 1e-6 {
        format!("{:.0} ns", s * 1e9)
    } else {
        seconds(s)
    }
}

fn low(r: Option<&ScaleRow>) -> f64 {
    r.and_then(|r| r.speedup_interval).map_or(0.0, |[lo, _]| lo)
}

fn high(r: Option<&ScaleRow>) -> f64 {
    r.and_then(|r| r.speedup_interval)
        .map_or(f64::INFINITY, |[_, hi]| hi)
}

/// One interpreter's verdict.
fn one(
    rows: &[ScaleRow],
    reference: &Answer,
    python: &ScalePython,
    cpus: usize,
    spec: &ScaleSpec,
) -> ScaleVerdict {
    let who = &python.label;
    let serial = rows
        .iter()
        .find(|r| r.runtime == ScaleRuntime::Serial && &r.python == who);
    let threads = best(rows, who, ScaleRuntime::Threads);
    let processes = best(rows, who, ScaleRuntime::Processes);
    let subinterpreters = best(rows, who, ScaleRuntime::Subinterpreters);
    let n = reference.inputs.unwrap_or(0);
    let serial_wall = serial.and_then(|r| r.wall_s.as_ref()).map(|w| w.min);
    let busy = serial.and_then(|r| r.cpu_per_wall);
    let figures = {
        let mut parts = Vec::new();
        for row in [threads, processes, subinterpreters].into_iter().flatten() {
            parts.push(format!(
                "{} {}",
                count(row.workers, row.runtime),
                times(row)
            ));
        }
        parts.join(", ")
    };
    let prefix = who
        .as_ref()
        .map_or(String::new(), |l| format!("Python {l}: "));
    if let (Some(b), Some(_)) = (busy, serial_wall) {
        if b < WAITING {
            // What threads did is said only from their own measured range.
            let threads_said = match threads {
                Some(t) if low(Some(t)) > GAIN => format!(
                    " Threads overlapped the waits: {} ran {} as fast, without the cost of \
                     processes.",
                    count(t.workers, t.runtime),
                    times(t)
                ),
                Some(t) => format!(
                    " Threads did not clearly gain here ({} ran {}), though the GIL is free \
                     while the calls wait.",
                    count(t.workers, t.runtime),
                    times(t)
                ),
                None => " Threads were not measured: add threads to --runtimes to see them \
                         overlap the waits."
                    .into(),
            };
            return ScaleVerdict {
                kind: "io-bound",
                text: format!(
                    "{prefix}I/O-bound: the serial run kept a CPU busy {:.0} % of its time, so \
                     the calls mostly wait (sleep, network, disk) rather than compute, and the \
                     GIL is free while they wait: {figures}.{threads_said}",
                    b * 100.0
                ),
            };
        }
    }
    if cpus < 2 {
        return ScaleVerdict {
            kind: "undetermined",
            text: format!(
                "{prefix}On 1 CPU no runtime can run two calls at once, so processes cannot help \
                 here (nor subinterpreters, nor threads with C code that releases the GIL): \
                 {figures}. Measure on a machine with 2 or more CPUs to see what they would gain."
            ),
        };
    }
    let per_item = serial_wall.map(|w| w / n.max(1) as f64);
    let no_gil = python.free_threaded
        && threads
            .and_then(|t| t.gil.as_ref())
            .is_some_and(|g| g.no_gil);
    if no_gil {
        let t = threads.expect("threads measured");
        let busy = t
            .cpu_per_wall
            .map_or("unavailable".into(), |c| format!("{c:.2}"));
        let (kind, said) = if low(threads) > GAIN {
            (
                "no-gil",
                format!(
                    "{prefix}No GIL: this free-threaded build ran every threads run without its \
                     GIL (its `enabled` field read 0 before and after each run), so the threads \
                     ran the Python bytecode in parallel: {} ran {} as fast as the serial run, \
                     with CPU/wall {busy}.",
                    count(t.workers, t.runtime),
                    times(t)
                ),
            )
        } else {
            (
                "undetermined",
                format!(
                    "{prefix}No GIL (a free-threaded build running without it in every threads \
                     run), yet threads did not clearly gain: {} ran {} as fast as the serial \
                     run, with CPU/wall {busy}. Without a GIL, threads still wait on the locks \
                     of objects they share and slow each other through shared reference counts.",
                    count(t.workers, t.runtime),
                    times(t)
                ),
            )
        };
        return ScaleVerdict {
            kind,
            text: format!("{said} All: {figures}."),
        };
    }
    let prefix = if python.free_threaded && threads.is_some() {
        format!(
            "{prefix}This free-threaded build ran with its GIL enabled (PYTHON_GIL=1, or a module \
             imported without declaring Py_mod_gil): "
        )
    } else {
        prefix
    };
    if low(threads) > GAIN {
        let t = threads.expect("threads measured");
        return ScaleVerdict {
            kind: "releases-gil",
            text: format!(
                "{prefix}Releases the GIL: {} ran {} as fast as the serial run, with \
                 CPU/wall {}, {} GIL hand-offs and the GIL held {} of the time: the work runs \
                 outside the GIL (C code such as hashlib, zlib or numpy), so threads scale without \
                 the cost of processes. All: {figures}.",
                count(t.workers, t.runtime),
                times(t),
                t.cpu_per_wall
                    .map_or("unavailable".into(), |c| format!("{c:.2}")),
                t.gil
                    .as_ref()
                    .and_then(|g| g.switches)
                    .map_or("unavailable".into(), |s| format!("{s:.0}")),
                t.gil
                    .as_ref()
                    .and_then(|g| g.held_fraction)
                    .map_or("unavailable".into(), |h| format!("{:.0} %", h * 100.0))
            ),
        };
    }
    let parallel = [processes, subinterpreters]
        .into_iter()
        .flatten()
        .max_by(|a, b| low(Some(a)).total_cmp(&low(Some(b))));
    // Processes (or subinterpreters) clearly gain while threads do not (their whole range above
    // ×1.2 would have been `releases-gil`) and stay below the processes' range.
    if low(parallel) > GAIN {
        let p = parallel.expect("measured");
        let Some(t) = threads else {
            // Processes gain either way: only threads tell bytecode from C code that releases
            // the GIL.
            return ScaleVerdict {
                kind: "undetermined",
                text: format!(
                    "{prefix}Undetermined: {} ran {} as fast, but threads were not measured, so \
                     whether the calls hold the GIL (processes needed) or release it (threads \
                     would do) is not known: add threads to --runtimes. All: {figures}.",
                    count(p.workers, p.runtime),
                    times(p)
                ),
            };
        };
        if t.speedup.unwrap_or(0.0) < low(parallel) {
            // "Nothing" only where the threads' whole range allows no more than noise.
            let gained = if high(Some(t)) <= NOTHING {
                format!("threads gained nothing ({})", times(t))
            } else {
                format!("threads gained only {}", times(t))
            };
            return ScaleVerdict {
                kind: "gil-bound",
                text: format!(
                    "{prefix}GIL-bound: {gained} while {} ran {} as fast: \
                     the calls run Python bytecode, which one GIL lets one thread run at a time. \
                     Use processes (or subinterpreters on 3.12+). All: {figures}.",
                    count(p.workers, p.runtime),
                    times(p)
                ),
            };
        }
    }
    if let Some(p) = processes.filter(|p| high(Some(p)) < 1.0) {
        let startup = p.startup_s.unwrap_or(0.0);
        let pickle_per_item = reference
            .pickle_s
            .map(|s| s / n.max(1) as f64)
            .unwrap_or(0.0);
        let mut text = format!(
            "{prefix}Process start-up and pickling dominate: {} ran {} of the serial \
             run's speed; per item the work takes {}, against {} to start the workers and {} \
             per item to pickle its input and result.",
            count(p.workers, p.runtime),
            times(p),
            per_item.map_or("unavailable".into(), duration),
            duration(startup),
            duration(pickle_per_item)
        );
        // Processes pay once n items' saved work exceeds start-up and pickling:
        // n · t · (1 − 1/w) > start-up + n · pickling.
        if let Some(t) = per_item {
            let saved = t * (1.0 - 1.0 / p.workers as f64) - pickle_per_item;
            if saved > 0.0 {
                text += &format!(
                    " With items like these, {} would start to pay from about {} items \
                     (worked out from these measured figures, not measured itself).",
                    count(p.workers.max(2), p.runtime),
                    crate::report::units::thousands((startup / saved).ceil() as u64)
                );
            } else {
                text += " Pickling an item costs more than the work it would share, so processes \
                         cannot pay at any input size: make each call do more.";
            }
        }
        text += &format!(" All: {figures}.");
        return ScaleVerdict {
            kind: "overhead-dominates",
            text,
        };
    }
    ScaleVerdict {
        kind: "undetermined",
        text: format!(
            "{prefix}Undetermined: {figures}. No runtime's range lies clearly above ×{GAIN} or \
             below ×1; run with a higher --repeat (now {}) or more inputs.",
            spec.repeat
        ),
    }
}

pub fn write(
    rows: &[ScaleRow],
    reference: &[Answer],
    pythons: &[ScalePython],
    cpus: usize,
    spec: &ScaleSpec,
) -> ScaleVerdict {
    let mut verdicts: Vec<ScaleVerdict> = pythons
        .iter()
        .zip(reference)
        .map(|(p, r)| one(rows, r, p, cpus, spec))
        .collect();
    let errors: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            r.error.as_ref().map(|e| {
                format!(
                    "{} ×{}: {}",
                    r.runtime.name(),
                    r.workers,
                    e.lines().next().unwrap_or_default()
                )
            })
        })
        .collect();
    let mut first = verdicts.remove(0);
    for v in verdicts {
        first.text += &format!("\n{}", v.text);
    }
    if !errors.is_empty() {
        first.text += &format!("\nFailed: {}.", errors.join("; "));
    }
    first
}

#[cfg(test)]
mod tests {
    use super::super::rows::ScaleGil;
    use super::*;
    use crate::domain::StartMethod;
    use crate::scenario::spec::ScaleInputs;
    use crate::stats::Summary;

    fn spec() -> ScaleSpec {
        ScaleSpec {
            file: "work.py".into(),
            func: "f".into(),
            inputs: ScaleInputs::Expr("range(64)".into()),
            workers: vec![1, 2],
            runtimes: vec![],
            start_method: StartMethod::Spawn,
            repeat: 5,
            python: vec![],
            timeout: std::time::Duration::from_secs(300),
        }
    }

    fn embedded() -> ScalePython {
        ScalePython {
            label: None,
            path: "/x/python3".into(),
            version: "3.11.7".into(),
            subinterpreters: false,
            free_threaded: false,
        }
    }

    fn reference() -> Answer {
        Answer {
            inputs: Some(64),
            pickle_s: Some(0.000_64),
            ..Answer::default()
        }
    }

    /// A row with a speed-up and its range; the serial row has ×1 and `busy` CPU per wall.
    fn row(runtime: ScaleRuntime, workers: usize, speedup: f64, range: [f64; 2]) -> ScaleRow {
        // Threads that scale hold the GIL little; threads that do not, nearly always.
        let held = if speedup > 1.5 { 0.12 } else { 0.98 };
        ScaleRow {
            runtime,
            workers,
            python: None,
            wall_s: Some(Summary::of(&[1.0 / speedup; 5])),
            speedup: Some(speedup),
            speedup_interval: Some(range),
            cpu_per_wall: Some(speedup.min(workers as f64)),
            startup_s: (runtime == ScaleRuntime::Processes).then_some(0.08),
            gil: (runtime == ScaleRuntime::Threads).then(|| ScaleGil {
                switches: Some(410.0),
                switches_per_s: Some(400.0),
                source: "outside".into(),
                held_fraction: Some(held),
                held_by_thread: vec![held / 2.0; 2],
                no_gil: false,
            }),
            status: "ok",
            error: None,
        }
    }

    fn serial(busy: f64) -> ScaleRow {
        ScaleRow {
            cpu_per_wall: Some(busy),
            ..row(ScaleRuntime::Serial, 1, 1.0, [1.0, 1.0])
        }
    }

    fn verdict_of(rows: &[ScaleRow], cpus: usize) -> String {
        let v = write(rows, &[reference()], &[embedded()], cpus, &spec());
        format!("{}: {}", v.kind, v.text)
    }

    #[test]
    fn each_kind() {
        let threads = |s, r| row(ScaleRuntime::Threads, 2, s, r);
        let processes = |s, r| row(ScaleRuntime::Processes, 2, s, r);
        let cases: [(&str, Vec<ScaleRow>, usize); 8] = [
            ("io_bound", vec![serial(0.02), threads(1.9, [1.8, 2.0])], 2),
            ("one_cpu", vec![serial(1.0), processes(0.95, [0.9, 1.0])], 1),
            (
                "releases_gil",
                vec![serial(1.0), threads(1.85, [1.7, 1.95])],
                2,
            ),
            (
                "gil_bound",
                vec![
                    serial(1.0),
                    threads(0.97, [0.93, 1.01]),
                    processes(1.8, [1.6, 1.9]),
                ],
                2,
            ),
            (
                "overhead_pays_from",
                vec![serial(1.0), processes(0.4, [0.35, 0.45])],
                2,
            ),
            (
                "overhead_never_pays",
                vec![
                    ScaleRow {
                        wall_s: Some(Summary::of(&[0.000_01; 5])),
                        ..serial(1.0)
                    },
                    processes(0.01, [0.009, 0.011]),
                ],
                2,
            ),
            (
                "undetermined",
                vec![
                    serial(1.0),
                    threads(1.0, [0.8, 1.3]),
                    processes(1.1, [0.7, 1.5]),
                ],
                2,
            ),
            (
                "failed_row_named",
                vec![
                    serial(1.0),
                    threads(1.0, [0.8, 1.3]),
                    ScaleRow {
                        speedup: None,
                        speedup_interval: None,
                        wall_s: None,
                        status: "error",
                        error: Some("PicklingError: can't pickle <lambda>\n  more".into()),
                        ..processes(1.0, [1.0, 1.0])
                    },
                ],
                2,
            ),
        ];
        for (name, rows, cpus) in cases {
            insta::assert_snapshot!(name, verdict_of(&rows, cpus));
        }
    }

    /// A free-threaded 3.13t whose threads ran with the GIL disabled (`no_gil`) or enabled.
    fn free_threaded_verdict(no_gil: bool, threads: (f64, [f64; 2])) -> ScaleVerdict {
        let python = ScalePython {
            label: Some("3.13t".into()),
            free_threaded: true,
            ..embedded()
        };
        let mut t = row(ScaleRuntime::Threads, 2, threads.0, threads.1);
        if let Some(g) = t.gil.as_mut() {
            g.no_gil = no_gil;
            if no_gil {
                g.held_fraction = None;
                g.held_by_thread.clear();
            }
        }
        let rows: Vec<ScaleRow> = [serial(1.0), t]
            .into_iter()
            .map(|r| ScaleRow {
                python: Some("3.13t".into()),
                ..r
            })
            .collect();
        write(&rows, &[reference()], &[python], 2, &spec())
    }

    #[test]
    fn a_free_threaded_scaling_is_no_gil_never_c_code_releasing_it() {
        let v = free_threaded_verdict(true, (1.95, [1.85, 2.02]));
        assert_eq!(v.kind, "no-gil", "{}", v.text);
        for wrong in ["C code", "releases the GIL", "Releases the GIL", "hashlib"] {
            assert!(!v.text.contains(wrong), "{wrong:?} in: {}", v.text);
        }
        insta::assert_snapshot!("free_threaded_no_gil", format!("{}: {}", v.kind, v.text));
        // Without a clear gain the verdict says so, still without a GIL to blame.
        let v = free_threaded_verdict(true, (1.05, [0.9, 1.3]));
        assert_eq!(v.kind, "undetermined", "{}", v.text);
        assert!(v.text.contains("No GIL"), "{}", v.text);
        assert!(!v.text.contains("C code"), "{}", v.text);
        // With its GIL back, the build is read as a GIL build, and the verdict says it is back.
        let v = free_threaded_verdict(false, (1.85, [1.7, 1.95]));
        assert_eq!(v.kind, "releases-gil", "{}", v.text);
        assert!(v.text.contains("with its GIL enabled"), "{}", v.text);
    }

    #[test]
    fn io_bound_says_what_threads_did_only_from_their_range() {
        let io = |rows: &[ScaleRow]| write(rows, &[reference()], &[embedded()], 2, &spec());
        let v = io(&[serial(0.02)]);
        assert_eq!(v.kind, "io-bound");
        assert!(v.text.contains("Threads were not measured"), "{}", v.text);
        assert!(!v.text.contains("cheap way"), "{}", v.text);
        let v = io(&[
            serial(0.02),
            row(ScaleRuntime::Threads, 2, 1.02, [0.9, 1.1]),
        ]);
        assert!(
            v.text.contains("Threads did not clearly gain"),
            "{}",
            v.text
        );
        let v = io(&[serial(0.02), row(ScaleRuntime::Threads, 2, 1.9, [1.8, 2.0])]);
        assert!(
            v.text.contains("Threads overlapped the waits"),
            "{}",
            v.text
        );
    }

    #[test]
    fn threads_gained_nothing_only_when_their_whole_range_says_so() {
        let gil_bound = |t: (f64, [f64; 2])| {
            let rows = [
                serial(1.0),
                row(ScaleRuntime::Threads, 2, t.0, t.1),
                row(ScaleRuntime::Processes, 2, 1.6, [1.5, 1.7]),
            ];
            write(&rows, &[reference()], &[embedded()], 2, &spec())
        };
        let v = gil_bound((1.12, [1.05, 1.19]));
        assert_eq!(v.kind, "gil-bound");
        assert!(!v.text.contains("gained nothing"), "{}", v.text);
        assert!(v.text.contains("threads gained only ×1.12"), "{}", v.text);
        let v = gil_bound((0.98, [0.95, 1.02]));
        assert!(v.text.contains("threads gained nothing"), "{}", v.text);
    }

    #[test]
    fn several_interpreters_get_a_paragraph_each() {
        let other = ScalePython {
            label: Some("3.12".into()),
            ..embedded()
        };
        let on = |python: Option<&str>, r: ScaleRow| ScaleRow {
            python: python.map(str::to_string),
            ..r
        };
        let rows = [
            on(None, serial(1.0)),
            on(None, row(ScaleRuntime::Threads, 2, 0.98, [0.95, 1.01])),
            on(None, row(ScaleRuntime::Processes, 2, 1.7, [1.5, 1.8])),
            on(Some("3.12"), serial(1.0)),
            on(
                Some("3.12"),
                row(ScaleRuntime::Subinterpreters, 2, 1.8, [1.6, 1.9]),
            ),
        ];
        let v = write(
            &rows,
            &[reference(), reference()],
            &[embedded(), other],
            2,
            &spec(),
        );
        insta::assert_snapshot!("two_interpreters", format!("{}: {}", v.kind, v.text));
    }
}
