//! `gilsim simulate` and `gilsim calibrate`.
use crate::cli::{CalibrateArgs, SimulateArgs};
use crate::report::output::{check_writable, write_atomically};
use crate::report::timeline_svg::{self, Timeline};
use crate::report::units::seconds;
use crate::scenario::{calibrate, simulate};
use anyhow::Result;

pub fn run(args: &SimulateArgs) -> Result<i32> {
    args.output.spec().check()?;
    if let Some(svg) = &args.svg {
        check_writable(svg, "the picture")?;
    }
    if args.validate && args.gil == crate::sim::Policy::Old {
        let doc = crate::scenario::old_gil::validate(args)?;
        args.output.spec().emit(&doc)?;
        return Ok(0);
    }
    if args.validate {
        let doc = simulate::validate(args)?;
        args.output.spec().emit(&doc)?;
        return Ok(0);
    }
    let (doc, outcome, scenario) = simulate::one(args)?;
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
    args.output.spec().emit(&doc)?;
    Ok(0)
}

pub fn calibrate(args: &CalibrateArgs) -> Result<i32> {
    if let Some(path) = &args.output {
        check_writable(path, "the calibration")?;
    }
    let (params, path) = calibrate::run(args)?;
    write_atomically(&path, &(serde_json::to_string_pretty(&params)? + "\n"))?;
    let text = format!(
        "Calibrated: {:.2} ns per iteration ({:.2} with other threads alive), {} GIL-free wake-up per hand-off, {} timer lateness per timed wait, {} extra CPU per hand-off.\nSaved to {} (used by `gilsim simulate`).",
        params.iteration_s * 1e9,
        params.threaded_iteration_s.unwrap_or(params.iteration_s) * 1e9,
        seconds(params.wakeup_s),
        seconds(params.timeout_latency_s),
        seconds(params.switch_cost_s),
        path.display()
    );
    println!(
        "{}",
        crate::report::render::wrap(&text, crate::report::render::WIDTH)
    );
    Ok(0)
}

pub fn convoy(args: &crate::cli::ConvoyArgs) -> Result<i32> {
    args.output.spec().check()?;
    let doc = crate::scenario::convoy::run(args)?;
    args.output.spec().emit(&doc)?;
    Ok(i32::from(doc.results.iter().any(|r| r.status != "ok")))
}
