//! `gilsim calibrate`: the model's parameters measured on the computer it runs on, saved for
//! `simulate`.
use crate::cli::CalibrateArgs;
use crate::files::{check_writable, write_atomically};
use crate::report::render::{wrap, WIDTH};
use crate::report::units::seconds;
use crate::scenario::calibrate;
use anyhow::Result;

pub fn run(args: &CalibrateArgs) -> Result<i32> {
    if let Some(path) = &args.output {
        check_writable(path, "the calibration")?;
    }
    let (params, path) = calibrate::run(&args.spec())?;
    write_atomically(&path, &(serde_json::to_string_pretty(&params)? + "\n"))?;
    let slice = if params.single_core_slice_s > 0.0 {
        format!(
            ", {} time slice a waiter waits out on one CPU",
            seconds(params.single_core_slice_s)
        )
    } else {
        String::new()
    };
    let text = format!(
        "Calibrated: {:.2} ns per iteration ({:.2} with other threads alive), {} GIL-free wake-up per hand-off, {} timer lateness per timed wait, {} extra CPU per hand-off{slice}.\nSaved to {} (used by `gilsim simulate`).",
        params.iteration_s * 1e9,
        params.threaded_iteration_s.unwrap_or(params.iteration_s) * 1e9,
        seconds(params.wakeup_s),
        seconds(params.timeout_latency_s),
        seconds(params.switch_cost_s),
        path.display()
    );
    println!("{}", wrap(&text, WIDTH));
    let defaulted = params.defaulted();
    if !defaulted.is_empty() {
        let note = format!(
            "Not measured here (documented defaults, fitted on the developers' machine): {}.",
            defaulted.join(", ")
        );
        println!("{}", wrap(&note, WIDTH));
    }
    if let Some(python) = &params.python {
        println!("{}", wrap(&format!("Measured with {python}."), WIDTH));
    }
    Ok(0)
}
