//! `gilsim queue`.
use crate::cli::QueueArgs;
use crate::scenario::queue;
use anyhow::Result;

pub fn run(args: &QueueArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    let doc = queue::run(&args.spec()?)?;
    output.emit(&doc)?;
    Ok(i32::from(doc.results.iter().any(|r| r.status != "ok")))
}
