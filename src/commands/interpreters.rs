//! `gilsim interpreters`: every Python on the machine, what it is, and which GIL it has.
use crate::cli::InterpretersArgs;
use crate::interpreters::{discover, GilKind, Interpreter};
use crate::report::render::csv_fields;
use crate::report::{Cell, Document, Host, Row};
use anyhow::Result;
use serde_json::json;

pub fn run(args: &InterpretersArgs) -> Result<i32> {
    let output = args.output.spec();
    output.check()?;
    let found = discover(&args.python);
    let not_python: Vec<String> = args
        .python
        .iter()
        .filter(|given| {
            let real = std::fs::canonicalize(given).ok();
            !found.iter().any(|i| {
                i.path == given.display().to_string()
                    || real
                        .as_ref()
                        .is_some_and(|r| i.real_path == r.display().to_string())
            })
        })
        .map(|p| p.display().to_string())
        .collect();
    let verdict = verdict(&found);
    let doc = Document {
        schema: crate::report::document::SCHEMA,
        command: "interpreters".into(),
        params: json!({ "python": args.python }),
        host: Host::new(None),
        results: found,
        verdict,
    };
    output.emit(&doc)?;
    if !not_python.is_empty() {
        eprintln!(
            "gilsim: not a Python gilsim can run: {}",
            not_python.join(", ")
        );
        return Ok(1);
    }
    Ok(0)
}

fn names(found: &[Interpreter], keep: impl Fn(&Interpreter) -> bool) -> String {
    // A free-threaded build's version carries its `t`: 3.13.5 and 3.13.5t are two builds.
    let names: Vec<String> = found
        .iter()
        .filter(|i| keep(i))
        .map(|i| {
            let t = if i.gil == GilKind::FreeThreaded {
                "t"
            } else {
                ""
            };
            format!("{}{t}", i.version)
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn verdict(found: &[Interpreter]) -> String {
    let python = crate::install::python();
    let embedded = std::fs::canonicalize(&python)
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mine = found
        .iter()
        .find(|i| i.real_path == embedded)
        .map_or(format!("gilsim embeds {}", python.display()), |i| {
            format!("gilsim embeds {} ({})", i.version, i.path)
        });
    format!(
        "{} Python{} found; {mine}. The old GIL (3.1 and before, where two CPU-bound threads fight \
         over it): {}. Subinterpreters with a GIL of their own (3.12+): {}. Free-threaded \
         builds (no GIL): {}. Built with a shared libpython (gilsim can embed them): {}.",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        names(found, |i| i.gil == GilKind::Old),
        names(found, |i| i.subinterpreters_own_gil),
        names(found, |i| i.gil == GilKind::FreeThreaded),
        names(found, |i| i.shared),
    )
}

impl Row for Interpreter {
    fn cells(&self) -> Vec<Cell> {
        let yes = |b: bool| if b { "yes" } else { "no" };
        vec![
            Cell::new("name", self.name.clone()),
            Cell::new("version", self.version.clone()),
            Cell::new("GIL", gil_name(self.gil)),
            Cell::new("shared", yes(self.shared)),
            Cell::new("own-GIL subinterp.", yes(self.subinterpreters_own_gil)),
            Cell::wide("GIL state by", self.gil_state_by.unwrap_or("–")),
            Cell::wide("found in", self.found_in.clone()),
            Cell::new("path", self.path.clone()),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            name, version, implementation,
            "gil" = gil_name(self.gil).into(),
            shared, subinterpreters_own_gil, ?gil_state_by, found_in, path, real_path,
        )
    }
}

fn gil_name(gil: GilKind) -> &'static str {
    match gil {
        GilKind::Old => "old",
        GilKind::New => "new",
        GilKind::FreeThreaded => "free-threaded",
    }
}
