//! The countdown verdict: what the measurement says, in plain words with its numbers.
//!
//! "Within noise" is decided from the runs themselves. Each row's robust relative spread
//! (1.4826·MAD / median, a normal-equivalent standard deviation) gives the standard error of
//! its median (1.2533·spread/√runs); a ratio of two medians counts as a real difference only
//! when it lies more than two combined standard errors from 1 (about 95 % confidence), and
//! never for less than 2 % (a floor: five runs can show less spread than a shared host's
//! run-to-run drift). With fewer than `MIN_RUNS_FOR_SPREAD` runs nothing is decided.
use super::rows::CountdownRow;
use crate::domain::{PythonInfo, Runtime};
use crate::interpreters::GilKind;
use crate::measure::gil::stats::GilStats;
use crate::report::units::{seconds, thousands};
use crate::stats::MIN_RUNS_FOR_SPREAD;

const FLOOR: f64 = 0.02;
const STANDARD_ERRORS: f64 = 2.0;
/// Above this threshold the runs are too noisy to tell small differences apart; say so.
const NOISY: f64 = 0.10;
/// Other processes' work (CPUs, median over a row's runs) from which a busy machine could
/// explain a difference on its own: the verdict then says so instead of deciding.
const BUSY_CPUS: f64 = 0.25;

/// The larger of two rows' other load, when it is enough to explain a difference.
pub fn busy(a: &CountdownRow, b: &CountdownRow) -> Option<f64> {
    let load = a.other_load.unwrap_or(0.0).max(b.other_load.unwrap_or(0.0));
    (load >= BUSY_CPUS).then_some(load)
}

/// How a ratio of two medians compares with 1, given both rows' spread.
#[derive(Debug, PartialEq)]
pub enum Comparison {
    /// Too few runs for a spread: nothing can be decided.
    Undetermined,
    Slower,
    Equal,
    Faster,
}

pub fn threshold(a: &CountdownRow, b: &CountdownRow) -> f64 {
    let se = |r: &CountdownRow| {
        1.2533 * r.wall_s.robust_rel_spread() / (r.wall_s.samples.len() as f64).sqrt()
    };
    (STANDARD_ERRORS * se(a).hypot(se(b))).max(FLOOR)
}

/// Compares `row`'s median wall time with `base`'s.
pub fn compare(row: &CountdownRow, base: &CountdownRow) -> (f64, Comparison) {
    let ratio = row.wall_s.median / base.wall_s.median;
    let limit = threshold(row, base);
    let runs = row.wall_s.samples.len().min(base.wall_s.samples.len());
    let verdict = if runs < MIN_RUNS_FOR_SPREAD {
        Comparison::Undetermined
    } else if ratio > 1.0 + limit {
        Comparison::Slower
    } else if ratio < 1.0 - limit {
        Comparison::Faster
    } else {
        Comparison::Equal
    };
    (ratio, verdict)
}

/// What the processes' CPU/wall says about them running at once.
fn processes_clause(procs: &CountdownRow) -> String {
    let own = "each process has its own interpreter and its own GIL";
    if procs.workers < 2 {
        format!(": {own}.")
    } else if procs.parallelism >= 1.5 {
        format!(": {own}, so they ran Python in parallel, where threads cannot.")
    } else if procs.parallelism >= 1.15 {
        format!(
            ": {own}, and they ran partly in parallel (CPU/wall {:.2} of {} possible).",
            procs.parallelism, procs.workers
        )
    } else {
        format!(
            ": {own}, yet they did not run at once here (CPU/wall {:.2}): one CPU, or CPUs busy \
             with other work{}.",
            procs.parallelism,
            procs
                .other_load
                .filter(|l| *l >= 0.05)
                .map_or(String::new(), |l| format!(" ({l:.2} CPUs of other load)"))
        )
    }
}

/// A free-threaded build without its GIL against the GIL build of the same version (e.g.
/// 3.13t against 3.13), same threads and CPUs, where both were measured.
fn free_threaded_paragraph(free: &CountdownRow, rows: &[CountdownRow]) -> Option<String> {
    let ft = free.python.as_ref()?;
    let gil_name = ft.name.trim_end_matches('t');
    let twin = rows.iter().find(|r| {
        r.runtime == Runtime::PythonThreads
            && r.workers == free.workers
            && r.cpus == free.cpus
            && r.python
                .as_ref()
                .is_some_and(|p| p.name == gil_name && p.python_gil.is_none())
    })?;
    let (ratio, comparison) = compare(free, twin);
    let how = match comparison {
        Comparison::Undetermined => "undetermined with so few runs".to_string(),
        Comparison::Equal => "about the same".to_string(),
        Comparison::Faster => format!("×{:.2} faster", 1.0 / ratio),
        Comparison::Slower => format!("×{ratio:.2} slower"),
    };
    let threads = if free.workers == 1 {
        "1 thread".to_string()
    } else {
        format!("{} threads", free.workers)
    };
    let cost = if free.workers == 1 {
        // The ratio of fastest runs with its bootstrap range over rounds, beside the published
        // single-thread costs.
        let (point, range) = crate::stats::fastest_ratio(&free.wall_s, &twin.wall_s);
        let measured = match (point, range) {
            (Some(p), Some([lo, hi])) => format!(
                "measured here {:+.0} % (fastest runs; {:+.0} % to {:+.0} % over the rounds)",
                (p - 1.0) * 100.0,
                (lo - 1.0) * 100.0,
                (hi - 1.0) * 100.0
            ),
            (Some(p), None) => format!(
                "measured here {:+.0} % (fastest runs; no range with fewer than 3 runs)",
                (p - 1.0) * 100.0
            ),
            _ => "not measured".into(),
        };
        format!(
            " One thread shows what a free-threaded build costs where there is nothing to run in \
             parallel (its reference counting and locking are more expensive, and 3.13t runs \
             without the specializing interpreter): {measured}. Published: {}.",
            PUBLISHED_SINGLE_THREAD_COST
        )
    } else {
        format!(
            " Without a GIL the threads can run Python bytecode on several cores at once.{}",
            free_threaded_limits(free, rows)
        )
    };
    Some(format!(
        "Free-threaded {} without a GIL (PYTHON_GIL=0), {threads}: {} with CPU/wall {:.2}, against \
         {} with CPU/wall {:.2} on the GIL build {}: {how}.{cost}",
        ft.name,
        seconds(free.wall_s.median),
        free.parallelism,
        seconds(twin.wall_s.median),
        twin.parallelism,
        twin.python.as_ref().map_or("", |p| p.version.as_str()),
    ))
}

/// A speed-up more than this many times the ratio of cores busy is beyond what the cores allow
/// (the margin covers the noise of medians of CPU time and wall over runs of a few ms).
const BEYOND_CORES: f64 = 1.3;

/// A speed-up below this share of the ideal counts as falling short of it.
const SHORT_OF_IDEAL: f64 = 0.95;

/// What limited N free-threaded threads' scaling, from the two figures whose product it is:
/// the speed-up over 1 thread is the cores busy (CPU/wall) over the CPU time per iteration
/// against 1 thread's on the same build, so each factor's share of the shortfall is shown.
fn free_threaded_limits(many: &CountdownRow, rows: &[CountdownRow]) -> String {
    let cpus = many
        .cpus
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |c| c.get()));
    let possible = many.workers.min(cpus);
    let Some(one) = rows.iter().find(|r| {
        r.runtime == many.runtime
            && r.workers == 1
            && r.cpus == many.cpus
            && r.python == many.python
    }) else {
        return String::new();
    };
    let speedup = one.wall_s.median / many.wall_s.median;
    let busy = many.parallelism / one.parallelism.max(1e-9);
    let cost = many.ns_per_iteration / one.ns_per_iteration;
    if !(speedup.is_finite() && busy.is_finite() && cost.is_finite()) {
        return String::new();
    }
    let mut text = format!(
        " Against 1 thread on this build: ×{speedup:.2} of an ideal ×{possible} (medians), the \
         product of ×{busy:.2} as many cores busy (CPU/wall {:.2} against {:.2}) and ×{:.2} the \
         speed per CPU second ({:.0} ns of CPU per iteration against {:.0} ns).",
        many.parallelism,
        one.parallelism,
        1.0 / cost,
        many.ns_per_iteration,
        one.ns_per_iteration
    );
    // The larger loss, named where the speed-up fell short of the ideal and a factor shows a
    // loss beyond a few per cent.
    let cores_lost = possible as f64 / busy;
    if speedup < SHORT_OF_IDEAL * possible as f64 && cost.max(cores_lost) >= 1.05 {
        text += if cost >= cores_lost {
            " The larger loss is CPU time per iteration: the threads slowed each other (shared \
             reference counts, per-object locks, or the memory and caches they share)."
        } else {
            " The larger loss is cores left idle: the threads did not keep every core busy \
             (other work on the machine, or threads waiting)."
        };
    }
    text
}

/// The free-threaded builds' single-thread cost as published, with the sources.
pub const PUBLISHED_SINGLE_THREAD_COST: &str =
    "3.13t about 40 % slower on pyperformance (CPython 3.13 free-threading HOWTO), 3.14t roughly \
     5-10 % (What's New in Python 3.14)";

/// N subinterpreters placed between N threads (one GIL) and N processes (one interpreter
/// each) of the same interpreter and CPUs, where those rows exist.
fn subinterpreters_paragraph(
    sub: &CountdownRow,
    rows: &[CountdownRow],
    embedded: &PythonInfo,
    several: bool,
) -> String {
    let who = Interp::of(sub, embedded, several);
    let twin = |rt: Runtime| {
        rows.iter().find(|r| {
            r.runtime == rt
                && r.workers == sub.workers
                && r.python_name() == sub.python_name()
                && r.cpus == sub.cpus
        })
    };
    let mut text = format!(
        "{}{} subinterpreters took {} with CPU/wall {:.2}",
        who.prefix,
        sub.workers,
        seconds(sub.wall_s.median),
        sub.parallelism
    );
    if let (Some(speedup), Some(base)) = (sub.speedup, &sub.speedup_baseline) {
        text += &format!(", ×{speedup:.2} the speed of {base}");
    }
    let beside: Vec<String> = [
        (Runtime::PythonThreads, "threads (one GIL)"),
        (Runtime::PythonProcesses, "processes (one interpreter each)"),
    ]
    .iter()
    .filter_map(|(rt, what)| {
        twin(*rt).map(|r| {
            format!(
                "{} {what} took {} with CPU/wall {:.2}",
                r.workers,
                seconds(r.wall_s.median),
                r.parallelism
            )
        })
    })
    .collect();
    if !beside.is_empty() {
        text += &format!(" ({})", beside.join("; "));
    }
    text += ". Each subinterpreter has a GIL of its own (PEP 684), so they run Python in \
             parallel like processes while sharing one process like threads: no process start-up, \
             but no shared objects either (data crosses between them as bytes or strings).";
    text
}

/// The interpreter a group of Python rows ran under, as the verdict describes it.
struct Interp {
    /// "" for the only interpreter of the report, else "Python 2.7.18: " or "On 1 CPU: ".
    prefix: String,
    implementation: String,
    version: String,
    gil: GilKind,
}

impl Interp {
    fn of(row: &CountdownRow, embedded: &PythonInfo, several: bool) -> Interp {
        let (implementation, version, gil) = match &row.python {
            // PYTHON_GIL=1 turns a GIL on in a free-threaded build.
            Some(p) if p.python_gil == Some(1) => (
                "CPython".to_string(),
                format!("{} (PYTHON_GIL=1)", p.version),
                GilKind::New,
            ),
            Some(p) if p.python_gil == Some(0) => (
                "CPython".to_string(),
                format!("{} (PYTHON_GIL=0)", p.version),
                GilKind::FreeThreaded,
            ),
            Some(p) => ("CPython".to_string(), p.version.clone(), p.gil),
            None => (
                embedded.implementation.clone(),
                embedded.version.clone(),
                if embedded.gil_enabled {
                    GilKind::New
                } else {
                    GilKind::FreeThreaded
                },
            ),
        };
        let mut prefix = String::new();
        if several {
            prefix = format!("Python {version}");
            if row.python.is_none() {
                prefix += " (embedded)";
            }
        }
        if let Some(n) = row.cpus {
            prefix += &format!(
                "{}on {n} CPU{}",
                if prefix.is_empty() { "On " } else { " " },
                if n == 1 { "" } else { "s" }
            );
            prefix = prefix.replacen("On on", "On", 1);
        }
        if !prefix.is_empty() {
            prefix += ": ";
        }
        Interp {
            prefix,
            implementation,
            version,
            gil,
        }
    }
}

pub fn write(rows: &[CountdownRow], python: &PythonInfo, interval: f64, count: u64) -> String {
    let find = |rt: Runtime, w: usize| {
        rows.iter()
            .find(|r| r.runtime == rt && r.workers == w && r.python.is_none() && r.cpus.is_none())
    };
    let mut paragraphs = Vec::new();
    let interval_ms = interval * 1e3;
    let one = find(Runtime::PythonThreads, 1);

    // One comparison per interpreter and CPU count, each against its own 1-thread row.
    let mut groups: Vec<(Option<String>, Option<usize>)> = Vec::new();
    for r in rows.iter().filter(|r| r.runtime == Runtime::PythonThreads) {
        let key = (r.python_name(), r.cpus);
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    let several = rows.iter().any(|r| r.python.is_some());
    for (name, cpus) in &groups {
        let group: Vec<&CountdownRow> = rows
            .iter()
            .filter(|r| {
                r.runtime == Runtime::PythonThreads && r.python_name() == *name && r.cpus == *cpus
            })
            .collect();
        let Some(one) = group.iter().find(|r| r.workers == 1) else {
            continue;
        };
        for many in group.iter().filter(|r| r.workers > 1) {
            let who = Interp::of(many, python, several);
            paragraphs.push(threads_paragraph(one, many, &who, interval_ms));
        }
    }
    for procs in rows
        .iter()
        .filter(|r| r.runtime == Runtime::PythonProcesses)
    {
        let mut text = format!(
            "{}{} Python process{} took {} (CPU/wall {:.2})",
            Interp::of(procs, python, several).prefix,
            procs.workers,
            if procs.workers == 1 { "" } else { "es" },
            seconds(procs.wall_s.median),
            procs.parallelism
        );
        if let (Some(speedup), Some(base)) = (procs.speedup, &procs.speedup_baseline) {
            text += &format!(", ×{speedup:.2} the speed of {base}");
        }
        text += &processes_clause(procs);
        paragraphs.push(text);
    }
    for free in rows.iter().filter(|r| {
        r.runtime == Runtime::PythonThreads
            && r.python.as_ref().is_some_and(|p| p.python_gil == Some(0))
    }) {
        if let Some(text) = free_threaded_paragraph(free, rows) {
            paragraphs.push(text);
        }
    }
    for sub in rows
        .iter()
        .filter(|r| r.runtime == Runtime::PythonSubinterpreters && r.workers > 1)
    {
        paragraphs.push(subinterpreters_paragraph(sub, rows, python, several));
    }
    if let Some(rust) = find(Runtime::RustThreads, 1) {
        let mut text = format!(
            "Rust did the same {} iterations in {} on one thread ({:.2} ns per iteration",
            thousands(count),
            seconds(rust.wall_s.median),
            rust.ns_per_iteration
        );
        if let Some(py) = one {
            text += &format!(
                " against Python's {:.1} ns: ×{:.0} faster",
                py.ns_per_iteration,
                py.wall_s.median / rust.wall_s.median
            );
        }
        text += ")";
        if let Some(two) = rows
            .iter()
            .filter(|r| r.runtime == Runtime::RustThreads && r.workers > 1)
            .max_by_key(|r| r.workers)
        {
            let speedup = two.speedup.unwrap_or(f64::NAN);
            // A speed-up is the cores busy times the speed per CPU second: beyond the cores
            // busy, the runs did not cost the same per iteration and are not comparable.
            let busier = two.parallelism / rust.parallelism.max(1e-9);
            if speedup > BEYOND_CORES * busier {
                text += &format!(
                    "; {} Rust threads ran ×{speedup:.2} the 1-thread speed with ×{busier:.2} as \
                     many cores busy (CPU/wall {:.2} against {:.2}): more than the cores allow, so \
                     the runs are not comparable (each iteration cost {:.2} ns of CPU on {} \
                     threads against {:.2} ns on 1)",
                    two.workers,
                    two.parallelism,
                    rust.parallelism,
                    two.ns_per_iteration,
                    two.workers,
                    rust.ns_per_iteration
                );
            } else {
                text += &format!(
                    "; {} Rust threads reached CPU/wall {:.2} and ×{speedup:.2} the 1-thread speed",
                    two.workers, two.parallelism
                );
            }
            if speedup <= BEYOND_CORES * busier && speedup < 0.8 * two.workers as f64 {
                text += &if two.parallelism > 0.8 * two.workers as f64 {
                    format!(
                        ", not more: the cores were all busy, but each iteration cost {:.2} ns of CPU instead of {:.2} ns, so the CPUs slowed each other down (hardware threads sharing a core, or other load on the machine)",
                        two.ns_per_iteration, rust.ns_per_iteration
                    )
                } else {
                    format!(
                        ", not more: the threads overlapped little (at {} of work, start-up and scheduling are a visible share)",
                        seconds(rust.wall_s.median)
                    )
                };
            }
        }
        text += ".";
        paragraphs.push(text);
    }
    if let Some(gil) = rows
        .iter()
        .filter(|r| r.runtime == Runtime::RustGil && r.workers > 1)
        .max_by_key(|r| r.workers)
    {
        let mut text = format!(
            "{} Rust threads that must hold a Rust copy of the new-GIL protocol (timed wait of {interval_ms:.1} ms, drop request, forced hand-off) took {} with CPU/wall {:.2} and {} hand-offs",
            gil.workers,
            seconds(gil.wall_s.median),
            gil.parallelism,
            thousands(gil.gil.as_ref().and_then(|g| g.switches).unwrap_or(0))
        );
        if let Some(free) = rows
            .iter()
            .find(|r| r.runtime == Runtime::RustThreads && r.workers == gil.workers)
        {
            text += &format!(
                ", where the same threads without it reached CPU/wall {:.2}",
                free.parallelism
            );
        }
        text += ": the lock protocol, not Python, serialises the work.";
        paragraphs.push(text);
    }
    if paragraphs.is_empty() {
        paragraphs.push("Nothing to compare: no rows were measured.".into());
    }
    paragraphs.join("\n")
}

fn threads_paragraph(
    one: &CountdownRow,
    many: &CountdownRow,
    python: &Interp,
    interval_ms: f64,
) -> String {
    let (ratio, comparison) = compare(many, one);
    let limit = threshold(many, one) * 100.0;
    let n = many.workers;
    let comparison = match (comparison, busy(many, one)) {
        (Comparison::Slower | Comparison::Faster, Some(load)) => {
            return format!(
                "{n} Python threads took {} and 1 took {} (×{ratio:.2}): undetermined. Other processes kept {load:.2} CPUs busy (median over the runs) while these ran, enough to move the result on its own; run again on an idle machine.",
                seconds(many.wall_s.median),
                seconds(one.wall_s.median)
            )
        }
        (c, _) => c,
    };
    let headline = match comparison {
        Comparison::Undetermined => {
            let runs = many.wall_s.samples.len().min(one.wall_s.samples.len());
            format!(
                "{n} Python threads took {} and 1 took {} (×{ratio:.2}): undetermined. With {runs} run{} per row there is no spread to tell a real difference from run-to-run noise; run with --repeat 5 or more to decide.",
                seconds(many.wall_s.median),
                seconds(one.wall_s.median),
                if runs == 1 { "" } else { "s" }
            )
        }
        Comparison::Slower => format!(
            "{n} Python threads were SLOWER than 1: {} vs {} (×{ratio:.2}, beyond the noise threshold of ±{limit:.1} %).",
            seconds(many.wall_s.median),
            seconds(one.wall_s.median)
        ),
        Comparison::Equal => format!(
            "{n} Python threads took about as long as 1: {} vs {} (×{ratio:.3}, within noise: a real difference would have to exceed ±{limit:.1} %, from the runs' spread){}.",
            seconds(many.wall_s.median),
            seconds(one.wall_s.median),
            if limit > NOISY * 100.0 {
                "; the runs were noisy, so only a large difference could show: run again with a higher --repeat on an idle machine"
            } else {
                ""
            }
        ),
        Comparison::Faster => format!(
            "{n} Python threads were FASTER than 1: {} vs {} (×{ratio:.2}, beyond the noise threshold of ±{limit:.1} %).{}",
            seconds(many.wall_s.median),
            seconds(one.wall_s.median),
            if python.gil == GilKind::FreeThreaded {
                ""
            } else {
                " Threads holding one GIL cannot run bytecode at once, so something else differed between the runs: on a virtual machine whose CPUs run at unequal speeds (`gilsim doctor` measures it), a lone thread stays on one CPU for its whole run, while threads handing the GIL over run on both."
            }
        ),
    };
    let busy = format!(
        " Their CPU/wall was {:.2}: {}",
        many.parallelism,
        if many.parallelism < 1.5 {
            "only about one core was busy at a time."
        } else {
            "several cores were busy at once."
        }
    );
    let intervals = many.wall_s.median / (interval_ms / 1e3);
    let switches = match many.gil.as_ref().filter(|g| g.from_the_interpreter()) {
        Some(g) => gil_sentence(g, many.wall_s.median, interval_ms),
        None => format!(
            " Voluntary context switches (a thread blocking{}) rose from {} to {}, {:.1} per {interval_ms:.1} ms switch interval elapsed{}.",
            if python.gil == GilKind::FreeThreaded {
                ""
            } else {
                ", here on the GIL's condition variables"
            },
            thousands(one.ctx_switches.voluntary.round() as u64),
            thousands(many.ctx_switches.voluntary.round() as u64),
            many.ctx_switches.voluntary / intervals,
            many.gil
                .as_ref()
                .and_then(|g| g.reason.as_deref())
                .map_or(String::new(), |r| format!(" (exact GIL figures unavailable: {r})"))
        ),
    };
    let why = if python.gil == GilKind::FreeThreaded {
        format!(
            " This {} {} build runs without a GIL, so threads can run Python bytecode in parallel.",
            python.implementation, python.version
        )
    } else if python.gil == GilKind::Old {
        let mechanism = format!(
            " Python {} has the \"old\" GIL (3.1 and before): the running thread releases it every 100 ticks and, with no hand-off, usually takes it straight back; on several cores the waiting thread wakes, finds it taken again, and the threads fight over it, burning CPU in the attempts.",
            python.version
        );
        // The battle is told as the cause only where this run measured 2 threads slower.
        if comparison == Comparison::Slower {
            format!(
                " Why:{mechanism} That is the slowdown David Beazley measured in his 2009 talk \"Inside the Python GIL\" (published: ×1.8 for 2 threads on 2 cores, Python 2.6); on one CPU the fight mostly stops."
            )
        } else {
            format!(
                "{mechanism} This run did not measure the slowdown that battle causes (Beazley's published ×1.8 for 2 threads on 2 cores), so it is not the explanation here: on one CPU, or with the cores busy with other work, the fight mostly stops."
            )
        }
    } else {
        let new_gil = format!(
            " Why: CPython {} has the \"new\" GIL (3.2 and later): a waiting thread asks for the GIL after one switch interval ({interval_ms:.1} ms) and the holder hands it over, so the threads take turns in slices of about that length and do the same total work one at a time.",
            python.version
        );
        match comparison {
            Comparison::Undetermined => new_gil,
            Comparison::Equal => new_gil
                + " That is why this is not the 1.8× slowdown David Beazley measured in his 2009 talk \"Inside the Python GIL\" (Python 2.6): the old GIL let the releasing thread grab it straight back, and the threads fought over it across cores.",
            Comparison::Slower => {
                let extra = (ratio - 1.0) * 100.0;
                let cause = if many.ns_per_iteration > one.ns_per_iteration * 1.03 {
                    format!(
                        " The extra {extra:.0} % shows up as CPU time ({:.1} → {:.1} ns per iteration), not as idle waiting: the threads pay for each hand-off themselves (waking each other, moving between cores with cold caches).",
                        one.ns_per_iteration, many.ns_per_iteration
                    )
                } else {
                    format!(
                        " The extra {extra:.0} % is time when no thread ran (CPU/wall {:.2}): hand-offs where the GIL was free but the next holder had not woken yet.",
                        many.parallelism
                    )
                };
                new_gil
                    + &cause
                    + " Beazley's old-GIL 1.8× came from threads battling for the lock instead."
            }
            Comparison::Faster => new_gil
                + " A shorter time under a GIL is unusual: check the runs' spread and whether the machine was busy.",
        }
    };
    let probe = many
        .probe
        .as_ref()
        .and_then(|p| {
            let l = p.latency_s.as_ref()?;
            Some(format!(
                " A probe thread asking for the GIL every {} (gilknocker's method) waited p50 {} ({:.1} switch intervals), p99 {}, max {} over {} acquisitions: a newcomer waits for the holder's next forced hand-off, and when other threads wait too it can lose several. Each acquisition also forces hand-offs of its own, which the exact count above includes.",
                seconds(p.interval_s),
                seconds(l.p50),
                l.p50 / (interval_ms / 1e3),
                seconds(l.p99),
                seconds(l.max),
                thousands(p.acquisitions as u64)
            ))
        })
        .unwrap_or_default();
    python.prefix.clone() + &headline + &busy + &switches + &why + &probe
}

/// "The GIL changed hands 227 times in 1.14 s (one hand-off per 5.0 ms …)".
fn gil_sentence(g: &GilStats, wall: f64, interval_ms: f64) -> String {
    let switches = g.switches.unwrap_or(0);
    let mut text = format!(
        " The GIL changed hands {} times in {}",
        thousands(switches),
        seconds(wall)
    );
    if switches > 0 {
        text += &format!(
            " (one hand-off per {:.2} ms, against a {interval_ms:.1} ms switch interval)",
            wall * 1e3 / switches as f64
        );
    }
    let held: Vec<f64> = g
        .threads
        .iter()
        .filter_map(|t| t.held_fraction)
        .map(|h| h * 100.0)
        .collect();
    if held.len() > 1 {
        let lo = held.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = held.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let waits: Vec<String> = g.threads.iter().map(|t| seconds(t.wait_s)).collect();
        let share = if hi - lo < 0.5 {
            format!("{lo:.0} %")
        } else {
            format!("{lo:.0}-{hi:.0} %")
        };
        let sampled = if g.sampling.as_deref() == Some("separate") {
            " (shares from a separate run with the sampler)"
        } else {
            ""
        };
        text += &format!(
            "; each thread held it {share} of the time{sampled} and waited the rest (blocked {} respectively)",
            waits.join(" and ")
        );
    }
    if let Some(h) = g.held_fraction {
        text += &format!("; the GIL was free {:.1} % of the time", (1.0 - h) * 100.0);
    }
    text + "."
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::countdown::rows::{CpuSummary, CtxSwitches};
    use crate::stats::Summary;

    fn row(samples: &[f64]) -> CountdownRow {
        CountdownRow {
            runtime: Runtime::PythonThreads,
            workers: 1,
            python: None,
            cpus: None,
            count: 1,
            wall_s: Summary::of(samples),
            cpu_s: CpuSummary {
                median: 1.0,
                user_median: 1.0,
                sys_median: 0.0,
                samples: vec![],
            },
            parallelism: 1.0,
            speedup: None,
            speedup_baseline: None,
            ctx_switches: CtxSwitches {
                voluntary: 0.0,
                involuntary: 0.0,
            },
            threads: vec![],
            ns_per_iteration: 1.0,
            gil: None,
            probe: None,
            other_load: Some(0.0),
            steal: Some(0.0),
        }
    }

    fn interp() -> Interp {
        Interp {
            prefix: String::new(),
            implementation: "CPython".into(),
            version: "3.11.7".into(),
            gil: GilKind::New,
        }
    }

    #[test]
    fn a_busy_machine_leaves_a_difference_undetermined_and_names_the_load() {
        let one = row(&[1.00, 1.01, 0.99, 1.00, 1.00]);
        let faster = CountdownRow {
            workers: 2,
            ..row(&[0.80, 0.81, 0.79, 0.80, 0.80])
        };
        let quiet = threads_paragraph(&one, &faster, &interp(), 5.0);
        assert!(quiet.contains("FASTER"), "{quiet}");
        assert!(quiet.contains("unequal speeds"), "{quiet}");
        let busy = CountdownRow {
            other_load: Some(0.8),
            ..faster
        };
        let text = threads_paragraph(&one, &busy, &interp(), 5.0);
        assert!(!text.contains("FASTER"), "{text}");
        assert!(
            text.contains("undetermined") && text.contains("0.80 CPUs"),
            "{text}"
        );
        // A small load does not stop a clear difference from being decided.
        let light = CountdownRow {
            other_load: Some(0.1),
            ..busy
        };
        assert!(threads_paragraph(&one, &light, &interp(), 5.0).contains("FASTER"));
    }

    #[test]
    fn noise_decides_the_comparison() {
        let base = row(&[1.00, 1.01, 0.99, 1.00, 1.00]);
        assert_eq!(
            compare(&row(&[1.01, 1.00, 1.02, 1.01, 1.01]), &base).1,
            Comparison::Equal
        );
        assert_eq!(
            compare(&row(&[1.80, 1.81, 1.79, 1.80, 1.80]), &base).1,
            Comparison::Slower
        );
        assert_eq!(
            compare(&row(&[0.50, 0.51, 0.49, 0.50, 0.50]), &base).1,
            Comparison::Faster
        );
        // One or two runs decide nothing, however large the difference.
        assert_eq!(
            compare(&row(&[1.8]), &row(&[1.0])).1,
            Comparison::Undetermined
        );
        assert_eq!(
            compare(&row(&[1.8, 1.8]), &row(&[1.0, 1.0])).1,
            Comparison::Undetermined
        );
        // A noisy pair needs a larger difference than a quiet one.
        let noisy = row(&[1.0, 1.2, 0.8, 1.1, 0.9]);
        assert_eq!(
            compare(&row(&[1.1, 1.3, 0.9, 1.2, 1.0]), &noisy).1,
            Comparison::Equal
        );
    }

    fn under(
        python: &str,
        python_gil: Option<u8>,
        workers: usize,
        samples: &[f64],
    ) -> CountdownRow {
        let gil = if python.ends_with('t') {
            GilKind::FreeThreaded
        } else {
            GilKind::New
        };
        CountdownRow {
            workers,
            python: Some(crate::domain::ExternalPython {
                name: python.into(),
                version: format!("{}.0", python.trim_end_matches('t')),
                path: format!("/x/python{python}"),
                gil,
                subinterpreters: true,
                python_gil,
            }),
            ..row(samples)
        }
    }

    #[test]
    fn a_free_threaded_build_is_labelled_and_compared_with_its_gil_build() {
        let rows = vec![
            under("3.13", None, 2, &[1.0, 1.0, 1.01, 0.99, 1.0]),
            under("3.13t", Some(0), 2, &[0.55, 0.55, 0.56, 0.54, 0.55]),
            under("3.13t", Some(1), 2, &[1.1, 1.1, 1.11, 1.09, 1.1]),
        ];
        assert_eq!(rows[1].python_name().unwrap(), "3.13t PYTHON_GIL=0");
        assert_eq!(rows[2].python_name().unwrap(), "3.13t PYTHON_GIL=1");
        let text = free_threaded_paragraph(&rows[1], &rows).unwrap();
        assert!(
            text.contains("Free-threaded 3.13t without a GIL (PYTHON_GIL=0)"),
            "{text}"
        );
        assert!(text.contains("×1.82 faster"), "{text}");
        assert!(text.contains("GIL build 3.13.0"), "{text}");
        // With PYTHON_GIL=1 the build is described as having a GIL; without a twin, no paragraph.
        let embedded = PythonInfo::default();
        assert_eq!(Interp::of(&rows[2], &embedded, true).gil, GilKind::New);
        assert_eq!(
            Interp::of(&rows[1], &embedded, true).gil,
            GilKind::FreeThreaded
        );
        assert!(free_threaded_paragraph(&rows[1], &rows[1..]).is_none());
    }

    /// The embedded 3.11 of a report (the verdict names it only beside others).
    fn embedded() -> PythonInfo {
        PythonInfo {
            version: "3.11.7".into(),
            implementation: "CPython".into(),
            gil_enabled: true,
            ..PythonInfo::default()
        }
    }

    fn exact_gil(switches: u64, shares: &[f64]) -> GilStats {
        GilStats {
            source: "calibrated".into(),
            switches: Some(switches),
            held_fraction: Some(shares.iter().sum()),
            sampling: Some("separate".into()),
            threads: shares
                .iter()
                .enumerate()
                .map(|(i, h)| crate::measure::gil::stats::ThreadGil {
                    name: format!("Thread-{}", i + 1),
                    held_fraction: Some(*h),
                    wait_s: 0.52,
                    cpu_s: 0.55,
                    wall_s: 1.1,
                })
                .collect(),
            ..GilStats::default()
        }
    }

    /// A Python row of `workers` threads: `samples` walls, ns per iteration, CPU/wall.
    fn threads(workers: usize, samples: &[f64], ns: f64, parallelism: f64) -> CountdownRow {
        CountdownRow {
            workers,
            ns_per_iteration: ns,
            parallelism,
            ctx_switches: CtxSwitches {
                voluntary: 12.0 + 450.0 * (workers - 1) as f64,
                involuntary: 30.0,
            },
            gil: Some(if workers == 1 {
                exact_gil(0, &[0.99])
            } else {
                exact_gil(220, &[0.49, 0.485])
            }),
            ..row(samples)
        }
    }

    fn verdict_of(rows: &[CountdownRow]) -> String {
        write(rows, &embedded(), 0.005, 50_000_000)
    }

    const ONE: [f64; 5] = [1.00, 1.01, 0.99, 1.00, 1.00];

    #[test]
    fn one_against_two_threads() {
        let one = || threads(1, &ONE, 20.0, 0.99);
        let cases = [
            (
                "equal",
                threads(2, &[1.01, 1.00, 1.02, 1.01, 1.01], 20.2, 1.0),
            ),
            (
                "slower_in_cpu_time",
                threads(2, &[1.12, 1.13, 1.11, 1.12, 1.12], 22.4, 1.0),
            ),
            (
                "slower_in_idle_time",
                threads(2, &[1.12, 1.13, 1.11, 1.12, 1.12], 20.1, 0.89),
            ),
            (
                "faster_under_a_gil",
                threads(2, &[0.80, 0.81, 0.79, 0.80, 0.80], 16.0, 1.0),
            ),
            ("too_few_runs", threads(2, &[1.3], 26.0, 1.0)),
            (
                "noisy_runs_equal",
                threads(2, &[1.1, 1.3, 0.9, 1.2, 1.0], 21.0, 1.0),
            ),
            (
                "busy_machine",
                CountdownRow {
                    other_load: Some(0.8),
                    ..threads(2, &[1.30, 1.31, 1.29, 1.30, 1.30], 26.0, 1.0)
                },
            ),
            (
                "gil_figures_unavailable",
                CountdownRow {
                    gil: Some(GilStats::unavailable("Python 3.8 has no known layout")),
                    ..threads(2, &[1.01, 1.00, 1.02, 1.01, 1.01], 20.2, 1.0)
                },
            ),
            (
                "with_a_probe",
                CountdownRow {
                    probe: Some(crate::measure::gil::probe::ProbeStats {
                        interval_s: 0.01,
                        acquisitions: 95,
                        latency_s: Some(crate::measure::gil::probe::Latencies {
                            p50: 0.005,
                            p90: 0.009,
                            p99: 0.010,
                            max: 0.015,
                        }),
                        held_s: 0.001,
                    }),
                    ..threads(2, &[1.01, 1.00, 1.02, 1.01, 1.01], 20.2, 1.0)
                },
            ),
        ];
        for (name, two) in cases {
            insta::assert_snapshot!(name, verdict_of(&[one(), two]));
        }
    }

    #[test]
    fn the_old_gil_under_python_2_7_on_2_cpus_and_1() {
        let old = |workers, cpus, samples: &[f64]| CountdownRow {
            python: Some(crate::domain::ExternalPython {
                name: "2.7".into(),
                version: "2.7.18".into(),
                path: "/x/python2.7".into(),
                gil: GilKind::Old,
                subinterpreters: false,
                python_gil: None,
            }),
            cpus,
            gil: Some(GilStats::unavailable("Python 2.7 has the old GIL")),
            ..threads(workers, samples, 60.0, 1.4)
        };
        let rows = [
            old(1, None, &ONE),
            old(2, None, &[1.8, 1.82, 1.79, 1.8, 1.81]),
            old(1, Some(1), &ONE),
            old(2, Some(1), &[1.05, 1.04, 1.06, 1.05, 1.05]),
        ];
        insta::assert_snapshot!("old_gil", verdict_of(&rows));
        // A run that measured no slowdown does not tell the battle as its cause.
        let level = [
            old(1, None, &ONE),
            old(2, None, &[1.0, 1.01, 0.99, 1.0, 1.0]),
        ];
        let text = verdict_of(&level);
        assert!(text.contains("about as long as 1"), "{text}");
        assert!(!text.contains("That is the slowdown"), "{text}");
        assert!(text.contains("not the explanation here"), "{text}");
    }

    #[test]
    fn processes_subinterpreters_and_rust() {
        let runtime = |runtime, workers, samples: &[f64], parallelism, speedup| CountdownRow {
            runtime,
            workers,
            parallelism,
            speedup,
            speedup_baseline: speedup.map(|_| "1 Python thread".to_string()),
            ns_per_iteration: 20.0,
            ..row(samples)
        };
        let rows = [
            threads(1, &ONE, 20.0, 0.99),
            threads(2, &[1.01, 1.00, 1.02, 1.01, 1.01], 20.2, 1.0),
            runtime(
                Runtime::PythonProcesses,
                2,
                &[0.52, 0.52, 0.53, 0.51, 0.52],
                1.9,
                Some(1.92),
            ),
            runtime(
                Runtime::PythonSubinterpreters,
                2,
                &[0.55, 0.55, 0.56, 0.54, 0.55],
                1.85,
                Some(1.82),
            ),
            CountdownRow {
                ns_per_iteration: 0.25,
                ..runtime(Runtime::RustThreads, 1, &[0.0125; 5], 1.0, None)
            },
            CountdownRow {
                ns_per_iteration: 0.26,
                ..runtime(Runtime::RustThreads, 2, &[0.0065; 5], 1.95, Some(1.92))
            },
            CountdownRow {
                gil: Some(exact_gil(260, &[])),
                ..runtime(Runtime::RustGil, 2, &[0.013; 5], 1.02, None)
            },
        ];
        insta::assert_snapshot!("processes_subinterpreters_rust", verdict_of(&rows));
    }

    #[test]
    fn processes_and_rust_threads_that_did_not_run_at_once() {
        let rows = [
            CountdownRow {
                runtime: Runtime::PythonProcesses,
                workers: 2,
                parallelism: 1.02,
                other_load: Some(0.9),
                ..row(&[1.0; 5])
            },
            CountdownRow {
                runtime: Runtime::PythonProcesses,
                workers: 2,
                parallelism: 1.3,
                ..row(&[0.8; 5])
            },
            CountdownRow {
                runtime: Runtime::RustThreads,
                ns_per_iteration: 0.25,
                ..row(&[0.0125; 5])
            },
            // Both cores busy, yet each iteration cost more: CPUs slowing each other down.
            CountdownRow {
                runtime: Runtime::RustThreads,
                workers: 2,
                parallelism: 1.9,
                speedup: Some(1.2),
                ns_per_iteration: 0.4,
                ..row(&[0.0104; 5])
            },
        ];
        insta::assert_snapshot!("processes_not_at_once", verdict_of(&rows));
        let overlapped_little = [
            rows[2].clone(),
            CountdownRow {
                parallelism: 1.1,
                ..rows[3].clone()
            },
        ];
        insta::assert_snapshot!("rust_overlapped_little", verdict_of(&overlapped_little));
        insta::assert_snapshot!("nothing", verdict_of(&[]));
    }

    #[test]
    fn a_rust_speed_up_beyond_the_cores_busy_is_not_a_finding() {
        // Seen on a fresh clone: ×5.17 with CPU/wall 1.71, the 1-thread run costing more CPU per
        // iteration than the 2-thread one.
        let rows = [
            CountdownRow {
                runtime: Runtime::RustThreads,
                parallelism: 1.0,
                ns_per_iteration: 0.9,
                ..row(&[0.045; 5])
            },
            CountdownRow {
                runtime: Runtime::RustThreads,
                workers: 2,
                parallelism: 1.71,
                speedup: Some(5.17),
                ns_per_iteration: 0.3,
                ..row(&[0.0087; 5])
            },
        ];
        let text = verdict_of(&rows);
        assert!(text.contains("not comparable"), "{text}");
        assert!(!text.contains("reached CPU/wall"), "{text}");
        insta::assert_snapshot!("rust_beyond_the_cores", text);
    }

    #[test]
    fn a_free_threaded_build_beside_its_gil_build() {
        let rows = vec![
            under("3.13", None, 1, &ONE),
            under("3.13", None, 2, &[1.0, 1.0, 1.01, 0.99, 1.0]),
            under("3.13t", Some(0), 1, &[1.2, 1.2, 1.21, 1.19, 1.2]),
            under("3.13t", Some(0), 2, &[0.62, 0.62, 0.63, 0.61, 0.62]),
        ];
        insta::assert_snapshot!("free_threaded", verdict_of(&rows));
    }
}
