//! `gilsim pool`.
use super::countdown::{check_output_dir, emit};
use crate::cli::PoolArgs;
use crate::scenario::pool;
use anyhow::Result;

pub fn run(args: &PoolArgs) -> Result<i32> {
    check_output_dir(&args.output)?;
    let doc = pool::run(args)?;
    emit(&doc, &args.output)?;
    // A row that failed or returned wrong results makes the command fail, after the report.
    let bad = doc
        .results
        .iter()
        .any(|r| r.status != "ok" || !r.results_ok);
    Ok(i32::from(bad))
}
