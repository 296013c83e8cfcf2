//! The labs, one per file, in course order, and what they share: running the countdown with
//! plain specs and finding its rows.
mod c_code;
mod convoy;
mod free_threaded;
mod no_gil;
mod not_a_lock;
mod old_gil;
mod one_vs_two;
mod process_cost;
mod queues;
mod shared;
mod speedup;
mod switch_interval;

use super::{CheckDef, Lab};
use crate::domain::Runtime;
use crate::measure::gil::watch::GilSampling;
use crate::scenario::countdown::CountdownRow;
use crate::scenario::spec::CountdownSpec;
use crate::stats::fastest_ratio;

pub fn all() -> Vec<Lab> {
    vec![
        one_vs_two::lab(),
        old_gil::lab(),
        speedup::lab(),
        process_cost::lab(),
        c_code::lab(),
        convoy::lab(),
        switch_interval::lab(),
        not_a_lock::lab(),
        queues::lab(),
        shared::lab(),
        no_gil::lab(),
        free_threaded::lab(),
    ]
}

/// The labs whose Python rows all come from [`countdown`], so that `lab run --python` can put
/// them on another interpreter.
pub const ON_ANOTHER_PYTHON: [&str; 3] = ["one-vs-two", "speedup", "switch-interval"];

/// A countdown spec with the exact hand-off counter only (no sampler), no warm-up; its Python
/// rows on `lab run --python`'s interpreter where one was given.
fn countdown(
    count: u64,
    threads: &[usize],
    processes: &[usize],
    runtimes: &[Runtime],
    repeat: usize,
    ctx: &super::Context,
) -> CountdownSpec {
    let timeout = ctx.timeout;
    let (python, interpreters) = match &ctx.python {
        Some(p) => (vec![p.path.clone()], vec![Some(p.clone())]),
        None => (Vec::new(), vec![None]),
    };
    CountdownSpec {
        count,
        threads: threads.to_vec(),
        processes: processes.to_vec(),
        runtimes: runtimes.to_vec(),
        repeat,
        warmup: 0,
        switch_interval: None,
        gil_sampling: GilSampling::Counter,
        sampled_count: None,
        sampled_runs: 0,
        probe_interval: None,
        python,
        interpreters,
        cpus: Vec::new(),
        timeout,
    }
}

/// The (runtime, workers) row on all CPUs, of a report whose Python rows ran on one
/// interpreter (the embedded one, or `lab run --python`'s).
fn row(rows: &[CountdownRow], runtime: Runtime, workers: usize) -> Option<&CountdownRow> {
    rows.iter()
        .find(|r| r.runtime == runtime && r.workers == workers && r.cpus.is_none())
}

/// [`fastest_ratio`] of two countdown rows' walls, when both were measured.
fn rows_ratio(
    a: Option<&CountdownRow>,
    b: Option<&CountdownRow>,
) -> (Option<f64>, Option<[f64; 2]>) {
    match (a, b) {
        (Some(a), Some(b)) => fastest_ratio(&a.wall_s, &b.wall_s),
        _ => (None, None),
    }
}

/// Where the model's parameters come from, as a lab says it: the saved calibration or the
/// documented defaults, the defaulted fields among `fields` (those the answer rests on), and
/// a calibration made with another interpreter.
fn model_source(params: &crate::sim::Params, fields: &[&str], ctx: &super::Context) -> String {
    let mut out = format!("the GIL model; parameters: {}", params.source);
    let defaulted: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|f| params.source_of(f) == crate::sim::FieldSource::Default)
        .collect();
    if !params.field_sources.is_empty() && !defaulted.is_empty() {
        out += &format!("; documented defaults for {}", defaulted.join(", "));
    }
    if let Some(python) = &params.python {
        if !python.contains(&format!(" {} ", ctx.python_version)) {
            out += &format!("; calibrated with {python}, not this interpreter");
        }
    }
    out
}

/// "×1.02", or "unavailable".
fn times(v: Option<f64>) -> String {
    v.map_or("unavailable".into(), |v| format!("×{v:.2}"))
}

/// "×1.02 (runs: ×0.98 – ×1.07)", or "unavailable".
fn times_within(v: Option<f64>, interval: Option<[f64; 2]>) -> String {
    match (v, interval) {
        (Some(v), Some([lo, hi])) => format!("×{v:.2} (runs: ×{lo:.2} – ×{hi:.2})"),
        (v, _) => times(v),
    }
}

/// How a ratio of two wall times compares with 1, decided from the range its runs allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// The whole range is above 1 (and not all of it within the margin).
    Above,
    Below,
    /// The whole range lies within 1 ± the margin.
    Level,
    /// The range holds 1 and reaches past the margin, or there is no range.
    Undetermined,
}

/// Where the range of a ratio lies against 1 ± `margin`.
fn side(interval: Option<[f64; 2]>, margin: f64) -> Side {
    match interval {
        None => Side::Undetermined,
        Some([lo, hi]) if lo >= 1.0 - margin && hi <= 1.0 + margin => Side::Level,
        Some([lo, _]) if lo > 1.0 => Side::Above,
        Some([_, hi]) if hi < 1.0 => Side::Below,
        Some(_) => Side::Undetermined,
    }
}

/// The check two labs share: 2 processes at least ×1.4 as fast as 2 threads (`ratio`: the
/// processes' speed over the threads').
/// Why a check premised on a GIL does not apply: `lab run --python` gave a free-threaded build,
/// which runs without one.
fn gil_premise(ctx: &super::Context) -> Option<String> {
    ctx.python
        .as_ref()
        .filter(|p| p.python_gil == Some(0))
        .map(|p| {
            format!(
                "premised on a GIL: {} runs without one (lab no-gil is about that)",
                p.label()
            )
        })
}

fn processes_beat_threads(
    m: &mut super::Measured,
    ctx: &super::Context,
    ratio: (Option<f64>, Option<[f64; 2]>),
) {
    m.check_range(
        "processes_beat_threads",
        super::needs_two_cpus(ctx).or_else(|| gil_premise(ctx)),
        ratio,
        super::Bound::AtLeast(1.4),
        format!("{} on {} CPUs", times_within(ratio.0, ratio.1), ctx.cpus),
    );
}

fn processes_beat_threads_def() -> CheckDef {
    CheckDef::new(
        "processes_beat_threads",
        "2 processes are at least ×1.4 as fast as 2 threads",
    )
}

/// A free-threaded build's figures: 2 threads against 1 without its GIL, and 1 thread against
/// the GIL build of the same version where one is found.
pub(super) struct FreeThreaded {
    pub name: String,
    /// The free-threaded build's row without its GIL, for further runs.
    pub python: crate::domain::ExternalPython,
    pub gil_build: Option<String>,
    pub speedup: (Option<f64>, Option<[f64; 2]>),
    pub cost: (Option<f64>, Option<[f64; 2]>),
}

pub(super) fn measure_free_threaded(
    ctx: &super::Context,
    m: &mut super::Measured,
    count: u64,
    repeat: usize,
    series: &mut Vec<crate::report::chart::Series>,
) -> anyhow::Result<Option<FreeThreaded>> {
    use crate::domain::ExternalPython;
    let found = crate::interpreters::discover(&[]);
    let Some((free, twin)) = crate::interpreters::free_threaded_pair(&found) else {
        return Ok(None);
    };
    let twin = twin.as_ref();
    let mut spec = countdown(count, &[1, 2], &[], &[Runtime::PythonThreads], repeat, ctx);
    let mut interpreters: Vec<Option<ExternalPython>> = ExternalPython::rows_of(free.clone())
        .into_iter()
        .filter(|p| p.python_gil == Some(0))
        .map(Some)
        .collect();
    spec.python = vec![free.path.clone()];
    if let Some(t) = twin {
        interpreters.extend(ExternalPython::rows_of(t.clone()).into_iter().map(Some));
        spec.python.push(t.path.clone());
    }
    spec.interpreters = interpreters;
    let doc = crate::scenario::countdown::run(&spec)?;
    let at = |workers: usize, free_threaded: bool| {
        doc.results.iter().find(|r| {
            r.workers == workers
                && r.python
                    .as_ref()
                    .is_some_and(|p| (p.python_gil == Some(0)) == free_threaded)
        })
    };
    let speedup = match (at(1, true), at(2, true)) {
        (Some(one), Some(two)) => crate::stats::fastest_ratio(&one.wall_s, &two.wall_s),
        _ => (None, None),
    };
    let cost = match (at(1, true), at(1, false)) {
        (Some(free_one), Some(gil_one)) => {
            crate::stats::fastest_ratio(&free_one.wall_s, &gil_one.wall_s)
        }
        _ => (None, None),
    };
    m.quantity_within("free_threaded_speedup_2", speedup.0, speedup.1);
    m.quantity_within("free_threaded_single_thread_cost", cost.0, cost.1);
    m.method.push(format!(
        "gilsim countdown --python {} --runtimes python-threads --threads 1,2 --count {count} \
         --repeat {repeat} --warmup 0 (PYTHON_GIL=0 rows)",
        spec.python.join(",")
    ));
    if let Some(s) = speedup.0 {
        series.push(crate::report::chart::Series {
            name: format!("free-threaded {} (no GIL)", free.version),
            points: vec![(1.0, 1.0), (2.0, s)],
        });
    }
    let python = ExternalPython::rows_of(free.clone())
        .into_iter()
        .find(|p| p.python_gil == Some(0))
        .expect("a free-threaded build gives a row without its GIL");
    Ok(Some(FreeThreaded {
        name: format!("{}t", free.version),
        python,
        gil_build: twin.map(|t| t.version.clone()),
        speedup,
        cost,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_is_decided_by_its_whole_range() {
        assert_eq!(side(Some([1.1, 1.3]), 0.05), Side::Above);
        assert_eq!(side(Some([1.04, 1.12]), 0.05), Side::Above);
        assert_eq!(side(Some([0.7, 0.9]), 0.05), Side::Below);
        assert_eq!(side(Some([0.97, 1.04]), 0.05), Side::Level);
        assert_eq!(side(Some([1.01, 1.04]), 0.05), Side::Level);
        assert_eq!(side(Some([0.9, 1.2]), 0.05), Side::Undetermined);
        assert_eq!(side(None, 0.05), Side::Undetermined);
    }
}
