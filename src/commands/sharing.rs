//! `gilsim sharing`.
use crate::cli::SharingArgs;
use crate::scenario::sharing;
use anyhow::Result;

pub fn run(args: &SharingArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    let doc = sharing::run(&args.spec()?)?;
    output.emit(&doc)?;
    Ok(0)
}
