//! `gilsim simulate`: the model alone, or against real runs (`--validate`).
use crate::cli::{SimulateArgs, ValidationMethod};
use crate::files::{check_writable, write_atomically};
use crate::report::timeline_svg::{self, Timeline};
use crate::report::units::seconds;
use crate::scenario::simulate;
use anyhow::Result;

pub fn run(args: &SimulateArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    if let Some(svg) = &args.svg {
        check_writable(svg, "the picture")?;
    }
    let spec = args.spec()?;
    if args.validate
        && args.gil == crate::sim::Policy::Old
        && args.method == ValidationMethod::Alternating
    {
        output.emit(&crate::scenario::old_gil::alternating::validate(&spec)?)?;
        return Ok(crate::runner::signals::exit_code());
    }
    if args.validate && args.gil == crate::sim::Policy::Old {
        output.emit(&crate::scenario::old_gil::validate(&spec)?)?;
        return Ok(0);
    }
    if args.validate && args.method == ValidationMethod::Alternating {
        output.emit(&crate::scenario::validate::alternating::validate(&spec)?)?;
        return Ok(crate::runner::signals::exit_code());
    }
    if args.validate {
        output.emit(&crate::scenario::validate::validate(&spec)?)?;
        return Ok(0);
    }
    let (doc, outcome, scenario) = simulate::one(&spec)?;
    if let Some(svg) = &args.svg {
        let row = &doc.results[0];
        let names: Vec<String> = row.threads_detail.iter().map(|t| t.name.clone()).collect();
        let held: Vec<f64> = row.threads_detail.iter().map(|t| t.held_fraction).collect();
        let window = args.window.min(outcome.wall_s.max(1e-6));
        let from = ((outcome.wall_s - window) / 2.0).max(0.0);
        let title = format!(
            "gilsim simulate · {} threads, {:?} GIL, {} interval (model)",
            scenario.cpu_threads,
            scenario.policy,
            seconds(scenario.switch_interval_s)
        );
        let picture = timeline_svg::render(&Timeline {
            title: &title,
            threads: &names,
            held_fractions: &held,
            changes: &outcome.changes,
            run_s: outcome.wall_s,
            switch_interval_s: scenario.switch_interval_s,
            switches: outcome.switches,
            gil_free_fraction: 1.0 - row.gil_held_fraction.unwrap_or(0.0),
            from,
            to: from + window,
        });
        write_atomically(svg, &picture)?;
    }
    output.emit(&doc)?;
    Ok(0)
}
