//! `gilsim scale FILE:FUNC`: resolve the interpreters, run, report; a failed row (changed
//! results, a function that cannot be pickled) exits 1 after the report.
use crate::cli::ScaleArgs;
use crate::interpreters::version_at_least;
use crate::scenario::scale::{self, ScaleError, ScalePython};
use crate::scenario::spec::{ScaleInputs, ScaleSpec};
use anyhow::Result;

fn interpreters(names: &[String]) -> Result<Vec<ScalePython>> {
    if names.is_empty() {
        let version = crate::install::version();
        return Ok(vec![ScalePython {
            label: None,
            path: crate::install::python().to_string_lossy().into_owned(),
            subinterpreters: version_at_least(&version, (3, 12)),
            version,
            free_threaded: false,
        }]);
    }
    let mut out = Vec::new();
    for name in names {
        let found = match crate::interpreters::resolve(name) {
            Ok(i) => i,
            Err(e) => crate::usage_bail!("--python {name}: {e}"),
        };
        if !version_at_least(&found.version, (3, 7)) {
            crate::usage_bail!(
                "--python {name}: scale needs Python 3.7 or later, this is {}",
                found.version
            );
        }
        out.push(ScalePython {
            label: Some(found.name.clone()),
            path: found.path.clone(),
            version: found.version.clone(),
            subinterpreters: found.subinterpreters_own_gil,
            free_threaded: found.gil == crate::interpreters::GilKind::FreeThreaded,
        });
    }
    Ok(out)
}

pub fn run(args: &ScaleArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    if let Some(plot) = &args.plot {
        crate::files::check_writable(plot, "the chart")?;
    }
    let pythons = interpreters(&args.python)?;
    let spec = ScaleSpec {
        file: args.target.0.clone(),
        func: args.target.1.clone(),
        inputs: match (&args.inputs, &args.inputs_from) {
            (Some(e), _) => ScaleInputs::Expr(e.clone()),
            (None, Some(f)) => ScaleInputs::From(f.clone()),
            (None, None) => crate::usage_bail!("give --inputs EXPR or --inputs-from FILE:ITERABLE"),
        },
        workers: args.workers.clone(),
        runtimes: args.runtimes.clone(),
        start_method: args.start_method,
        repeat: args.repeat,
        python: pythons,
        timeout: args.timeout.timeout,
    };
    let doc = match scale::run(&spec) {
        Ok(doc) => doc,
        Err(e) => {
            if let Some(ScaleError::Raised { traceback, .. }) = e.downcast_ref::<ScaleError>() {
                eprint!("{traceback}");
            }
            return Err(e);
        }
    };
    output.emit(&doc)?;
    if let Some(plot) = &args.plot {
        let chart = scale::chart(&doc.results, plot);
        crate::files::write_atomically(plot, &chart.svg)?;
    }
    let mut failed = false;
    for r in doc.results.iter().filter(|r| r.status != "ok") {
        failed = true;
        eprintln!(
            "gilsim: {} with {} worker{}: {}",
            r.runtime.name(),
            r.workers,
            if r.workers == 1 { "" } else { "s" },
            r.error
                .as_deref()
                .unwrap_or("failed")
                .lines()
                .next()
                .unwrap_or_default()
        );
    }
    Ok(i32::from(failed))
}
