//! A lab's own Python measurement, run by the CPython build gilsim embeds (its executable, a
//! child process with a timeout) and read back as one JSON object printed last.
use crate::embed::interpreter::CONFIGURED_PYTHON;
use crate::runner::external;
use anyhow::{bail, Context, Result};
use std::process::Command;
use std::time::Duration;

pub fn run(code: &str, args: &[String], timeout: f64) -> Result<serde_json::Value> {
    let mut command = Command::new(CONFIGURED_PYTHON);
    command.args(["-I", "-c", code]).args(args);
    let out = external::run(command, Duration::from_secs_f64(timeout))
        .with_context(|| format!("running a lab measurement with {CONFIGURED_PYTHON}"))?;
    if out.exit_code != 0 {
        bail!(
            "{CONFIGURED_PYTHON} exited with code {} running a lab measurement",
            out.exit_code
        );
    }
    let last = out.stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("the lab measurement printed {last:?}"))
}
