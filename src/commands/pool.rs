//! `gilsim pool`.
use crate::cli::PoolArgs;
use crate::scenario::pool;
use anyhow::Result;

pub fn run(args: &PoolArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    let doc = pool::run(&args.spec()?)?;
    output.emit(&doc)?;
    // A row that failed or returned wrong results makes the command fail, after the report.
    let bad = doc
        .results
        .iter()
        .any(|r| r.status != "ok" || !r.results_ok);
    Ok(i32::from(bad))
}
