//! `gilsim convoy`: an echo server beside CPU-bound threads, measured and modelled.
use crate::cli::{ConvoyArgs, ValidationMethod};
use anyhow::Result;

pub fn run(args: &ConvoyArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    if args.validate && args.method == ValidationMethod::Alternating {
        let segment = args
            .duration
            .unwrap_or(crate::scenario::convoy::alternating::SEGMENT_S);
        let doc =
            crate::scenario::convoy::alternating::validate(&args.spec()?, args.budget, segment)?;
        output.emit(&doc)?;
        // Interrupted: what was measured is reported, and the exit code says it was cut short.
        return Ok(crate::runner::signals::exit_code());
    }
    if args.validate {
        let doc =
            crate::scenario::convoy::validate::validate(&args.spec()?, args.budget, args.repeat)?;
        output.emit(&doc)?;
        return Ok(0);
    }
    let doc = crate::scenario::convoy::run(&args.spec()?)?;
    output.emit(&doc)?;
    Ok(i32::from(doc.results.iter().any(|r| r.status != "ok")))
}
