//! A class summary from many students' `results.json` (from different machines): per lab and
//! measured quantity the distribution, how many predictions were right, and the machines. Files
//! that are not lab results are listed as skipped with the reason.
use super::report::{number, Block, Page, Section, Table};
use super::run::LabResults;
use crate::report::chart::{self, Chart};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Distribution {
    pub name: String,
    pub label: String,
    pub unit: String,
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Serialize)]
pub struct PredictionTally {
    pub name: String,
    pub question: String,
    /// Results with a prediction recorded, and of those the ones within tolerance.
    pub recorded: usize,
    pub within: usize,
}

#[derive(Debug, Serialize)]
pub struct LabSummary {
    pub id: String,
    pub title: String,
    pub results: usize,
    pub quantities: Vec<Distribution>,
    pub predictions: Vec<PredictionTally>,
}

#[derive(Debug, Serialize)]
pub struct MachineRow {
    pub path: String,
    pub lab: String,
    pub cpus: usize,
    pub python: String,
}

/// `summary.json`.
#[derive(Debug, Serialize)]
pub struct ClassSummary {
    pub schema: &'static str,
    pub command: &'static str,
    pub labs: Vec<LabSummary>,
    pub machines: Vec<MachineRow>,
    pub skipped: Vec<Skipped>,
}

/// Every `results.json` under the given files and directories (directories searched a few
/// levels deep), in a stable order.
fn files(inputs: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() && depth > 0 {
                walk(&p, depth - 1, out);
            } else if p.file_name().is_some_and(|n| n == "results.json") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, 3, &mut out);
        } else {
            out.push(input.clone());
        }
    }
    out.dedup();
    out
}

/// Reads one file as a lab result, or says why it is not one.
fn read(path: &Path) -> Result<LabResults, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("malformed JSON: {e}"))?;
    if value["schema"] != crate::report::document::SCHEMA || value["command"] != "lab" {
        return Err(format!(
            "not a gilsim lab result (schema {}, command {})",
            value["schema"], value["command"]
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| format!("a lab result with missing or wrong fields: {e}"))
}

/// The class summary of `inputs`, and its charts (one per lab: each machine's value of the
/// lab's first prediction).
pub fn collect(inputs: &[PathBuf]) -> (ClassSummary, Vec<Chart>) {
    let mut skipped = Vec::new();
    let mut by_lab: BTreeMap<String, Vec<(PathBuf, LabResults)>> = BTreeMap::new();
    let found = files(inputs);
    for input in inputs {
        if !input.exists() {
            skipped.push(Skipped {
                path: input.display().to_string(),
                reason: "no such file or directory".into(),
            });
        }
    }
    for path in found {
        match read(&path) {
            Ok(r) => by_lab.entry(r.lab.id.clone()).or_default().push((path, r)),
            Err(reason) => skipped.push(Skipped {
                path: path.display().to_string(),
                reason,
            }),
        }
    }
    let mut labs = Vec::new();
    let mut machines = Vec::new();
    let mut charts = Vec::new();
    for (id, results) in &by_lab {
        let first = &results[0].1;
        let mut quantities: Vec<Distribution> = Vec::new();
        for q in &first.measurements {
            let mut values: Vec<f64> = results
                .iter()
                .filter_map(|(_, r)| r.measurements.iter().find(|m| m.name == q.name)?.value)
                .collect();
            if values.is_empty() {
                continue;
            }
            values.sort_by(f64::total_cmp);
            quantities.push(Distribution {
                name: q.name.clone(),
                label: q.label.clone(),
                unit: q.unit.clone(),
                n: values.len(),
                median: crate::stats::median(&values),
                min: values[0],
                max: values[values.len() - 1],
            });
        }
        let predictions: Vec<PredictionTally> = first
            .predictions
            .iter()
            .map(|p| {
                let graded: Vec<Option<bool>> = results
                    .iter()
                    .filter_map(|(_, r)| r.predictions.iter().find(|g| g.name == p.name))
                    .filter(|g| g.predicted.is_some())
                    .map(|g| g.within_tolerance)
                    .collect();
                PredictionTally {
                    name: p.name.clone(),
                    question: p.question.clone(),
                    recorded: graded.len(),
                    within: graded.iter().filter(|w| **w == Some(true)).count(),
                }
            })
            .collect();
        if let Some(p) = first.predictions.first() {
            let bars: Vec<(String, String, f64)> = results
                .iter()
                .enumerate()
                .filter_map(|(i, (_, r))| {
                    let v = r.measurements.iter().find(|m| m.name == p.name)?.value?;
                    Some((
                        format!("#{} ({} CPU)", i + 1, r.host.cpus),
                        format!("Python {}", r.host.python_version),
                        v,
                    ))
                })
                .collect();
            if !bars.is_empty() {
                charts.push(chart::bars(
                    &format!("{id}-{}.svg", p.name),
                    &format!("{}: {} by machine", id, p.name),
                    &format!("{} ({})", p.name, p.unit),
                    false,
                    &bars,
                ));
            }
        }
        for (path, r) in results {
            machines.push(MachineRow {
                path: path.display().to_string(),
                lab: id.clone(),
                cpus: r.host.cpus,
                python: r.host.python_version.clone(),
            });
        }
        labs.push(LabSummary {
            id: id.clone(),
            title: first.lab.title.clone(),
            results: results.len(),
            quantities,
            predictions,
        });
    }
    machines.sort_by(|a, b| (a.cpus, &a.python, &a.path).cmp(&(b.cpus, &b.python, &b.path)));
    (
        ClassSummary {
            schema: crate::report::document::SCHEMA,
            command: "lab collect",
            labs,
            machines,
            skipped,
        },
        charts,
    )
}

/// The summary as a page (Markdown and HTML).
pub fn page(summary: &ClassSummary, charts: &[Chart]) -> Page {
    let mut sections = Vec::new();
    for lab in &summary.labs {
        let mut blocks = vec![Block::Text(format!(
            "{} result{}.",
            lab.results,
            if lab.results == 1 { "" } else { "s" }
        ))];
        blocks.push(Block::Table(Table {
            headers: ["quantity", "n", "median", "range"]
                .map(String::from)
                .to_vec(),
            rows: lab
                .quantities
                .iter()
                .map(|q| {
                    vec![
                        format!("{} ({})", q.label, q.name),
                        q.n.to_string(),
                        format!("{} {}", number(q.median), q.unit)
                            .trim_end()
                            .to_string(),
                        format!("{} – {} {}", number(q.min), number(q.max), q.unit)
                            .trim_end()
                            .to_string(),
                    ]
                })
                .collect(),
        }));
        blocks.push(Block::Table(Table {
            headers: ["prediction", "recorded", "within tolerance"]
                .map(String::from)
                .to_vec(),
            rows: lab
                .predictions
                .iter()
                .map(|p| {
                    vec![
                        format!("{} ({})", p.question, p.name),
                        p.recorded.to_string(),
                        format!("{} of {}", p.within, p.recorded),
                    ]
                })
                .collect(),
        }));
        for c in charts
            .iter()
            .filter(|c| c.file.starts_with(&format!("{}-", lab.id)))
        {
            blocks.push(Block::Chart(c.clone()));
        }
        sections.push(Section {
            heading: format!("Lab {}: {}", lab.id, lab.title),
            blocks,
        });
    }
    sections.push(Section {
        heading: "Machines".into(),
        blocks: vec![Block::Table(Table {
            headers: ["CPUs", "Python", "lab", "file"].map(String::from).to_vec(),
            rows: summary
                .machines
                .iter()
                .map(|m| {
                    vec![
                        m.cpus.to_string(),
                        m.python.clone(),
                        m.lab.clone(),
                        m.path.clone(),
                    ]
                })
                .collect(),
        })],
    });
    sections.push(Section {
        heading: "Skipped files".into(),
        blocks: vec![if summary.skipped.is_empty() {
            Block::Text("None.".into())
        } else {
            Block::List(
                summary
                    .skipped
                    .iter()
                    .map(|s| format!("{}: {}", s.path, s.reason))
                    .collect(),
            )
        }],
    });
    Page {
        title: "gilsim lab: class summary".into(),
        subtitle: format!(
            "{} result file{} from {} lab{}; {} skipped",
            summary.machines.len(),
            if summary.machines.len() == 1 { "" } else { "s" },
            summary.labs.len(),
            if summary.labs.len() == 1 { "" } else { "s" },
            summary.skipped.len()
        ),
        sections,
    }
}
