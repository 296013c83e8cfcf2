//! `gilsim lab list|show|run|collect`: course labs from the terminal.
use crate::cli::{LabAction, LabArgs};
use crate::lab::report::{self as lab_report, number};
use crate::lab::run::{LabResults, LabRunSpec};
use crate::lab::{self, collect, CheckOutcome, Lab};
use crate::report::render::csv_fields;
use crate::report::render::{wrap, WIDTH};
use crate::report::{render, Cell, Document, Format, Host, Row};
use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

pub fn run(args: &LabArgs) -> Result<i32> {
    match &args.action {
        LabAction::List { format } => list(*format),
        LabAction::Show { id, instructor } => show(&find(id)?, *instructor),
        LabAction::Run {
            id,
            predict,
            quick,
            output,
            python,
            timeout,
        } => {
            let l = find(id)?;
            let python = python
                .as_deref()
                .map(|name| lab_python(&l, name))
                .transpose()?;
            run_lab(
                &l,
                predict,
                *quick,
                output.as_deref(),
                python,
                timeout.timeout,
            )
        }
        LabAction::Collect { inputs, output } => collect_results(inputs, output.as_deref()),
    }
}

fn find(id: &str) -> Result<Lab> {
    match lab::find(id) {
        Some(l) => Ok(l),
        None => {
            let ids: Vec<&str> = lab::catalogue().iter().map(|l| l.id).collect();
            crate::usage_bail!("no lab '{id}'; the labs are: {}", ids.join(", "))
        }
    }
}

#[derive(Serialize)]
struct ListRow {
    id: &'static str,
    title: &'static str,
    seconds: u32,
    quick_seconds: u32,
    needs: Vec<&'static str>,
}

impl Row for ListRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("id", self.id),
            Cell::new("title", self.title),
            Cell::new(
                "time, quick",
                format!("{} s, {} s", self.seconds, self.quick_seconds),
            ),
            Cell::new(
                "needs",
                if self.needs.is_empty() {
                    "–".to_string()
                } else {
                    self.needs.join("; ")
                },
            ),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            id, title, seconds, quick_seconds,
            "needs" = self.needs.join("; "),
        )
    }
}

fn list(format: Format) -> Result<i32> {
    let rows: Vec<ListRow> = lab::catalogue()
        .iter()
        .map(|l| ListRow {
            id: l.id,
            title: l.title,
            seconds: l.seconds.0,
            quick_seconds: l.seconds.1,
            needs: l.needs.iter().map(|n| n.describe()).collect(),
        })
        .collect();
    let doc = Document {
        schema: crate::report::document::SCHEMA,
        command: "lab list".into(),
        params: json!({}),
        host: Host::new(None),
        results: rows,
        verdict: "`gilsim lab show ID` prints a lab's handout; `gilsim lab run ID --output DIR` \
                  runs it and writes the report. Times are for 2 CPUs. * optional: without \
                  Python 2.7 the old GIL is not measured (the model's figure is shown for \
                  discussion, never graded) and its check is skipped; without a CPython 3.12+ \
                  the subinterpreter check is skipped; without a free-threaded CPython (3.13t) \
                  nothing of lab free-threaded is measured and its checks are skipped."
            .to_string(),
    };
    print!("{}", render(&doc, format, false));
    Ok(0)
}

fn paragraph(out: &mut String, heading: &str, text: &str) {
    out.push_str(&format!("\n{heading}\n{}\n", wrap(text, WIDTH)));
}

fn show(l: &Lab, instructor: bool) -> Result<i32> {
    let mut out = format!("Lab {}: {}\n", l.id, l.title);
    let about = format!(
        "About {} s of measuring ({} s with --quick){}.",
        l.seconds.0,
        l.seconds.1,
        l.study_note
            .map_or(String::new(), |s| format!("; from the study note: {s}"))
    );
    out += &format!("{}\n", wrap(&about, WIDTH));
    paragraph(&mut out, "Goal", l.goal);
    paragraph(&mut out, "Background", l.background);
    out += "\nPredict first (then: gilsim lab run ";
    out += l.id;
    for p in l.predictions {
        out += &format!(" --predict {}=VALUE", p.name);
    }
    out += ")\n";
    for p in l.predictions {
        let unit = if p.unit.is_empty() {
            String::new()
        } else {
            format!(", in {}", p.unit)
        };
        let line = format!(
            "  {}: {}{unit} (graded {})",
            p.name,
            p.question,
            p.tolerance.describe(p.unit)
        );
        out += &format!("{}\n", wrap(&line, WIDTH));
    }
    out += "\nQuestions\n";
    for (i, q) in l.questions.iter().enumerate() {
        out += &format!("{}\n", wrap(&format!("{}. {q}", i + 1), WIDTH));
    }
    if !l.needs.is_empty() {
        out += &format!(
            "\nNeeds: {} (checks that need what is missing are reported as skipped).\n",
            l.needs
                .iter()
                .map(|n| n.describe())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if instructor {
        let i = &l.instructor;
        out += "\n── Instructor notes ──\n";
        paragraph(&mut out, "Expected results", i.expected);
        out += "\nPublished figures\n";
        for a in i.anchors {
            out += &format!(
                "{}\n",
                wrap(&format!("- {} ({})", a.figure, a.source), WIDTH)
            );
        }
        out += "\nTolerances\n";
        for p in l.predictions {
            out += &format!("- {}: {}\n", p.name, p.tolerance.describe(p.unit));
        }
        out += &format!(
            "{}\n",
            wrap(
                "- The checks compute their thresholds from the measurement (see the report's \
                 Checks table); a check whose requirement is missing is skipped, never passed.",
                WIDTH
            )
        );
        out += "\nDiscussion\n";
        for d in i.discussion {
            out += &format!("{}\n", wrap(&format!("- {d}"), WIDTH));
        }
        out += "\nCommon wrong answers\n";
        for w in i.wrong_answers {
            out += &format!("{}\n", wrap(&format!("- {w}"), WIDTH));
        }
    }
    print!("{out}");
    Ok(0)
}

/// Asks for each prediction on the terminal (an empty answer records none).
fn ask(l: &Lab) -> Result<Vec<(String, f64)>> {
    let mut answers = Vec::new();
    let stdin = std::io::stdin();
    eprintln!("Predict before you measure (press Enter to skip one).");
    for p in l.predictions {
        loop {
            eprint!(
                "{} ({}): ",
                p.question,
                if p.unit.is_empty() { "number" } else { p.unit }
            );
            std::io::stderr().flush()?;
            let mut line = String::new();
            if stdin.lock().read_line(&mut line)? == 0 {
                return Ok(answers);
            }
            let line = line.trim();
            if line.is_empty() {
                break;
            }
            match crate::lab::run::parse_prediction(&format!("{}={line}", p.name)) {
                Ok(answer) => {
                    answers.push(answer);
                    break;
                }
                Err(e) => eprintln!("{e}"),
            }
        }
    }
    Ok(answers)
}

/// `lab run --python NAME`: the interpreter of the lab's Python rows (a free-threaded build's
/// without its GIL, as it runs by default), for the labs that can take one.
fn lab_python(l: &Lab, name: &str) -> Result<crate::domain::ExternalPython> {
    let on_another = crate::lab::labs::ON_ANOTHER_PYTHON;
    if !on_another.contains(&l.id) {
        crate::usage_bail!(
            "lab {} runs in the embedded interpreter only; --python applies to {}",
            l.id,
            on_another.join(", ")
        );
    }
    let found = crate::interpreters::resolve(name)
        .map_err(|e| crate::usage::UsageError(format!("--python {name}: {e}")))?;
    if !crate::interpreters::version_at_least(&found.version, (3, 0)) {
        crate::usage_bail!(
            "--python {name}: lab {} needs Python 3 (lab old-gil measures 2.7)",
            l.id
        );
    }
    Ok(crate::domain::ExternalPython::rows_of(found)
        .into_iter()
        .next()
        .expect("an interpreter gives at least one row"))
}

fn run_lab(
    l: &Lab,
    predict: &[(String, f64)],
    quick: bool,
    output: Option<&Path>,
    python: Option<crate::domain::ExternalPython>,
    timeout: std::time::Duration,
) -> Result<i32> {
    for (name, _) in predict {
        if !l.predictions.iter().any(|p| p.name == name) {
            let names: Vec<&str> = l.predictions.iter().map(|p| p.name).collect();
            crate::usage_bail!(
                "lab {} has no prediction '{name}'; its predictions are: {}",
                l.id,
                names.join(", ")
            );
        }
    }
    if let Some(dir) = output {
        if dir.is_file() {
            crate::usage_bail!("--output {} is a file, not a directory", dir.display());
        }
        if dir
            .parent()
            .is_some_and(|p| !p.as_os_str().is_empty() && !p.is_dir())
        {
            crate::usage_bail!(
                "--output {}: its parent directory does not exist",
                dir.display()
            );
        }
    }
    let predictions = if predict.is_empty() && std::io::stdin().is_terminal() {
        ask(l)?
    } else {
        predict.to_vec()
    };
    let spec = LabRunSpec {
        predictions,
        quick,
        timeout,
        python,
    };
    let (results, charts) = crate::lab::run::run(l, &spec)?;
    print!("{}", summary(&results));
    match output {
        Some(dir) => {
            let page = lab_report::page(l, &results, &charts);
            let json = serde_json::to_string_pretty(&results)? + "\n";
            lab_report::write(dir, "report", &page, &charts, "results.json", &json)?;
            println!(
                "\nWritten: {} (and report.md, results.json, {} chart{}).",
                dir.join("report.html").display(),
                charts.len(),
                if charts.len() == 1 { "" } else { "s" }
            );
        }
        None => println!(
            "\nAdd --output DIR to write report.md, report.html, results.json and the charts."
        ),
    }
    Ok(0)
}

/// The terminal's short summary of a lab run.
fn summary(r: &LabResults) -> String {
    let mut out = format!(
        "Lab {}: {} ({} mode, {} CPU{}, {} {})\n\nPredictions\n",
        r.lab.id,
        r.lab.title,
        if r.quick { "quick" } else { "default" },
        r.host.cpus,
        if r.host.cpus == 1 { "" } else { "s" },
        r.host.implementation,
        r.host.python_version
    );
    for p in &r.predictions {
        let measured = match (p.measured, p.model) {
            (Some(m), _) => {
                let mut text = format!("{} {}", number(m), p.unit).trim_end().to_string();
                if let Some([lo, hi]) = p.interval {
                    text += &format!(" (runs: {} – {})", number(lo), number(hi));
                }
                text
            }
            (None, Some(model)) => format!(
                "nothing (the model gives {} {}, for discussion)",
                number(model),
                p.unit
            ),
            (None, None) => "unavailable".into(),
        };
        let line = match p.predicted {
            None => format!(
                "  {}: no prediction was recorded; measured {measured}",
                p.name
            ),
            Some(v) => format!(
                "  {}: you predicted {}, measured {measured}: {} (tolerance {})",
                p.name,
                format!("{} {}", number(v), p.unit).trim_end(),
                p.note.clone().unwrap_or_else(|| p.grade.words().into()),
                p.tolerance
            ),
        };
        out += &format!("{}\n", wrap(&line, WIDTH));
    }
    out += "\nChecks\n";
    for c in &r.checks {
        let line = match &c.outcome {
            CheckOutcome::Skipped { reason } => format!("  SKIPPED  {} ({reason})", c.description),
            o => format!("  {:<7}  {} ({})", o.word(), c.description, c.detail),
        };
        out += &format!("{}\n", wrap(&line, WIDTH));
    }
    out += &format!("\nWhat the measurement says\n{}\n", wrap(&r.verdict, WIDTH));
    out
}

fn collect_results(inputs: &[PathBuf], output: Option<&Path>) -> Result<i32> {
    if let Some(dir) = output {
        if dir.is_file() {
            crate::usage_bail!("--output {} is a file, not a directory", dir.display());
        }
    }
    let (summary, charts) = collect::collect(inputs);
    let page = collect::page(&summary, &charts);
    // Everything printed is either gilsim's own text or validated figures; paths lose their
    // control characters.
    for lab in &summary.labs {
        println!("Lab {}: {} ({} results)", lab.id, lab.title, lab.results);
        for q in &lab.quantities {
            println!(
                "  {}: median {}, range {} – {} {} (n = {})",
                q.name,
                number(q.median),
                number(q.min),
                number(q.max),
                q.unit,
                q.n
            );
        }
        for p in &lab.predictions {
            println!(
                "  prediction {}: {} recorded: {} consistent, {} inconsistent, {} undetermined, {} \
                 not graded",
                p.name, p.recorded, p.within, p.inconsistent, p.undetermined, p.not_graded
            );
        }
        for c in &lab.checks {
            println!(
                "  check {}: {} passed, {} failed, {} skipped",
                c.name, c.passed, c.failed, c.skipped
            );
        }
    }
    println!("Machines: {}", summary.machines.len());
    for m in &summary.machines {
        println!(
            "  {} CPU{}, Python {}: {}",
            m.cpus,
            if m.cpus == 1 { "" } else { "s" },
            m.python,
            m.path
        );
    }
    for s in &summary.skipped {
        println!("Skipped {}", collect::skipped_line(s));
    }
    if let Some(dir) = output {
        let json = serde_json::to_string_pretty(&summary)? + "\n";
        lab_report::write(dir, "summary", &page, &charts, "summary.json", &json)?;
        println!(
            "Written: {} (and summary.md, summary.json).",
            dir.join("summary.html").display()
        );
    }
    if summary.labs.is_empty() {
        eprintln!("gilsim: no lab results among the files given");
        return Ok(1);
    }
    Ok(0)
}
