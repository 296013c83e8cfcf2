//! `gilsim completions SHELL` and `gilsim man`: generated from the clap definition, so they
//! always match the commands and flags.
use crate::cli::command;
use anyhow::{Context, Result};

pub fn run(shell: clap_complete::Shell) -> Result<i32> {
    clap_complete::generate(shell, &mut command(), "gilsim", &mut std::io::stdout());
    Ok(0)
}

pub fn man() -> Result<i32> {
    clap_mangen::Man::new(command())
        .render(&mut std::io::stdout())
        .context("writing the manual page")?;
    Ok(0)
}
