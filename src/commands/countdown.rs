//! `gilsim countdown` (and the no-argument demo).
use crate::cli::CountdownArgs;
use crate::scenario::countdown;
use anyhow::Result;

pub fn run(args: &CountdownArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    if let Some(plot) = &args.plot {
        crate::files::check_writable(plot, "the chart")?;
    }
    let doc = countdown::run(&args.spec()?)?;
    if let Some(plot) = &args.plot {
        let chart = countdown::chart::wall_by_workers("", &doc.results);
        crate::files::write_atomically(plot, &chart.svg)?;
    }
    output.emit(&doc)?;
    Ok(0)
}
