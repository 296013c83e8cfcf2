//! `gilsim share`.
use super::countdown::{check_output_dir, emit};
use crate::cli::ShareArgs;
use crate::scenario::share;
use anyhow::Result;

pub fn run(args: &ShareArgs) -> Result<i32> {
    check_output_dir(&args.output)?;
    let doc = share::run(args)?;
    emit(&doc, &args.output)?;
    Ok(i32::from(doc.results.iter().any(|r| r.status != "ok")))
}
