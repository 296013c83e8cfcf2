//! `gilsim share`.
use crate::cli::ShareArgs;
use crate::scenario::share;
use anyhow::Result;

pub fn run(args: &ShareArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    let doc = share::run(&args.spec()?)?;
    output.emit(&doc)?;
    Ok(i32::from(doc.results.iter().any(|r| r.status != "ok")))
}
