//! A lab's own Python measurement, run by the CPython build gilsim embeds (its executable, a
//! child process with a timeout) and read back as one JSON object printed last.
use crate::runner::external;
use anyhow::{bail, Context, Result};
use std::process::Command;
use std::time::Duration;

pub fn run(code: &str, args: &[String], timeout: Duration) -> Result<serde_json::Value> {
    let python = crate::install::python();
    let mut command = Command::new(&python);
    command.args(["-I", "-c", code]).args(args);
    let out = external::run(command, timeout)
        .with_context(|| format!("running a lab measurement with {}", python.display()))?;
    if out.exit_code != 0 {
        bail!(
            "{} exited with code {} running a lab measurement",
            python.display(),
            out.exit_code
        );
    }
    let last = out.stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("the lab measurement printed {last:?}"))
}
