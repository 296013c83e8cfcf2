//! The study note's "objects can be shared between threads, but must be copied per process": one
//! mutation by a thread and one by a process per start method, seen from the parent.
use crate::domain::ShareOutcome;
use crate::measure::gil::stats::GilStats;
use crate::measure::gil::watch;
use crate::protocol::{Job, ShareTrial};
use crate::report::progress::Progress;
use crate::report::render::csv_fields;
use crate::report::units::{seconds, thousands};
use crate::report::{Cell, Document, Host, Row};
use crate::runner::Runner;
use crate::scenario::spec::ShareSpec;
use crate::scenario::{dedup, host, measure_job_on};
use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, Serialize)]
pub struct ShareRow {
    /// `thread` or `process`.
    pub variant: &'static str,
    pub start_method: Option<&'static str>,
    pub size: usize,
    /// The parent saw the mutation in its own object.
    pub visible_in_parent: Option<bool>,
    /// The object pickled on its own (what a copy costs to serialise).
    pub object_bytes: Option<u64>,
    /// Bytes multiprocessing pickled to start the child (arguments and preparation data).
    pub pickled_bytes: Option<u64>,
    /// Memory the child's writes copied (copy-on-write page faults × page size).
    pub child_copied_bytes: Option<u64>,
    pub wall_s: Option<f64>,
    /// The parent interpreter's exact GIL hand-offs (Python rows; medians over runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil: Option<GilStats>,
    pub status: &'static str,
    pub error: Option<String>,
}

pub fn run(spec: &ShareSpec) -> Result<Document<ShareRow>> {
    run_on(spec, &crate::runner::Workers)
}

/// `run` with the trials on `runner`.
pub fn run_on(spec: &ShareSpec, runner: &dyn Runner) -> Result<Document<ShareRow>> {
    let timeout = spec.timeout;
    let trial = |start_method| ShareTrial {
        start_method,
        size: spec.size,
        python: spec.python.clone(),
    };
    let mut trials = vec![trial(None)];
    trials.extend(
        dedup(&spec.start_method)
            .into_iter()
            .map(|sm| trial(Some(sm))),
    );
    let mut progress = Progress::new(1 + trials.len());
    let name = host::interpreter_name(spec.python.as_ref());
    progress.start(&format!("starting {name}"));
    let python = host::python_info_on(runner, spec.python.as_ref(), timeout)
        .with_context(|| format!("describing {name}"))?;
    let mut results = Vec::new();
    for trial in &trials {
        let variant = if trial.start_method.is_some() {
            "process"
        } else {
            "thread"
        };
        progress.start(variant);
        let mut row = ShareRow {
            variant,
            start_method: trial.start_method.map(|m| m.name()),
            size: trial.size,
            visible_in_parent: None,
            object_bytes: None,
            pickled_bytes: None,
            child_copied_bytes: None,
            wall_s: None,
            gil: None,
            status: "error",
            error: None,
        };
        match measure_job_on::<ShareOutcome>(runner, &Job::Share(trial.clone()), timeout)? {
            Ok(run) => {
                row.visible_in_parent = Some(run.data.visible_in_parent);
                row.object_bytes = Some(run.data.object_bytes);
                row.pickled_bytes = run.data.pickled_bytes;
                row.child_copied_bytes = run.data.child_copied_bytes;
                row.wall_s = Some(run.wall_s);
                row.gil = watch::from_runs([&run.gil]);
                row.status = "ok";
            }
            Err(e) => row.error = Some(e),
        }
        results.push(row);
    }
    progress.finish();
    let verdict = verdict(&results);
    Ok(Document {
        schema: crate::report::document::SCHEMA,
        command: "share".into(),
        params: json!({
            "size": spec.size,
            "start_method": dedup(&spec.start_method).iter().map(|m| m.name()).collect::<Vec<_>>(),
            "python": spec.python.as_ref().map(|p| p.label()),
            "timeout_s": spec.timeout.as_secs_f64(),
        }),
        host: Host::new(Some(&python)),
        results,
        verdict,
    })
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn verdict(rows: &[ShareRow]) -> String {
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| r.status == "ok") {
        let who = match r.start_method {
            Some(sm) => format!("A process ({sm})"),
            None => "A thread".into(),
        };
        let seen = if r.visible_in_parent == Some(true) {
            "the parent saw the change: both worked on the same object in one memory"
        } else {
            "the parent's object was unchanged: the child worked on its own copy"
        };
        let mut text = format!("{who} negated all {} items of a list: {seen}", r.size);
        match (r.pickled_bytes, r.child_copied_bytes) {
            (Some(p), None) if p > 0 => {
                text += &format!(
                    "; starting it pickled {} (the list alone is {}), from which the child built its own list",
                    bytes(p),
                    bytes(r.object_bytes.unwrap_or(0))
                )
            }
            (Some(_), Some(c)) => text += &format!(
                "; nothing was pickled (fork copies the parent's memory lazily) and the child's writes copied {} of pages",
                bytes(c)
            ),
            _ => {}
        }
        out.push(text + ".");
    }
    for r in rows.iter().filter(|r| r.status != "ok") {
        out.push(format!(
            "{} {} failed: {}",
            r.variant,
            r.start_method.unwrap_or(""),
            r.error.as_deref().unwrap_or("")
        ));
    }
    out.join("\n")
}

impl Row for ShareRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("variant", self.variant),
            Cell::new("start", self.start_method.unwrap_or("–")),
            Cell::new("items", thousands(self.size as u64)),
            Cell::new(
                "parent sees change",
                self.visible_in_parent
                    .map_or("–", |v| if v { "yes" } else { "no" }),
            ),
            Cell::new("pickled", self.pickled_bytes.map_or("–".into(), bytes)),
            Cell::new(
                "copied by writes",
                self.child_copied_bytes.map_or("–".into(), bytes),
            ),
            Cell::new("wall", self.wall_s.map_or("–".into(), seconds)),
            Cell::new(
                "status",
                crate::report::units::status_cell(self.error.as_deref()),
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            variant, ?start_method, size, ?visible_in_parent, ?object_bytes, ?pickled_bytes,
            ?child_copied_bytes, ?wall_s, status, ?error,
        )
    }
}
