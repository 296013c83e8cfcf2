//! `gilsim queue`.
use super::countdown::{check_output_dir, emit};
use crate::cli::QueueArgs;
use crate::scenario::queue;
use anyhow::Result;

pub fn run(args: &QueueArgs) -> Result<i32> {
    check_output_dir(&args.output)?;
    let doc = queue::run(args)?;
    emit(&doc, &args.output)?;
    Ok(i32::from(doc.results.iter().any(|r| r.status != "ok")))
}
