//! `gilsim watch --pid PID`: a running CPython's GIL, read from outside, interval by interval.
use crate::cli::{WatchArgs, WatchFormat};
use crate::measure::outside::OutsideError;
use crate::report::{render, Document, Format, Host};
use crate::scenario::watch::rows::percent;
use crate::scenario::watch::{watch, Interval, ThreadFigures};
use anyhow::{Context, Result};
use serde_json::json;

pub fn run(args: &WatchArgs) -> Result<i32> {
    let spec = args.spec();
    let json = args.format == WatchFormat::Json;
    let summary = match watch(&spec, |interval| {
        if json {
            println!("{}", serde_json::to_string(interval).expect("serializable"));
        } else {
            println!("{}", live_line(interval));
        }
    }) {
        Ok(summary) => summary,
        Err(e @ OutsideError::NotCPython(_)) => {
            anyhow::bail!("watching process {}: {e}{}", args.pid, child_hint(args.pid))
        }
        Err(e) => return Err(e).with_context(|| format!("watching process {}", args.pid)),
    };
    if json {
        println!("{}", serde_json::to_string(&summary).expect("serializable"));
        return Ok(0);
    }
    let doc = Document {
        schema: crate::report::document::SCHEMA,
        command: "watch".into(),
        params: json!({ "pid": args.pid }),
        host: Host::new(None),
        results: summary.totals.threads.clone(),
        verdict: summary.verdict.clone(),
    };
    print!("\n{}", render(&doc, Format::Table, false));
    let sampler = if args.sample_rate == 0 {
        "sampling off".to_string()
    } else {
        format!(
            "{:.0} samples/s, sampler CPU {:.3} s ({:.1} % of one core)",
            summary.sample_rate_hz,
            summary.sampler_cpu_s,
            100.0 * summary.sampler_cpu_s / summary.totals.t_s.max(1e-9)
        )
    };
    let found_by = crate::measure::outside::found_by(summary.gil_found_by);
    let waiting = if args.sample_rate == 0 {
        String::new()
    } else {
        " A thread waits for the GIL while it sleeps on the GIL's own condition variable or \
         mutex (/proc/PID/task/TID/syscall)."
            .into()
    };
    let footer = format!(
        "Process {} runs CPython {}; its GIL was found {found_by} and read with \
         process_vm_readv; {sampler}.{waiting}",
        summary.pid, summary.python
    );
    println!(
        "{}",
        crate::report::render::wrap(&footer, crate::report::render::WIDTH)
    );
    if let Some(note) = &summary.note {
        println!(
            "{}",
            crate::report::render::wrap(note, crate::report::render::WIDTH)
        );
    }
    Ok(0)
}

/// A launcher (a pyenv shim, a shell) often runs the interpreter as its child: names it.
pub fn child_hint(pid: i32) -> String {
    match python_children(pid).as_slice() {
        [] => String::new(),
        [one] => format!("; its child {one} is: try --pid {one}"),
        many => format!(
            "; its children {} are",
            many.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Child processes of `pid` that are CPython (they map a `_PyRuntime`).
fn python_children(pid: i32) -> Vec<i32> {
    let mut found: Vec<i32> = crate::runner::reaper::children_of(pid)
        .into_iter()
        .filter(|child| crate::measure::outside::memory::runtime(*child).is_ok())
        .collect();
    found.sort_unstable();
    found
}

/// "3.0 s  194 hand-offs/s  GIL held 99.9 %  holders: python3 (123) 50.0 %, …".
fn live_line(i: &Interval) -> String {
    let mut holders: Vec<&ThreadFigures> = i
        .threads
        .iter()
        .filter(|t| t.held_fraction.is_some_and(|h| h > 0.0))
        .collect();
    holders.sort_by(|a, b| b.held_fraction.partial_cmp(&a.held_fraction).unwrap());
    let holders: Vec<String> = holders
        .iter()
        .take(4)
        .map(|t| match t.tid {
            Some(tid) => format!("{tid} {}", percent(t.held_fraction)),
            None => format!("{} {}", t.name, percent(t.held_fraction)),
        })
        .collect();
    let mut line = format!("{:>7.1} s  {:>7.0} hand-offs/s", i.t_s, i.switches_per_s);
    if let Some(held) = i.held_fraction {
        line += &format!("  GIL held {:>5}", percent(Some(held)));
        if !holders.is_empty() {
            line += &format!("  by {}", holders.join(", "));
        }
    }
    line
}
