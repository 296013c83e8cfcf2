//! `gilsim countdown` (and the no-argument demo).
use crate::cli::CountdownArgs;
use crate::scenario::countdown;
use anyhow::Result;

pub fn run(args: &CountdownArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    let doc = countdown::run(&args.spec())?;
    output.emit(&doc)?;
    Ok(0)
}
