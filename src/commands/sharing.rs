//! `gilsim sharing`.
use crate::cli::SharingArgs;
use crate::scenario::sharing;
use anyhow::Result;

pub fn run(args: &SharingArgs) -> Result<i32> {
    args.output.spec().check()?;
    let doc = sharing::run(&args.spec()?)?;
    args.output.spec().emit(&doc)?;
    Ok(0)
}
