//! `gilsim timeline`: a script or the countdown with every GIL state change recorded, shown
//! as a picture (SVG) and summarised on stdout.
use crate::cli::{SummaryFormat, TimelineArgs};
use crate::commands::run::check_script;
use crate::domain::TimelineOutcome;
use crate::files::{check_writable, write_atomically};
use crate::measure::gil::stats::GilStats;
use crate::report::render::{wrap, WIDTH};
use crate::report::timeline_svg::Change;
use crate::report::units::{seconds, thousands};
use crate::scenario::timeline;
use anyhow::Result;
use serde_json::{json, Value};

pub fn run(args: &TimelineArgs) -> Result<i32> {
    if let Some(path) = &args.script {
        if let Err(code) = check_script(path) {
            return Ok(code);
        }
    } else if args.scenario.is_none() {
        crate::usage_bail!("timeline needs a SCRIPT to run or --scenario countdown");
    }
    if let Some(svg) = &args.svg {
        check_writable(svg, "the picture")?;
    }
    let spec = args.spec()?;
    let recorded = timeline::run(&spec)?;
    let run_s = recorded.run_s();
    let TimelineOutcome {
        gil,
        switch_interval_s: interval,
        threads,
        changes,
        exit_code,
    } = &recorded.outcome;
    let (interval, exit_code) = (*interval, *exit_code);
    let (from, window) = timeline::window(&spec, run_s)?;
    let mut title = match &args.script {
        Some(p) => format!("gilsim timeline · {}", p.display()),
        None => format!(
            "gilsim timeline · countdown({}) on {} threads",
            args.count, args.threads
        ),
    };
    if let Some(python) = &spec.python {
        title += &format!(" · Python {}", python.label());
    }
    let drawable = gil.source != "unavailable";
    if let Some(svg) = args.svg.as_ref().filter(|_| drawable) {
        let picture = timeline::picture(&title, &recorded, from, window);
        write_atomically(svg, &picture)?;
    }
    match args.format {
        SummaryFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "schema": crate::report::document::SCHEMA,
                "command": "timeline",
                "run_s": run_s,
                "switch_interval_s": interval,
                "window_s": [from, from + window],
                "gil": gil,
                "holders": holder_sequence(changes, threads),
                "svg": args.svg.as_ref().filter(|_| drawable),
            }))?
        ),
        SummaryFormat::Text => print!(
            "{}",
            wrap(
                &summary(&title, gil, run_s, interval, args, from, window),
                WIDTH
            )
        ),
    }
    Ok(exit_code)
}

/// Who took the GIL when, as the sampler saw it: one entry per change of holder (a hand-off
/// shorter than a sample period can be missed; `gil.switches` is the exact count).
fn holder_sequence(changes: &[Change], threads: &[String]) -> Vec<Value> {
    let mut last = None;
    changes
        .iter()
        .filter_map(|c| {
            let h = c.holder.filter(|_| c.locked)?;
            if last == Some(h) {
                return None;
            }
            last = Some(h);
            let name = threads
                .get(h)
                .cloned()
                .unwrap_or_else(|| format!("thread {h}"));
            Some(json!({"t_s": c.t, "thread": name}))
        })
        .collect()
}

fn summary(
    title: &str,
    gil: &GilStats,
    run_s: f64,
    interval: f64,
    args: &TimelineArgs,
    from: f64,
    window: f64,
) -> String {
    let mut text = format!("{title}\n");
    if gil.source == "unavailable" {
        text += &format!(
            "No GIL timeline: {}.\n",
            gil.reason.as_deref().unwrap_or("the GIL could not be read")
        );
        for t in &gil.threads {
            text += &format!(
                "  {:<24} CPU {} of the run's {}\n",
                t.name,
                seconds(t.cpu_s),
                seconds(run_s)
            );
        }
        if args.svg.is_some() {
            text += "No picture written: it would show no GIL.\n";
        }
        return text;
    }
    let switches = gil.switches.unwrap_or(0);
    text += &format!(
        "The GIL changed hands {} times in {}{} (switch interval {}); it was free {:.1} % of the time.\n",
        thousands(switches),
        seconds(run_s),
        if switches > 0 {
            format!(" (one hand-off per {})", seconds(run_s / switches as f64))
        } else {
            String::new()
        },
        seconds(interval),
        (1.0 - gil.held_fraction.unwrap_or(0.0)) * 100.0
    );
    for t in &gil.threads {
        text += &format!(
            "  {:<24} held the GIL {:5.1} %  · CPU {} · blocked {} of its {}\n",
            t.name,
            t.held_fraction.unwrap_or(0.0) * 100.0,
            seconds(t.cpu_s),
            seconds(t.wait_s),
            seconds(t.wall_s)
        );
    }
    text += &format!(
        "Sampled at {:.1} kHz ({} hand-offs seen between samples, of {} exact).\n",
        gil.sample_rate_hz.unwrap_or(0.0) / 1e3,
        thousands(gil.handoffs_seen.unwrap_or(0)),
        thousands(switches)
    );
    if let Some(svg) = &args.svg {
        text += &format!(
            "Picture: {} (from {} to {} into the run).\n",
            svg.display(),
            seconds(from),
            seconds(from + window)
        );
    }
    text
}
