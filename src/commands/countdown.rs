//! `gilsim countdown` (and the no-argument demo).
use crate::cli::{CountdownArgs, OutputArgs};
use crate::report::{output::write_atomically, render, Document, Format, Row};
use crate::scenario::countdown;
use anyhow::Result;

pub fn run(args: &CountdownArgs) -> Result<i32> {
    let doc = countdown::run(args)?;
    emit(&doc, &args.output)?;
    Ok(0)
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
