//! `gilsim countdown` (and the no-argument demo).
use crate::cli::{CountdownArgs, OutputArgs};
use crate::report::{output::write_atomically, render, Document, Format, Row};
use crate::scenario::countdown;
use anyhow::{bail, Result};

pub fn run(args: &CountdownArgs) -> Result<i32> {
    check_output_dir(&args.output)?;
    let doc = countdown::run(args)?;
    emit(&doc, &args.output)?;
    Ok(0)
}

/// Fails before any trial runs if the report could not be written afterwards.
pub fn check_output_dir(output: &OutputArgs) -> Result<()> {
    let Some(path) = &output.output else {
        return Ok(());
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write the report to {}: {} is not a directory",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        bail!(
            "cannot write the report to {}: it is a directory",
            path.display()
        );
    }
    Ok(())
}

/// Prints the report on stdout and writes `--output` if asked.
pub fn emit<R: Row>(doc: &Document<R>, output: &OutputArgs) -> Result<()> {
    if let Some(path) = &output.output {
        let format = output
            .format
            .or_else(|| Format::from_path(path))
            .unwrap_or(Format::Table);
        write_atomically(path, &render(doc, format))?;
    }
    print!("{}", render(doc, output.format.unwrap_or(Format::Table)));
    Ok(())
}
