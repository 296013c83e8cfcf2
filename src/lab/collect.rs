//! A class summary from many students' results files (from different machines): per lab and
//! measured quantity the distribution, how the predictions graded, how the checks went, and the
//! machines.
//!
//! Nothing in a file is trusted. Titles, labels, units, tolerances and check descriptions come
//! from gilsim's own lab definitions, by lab id; a file contributes only its values, predictions,
//! check outcomes and machine description, each validated. A file with anything that fails
//! (an unknown name, a figure twice, a value no machine could measure) is skipped whole, with
//! the reason; a figure that is the model's, not a measurement, is left out of the pool and said
//! so. Predictions are graded again here.
use super::report::{number, plain, Block, Page, Section, Table};
use super::run::grade_all;
use super::{Figures, Grade, Lab, Provenance, Quantity};
use crate::report::chart::{self, Chart};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The schema this gilsim writes and reads.
const SCHEMA: &str = crate::report::document::SCHEMA;
/// A lab result is a few kilobytes; anything far larger is not one.
const MAX_BYTES: u64 = 1 << 20;
/// How deep directories are searched.
const MAX_DEPTH: usize = 16;

/// A file, or one figure of a file, left out of the summary.
#[derive(Debug, Serialize)]
pub struct Skipped {
    pub path: String,
    /// The figure (measurement, prediction or check) left out; absent: the whole file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figure: Option<String>,
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
    /// Results with a prediction recorded; of those, how each graded against its measurement.
    pub recorded: usize,
    /// Consistent with the measurement.
    pub within: usize,
    pub inconsistent: usize,
    pub undetermined: usize,
    pub not_graded: usize,
}

#[derive(Debug, Serialize)]
pub struct CheckTally {
    pub name: String,
    pub description: String,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Debug, Serialize)]
pub struct LabSummary {
    pub id: String,
    pub title: String,
    pub results: usize,
    pub quantities: Vec<Distribution>,
    pub predictions: Vec<PredictionTally>,
    pub checks: Vec<CheckTally>,
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

/// One file's validated contribution.
struct Submission {
    path: String,
    lab: Lab,
    cpus: usize,
    python: String,
    implementation: String,
    /// Measured figures only, each valid for its definition.
    measured: Vec<Quantity>,
    predicted: Vec<(String, f64)>,
    checks: Vec<(String, &'static str)>,
}

impl Submission {
    /// What makes two submissions the same result handed in twice: machine, lab, every
    /// measured value and every prediction (two students on one machine can measure the same
    /// exact figures, but predict differently).
    fn identity(&self) -> String {
        let mut values: Vec<String> = self
            .measured
            .iter()
            .map(|q| format!("{}={:?}", q.name, q.value.map(f64::to_bits)))
            .chain(
                self.predicted
                    .iter()
                    .map(|(name, v)| format!("predicted {name}={}", v.to_bits())),
            )
            .collect();
        values.sort();
        format!(
            "{}|{}|{}|{}|{}",
            self.lab.id,
            self.cpus,
            self.python,
            self.implementation,
            values.join(",")
        )
    }
}

/// Every `*.json` under the given files and directories (searched recursively, symbolic links
/// to directories not followed), in a stable order; inputs that do not exist are skipped.
fn files(inputs: &[PathBuf], skipped: &mut Vec<Skipped>) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                if depth > 0 {
                    walk(&p, depth - 1, out);
                }
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, MAX_DEPTH, &mut out);
        } else if input.exists() {
            out.push(input.clone());
        } else {
            skipped.push(Skipped {
                path: shown(input),
                figure: None,
                reason: "no such file or directory".into(),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    out
}

/// A path as the summary shows it: no control characters.
fn shown(path: &Path) -> String {
    plain(&path.display().to_string())
}

/// Text from a file, quoted in a reason: no control characters, at most 40 characters.
fn quoted(text: &str) -> String {
    let clean = plain(text).replace('\n', " ");
    let mut out: String = clean.chars().take(40).collect();
    if clean.chars().count() > 40 {
        out.push('…');
    }
    format!("'{out}'")
}

/// A version or implementation name from a file: short, and only characters such names use.
fn name_like(v: &Value, max: usize) -> Option<String> {
    let s = v.as_str()?;
    let ok = !s.is_empty()
        && s.chars().count() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'));
    ok.then(|| s.to_string())
}

/// The schema's version number, for "gilsim.vN".
fn schema_version(schema: &str) -> Option<u64> {
    schema.strip_prefix("gilsim.v")?.parse().ok()
}

/// Reads and validates one file; the figures it drops are added to `skipped`.
fn read(path: &Path, skipped: &mut Vec<Skipped>) -> Result<Submission, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size == 0 {
        return Err("empty file".into());
    }
    if size > MAX_BYTES {
        return Err(format!(
            "{} bytes: far larger than a lab result",
            number(size as f64)
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("not valid JSON ({})", plain(&e.to_string())))?;
    let schema = value["schema"].as_str().unwrap_or_default();
    match schema_version(schema) {
        Some(v) if schema != SCHEMA && v > 1 => {
            return Err(format!(
                "schema {} is newer than this gilsim reads ({SCHEMA}): update gilsim",
                quoted(schema)
            ))
        }
        _ if schema != SCHEMA || value["command"] != "lab" => {
            return Err("not a gilsim lab result (another program's JSON?)".into())
        }
        _ => {}
    }
    let id = value["lab"]["id"].as_str().ok_or("no lab id")?;
    let lab = super::find(id).ok_or_else(|| format!("unknown lab {}", quoted(id)))?;
    let host = &value["host"];
    let cpus = host["cpus"]
        .as_u64()
        .filter(|c| (1..=65_536).contains(c))
        .ok_or("its machine description has no valid CPU count")?;
    let python = name_like(&host["python_version"], 32)
        .ok_or("its machine description has no valid Python version")?;
    let implementation = name_like(&host["implementation"], 32)
        .ok_or("its machine description has no valid implementation")?;
    let figures = (lab.figures)();
    let mut not_pooled = Vec::new();
    let measured = measurements(&value["measurements"], &figures, &mut not_pooled)?;
    let predicted = predictions(&value["predictions"], &lab)?;
    let checks = checks(&value["checks"], &figures, &mut not_pooled)?;
    skipped.extend(not_pooled.into_iter().map(|(figure, reason)| Skipped {
        path: shown(path),
        figure: Some(figure),
        reason,
    }));
    Ok(Submission {
        path: shown(path),
        lab,
        cpus: cpus as usize,
        python,
        implementation,
        measured,
        predicted,
        checks,
    })
}

/// Names that occur more than once in `items` (objects with a "name").
fn duplicated(items: &[Value]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for item in items {
        if let Some(n) = item["name"].as_str() {
            *count.entry(n).or_default() += 1;
        }
    }
    count
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .map(|(n, _)| n.to_string())
        .collect()
}

/// The file's measured figures, each checked against its definition; the model's and
/// published figures go to `not_pooled`. Any other failure rejects the file.
fn measurements(
    list: &Value,
    figures: &Figures,
    not_pooled: &mut Vec<(String, String)>,
) -> Result<Vec<Quantity>, String> {
    let items = list.as_array().ok_or("no measurements")?;
    if let Some(name) = duplicated(items).first() {
        return Err(format!("the measurement {} appears twice", quoted(name)));
    }
    let mut out = Vec::new();
    for item in items {
        let name = item["name"]
            .as_str()
            .ok_or("a measurement without a name")?;
        let def = figures
            .quantity(name)
            .ok_or_else(|| format!("no measurement {} in this lab", quoted(name)))?;
        let provenance = match item.get("provenance") {
            None => Provenance::Measured,
            Some(p) => serde_json::from_value::<Provenance>(p.clone())
                .map_err(|_| format!("{name}: an unknown provenance"))?,
        };
        let value = match &item["value"] {
            Value::Null => None,
            Value::Number(n) => n.as_f64(),
            _ => return Err(format!("{name}: a value that is not a number")),
        };
        if let Some(v) = value {
            if !def.allows(v) {
                return Err(if v < 0.0 && def.range.0 >= 0.0 {
                    format!("{name}: negative ({}), which it cannot be", number(v))
                } else {
                    format!("{name}: a value outside what it can physically be")
                });
            }
        }
        if provenance != Provenance::Measured {
            not_pooled.push((
                name.to_string(),
                format!(
                    "the {}'s figure, not a measurement: not pooled",
                    provenance.word()
                ),
            ));
            continue;
        }
        let interval = match item.get("interval") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let pair = v.as_array().and_then(|a| match a.as_slice() {
                    [lo, hi] => Some((lo.as_f64()?, hi.as_f64()?)),
                    _ => None,
                });
                match pair {
                    Some((lo, hi)) if def.allows(lo) && def.allows(hi) && lo <= hi => {
                        Some([lo, hi])
                    }
                    _ => return Err(format!("{name}: a range that is not a range")),
                }
            }
        };
        out.push(Quantity {
            name: def.name.clone(),
            label: def.label.clone(),
            value,
            unit: def.unit.into(),
            provenance,
            source: None,
            interval,
        });
    }
    Ok(out)
}

/// The file's predictions: each names one of the lab's, once, with a finite number or none.
fn predictions(list: &Value, lab: &Lab) -> Result<Vec<(String, f64)>, String> {
    let items = list.as_array().ok_or("no predictions")?;
    if let Some(name) = duplicated(items).first() {
        return Err(format!("the prediction {} appears twice", quoted(name)));
    }
    let mut out = Vec::new();
    for item in items {
        let name = item["name"].as_str().ok_or("a prediction without a name")?;
        if !lab.predictions.iter().any(|p| p.name == name) {
            return Err(format!("no prediction {} in this lab", quoted(name)));
        }
        match &item["predicted"] {
            Value::Null => {}
            Value::Number(n) => match n.as_f64().filter(|v| v.is_finite() && v.abs() < 1e15) {
                Some(v) => out.push((name.to_string(), v)),
                None => return Err(format!("{name}: a predicted value out of any range")),
            },
            _ => return Err(format!("{name}: a predicted value that is not a number")),
        }
    }
    Ok(out)
}

/// The file's check outcomes: each once, with a known status. A check this gilsim does not
/// define (an older gilsim's) goes to `not_counted`.
fn checks(
    list: &Value,
    figures: &Figures,
    not_counted: &mut Vec<(String, String)>,
) -> Result<Vec<(String, &'static str)>, String> {
    let items = list.as_array().ok_or("no checks")?;
    if let Some(name) = duplicated(items).first() {
        return Err(format!("the check {} appears twice", quoted(name)));
    }
    let mut out = Vec::new();
    for item in items {
        let name = item["name"].as_str().ok_or("a check without a name")?;
        if figures.check(name).is_none() {
            not_counted.push((
                plain(name),
                format!("no check {} in this lab: not counted", quoted(name)),
            ));
            continue;
        }
        let status = match item["outcome"]["status"].as_str() {
            Some("passed") => "passed",
            Some("failed") => "failed",
            Some("skipped") => "skipped",
            _ => return Err(format!("{name}: a check outcome gilsim does not know")),
        };
        out.push((name.to_string(), status));
    }
    Ok(out)
}

/// The class summary of `inputs`, and its charts (one per lab: each machine's value of the
/// lab's first prediction).
pub fn collect(inputs: &[PathBuf]) -> (ClassSummary, Vec<Chart>) {
    let mut skipped = Vec::new();
    let found = files(inputs, &mut skipped);
    let mut by_lab: BTreeMap<&'static str, Vec<Submission>> = BTreeMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for path in found {
        match read(&path, &mut skipped) {
            Ok(s) => {
                let identity = s.identity();
                if let Some(first) = seen.get(&identity) {
                    skipped.push(Skipped {
                        path: s.path.clone(),
                        figure: None,
                        reason: format!(
                            "the same machine and measurements as {first}: counted once"
                        ),
                    });
                    continue;
                }
                seen.insert(identity, s.path.clone());
                by_lab.entry(s.lab.id).or_default().push(s);
            }
            Err(reason) => skipped.push(Skipped {
                path: shown(&path),
                figure: None,
                reason,
            }),
        }
    }
    let mut labs = Vec::new();
    let mut machines = Vec::new();
    let mut charts = Vec::new();
    for (id, results) in &by_lab {
        let lab = &results[0].lab;
        let figures = (lab.figures)();
        let quantities = figures
            .quantities
            .iter()
            .filter_map(|def| {
                let mut values: Vec<f64> = results
                    .iter()
                    .filter_map(|r| r.measured.iter().find(|m| m.name == def.name)?.value)
                    .collect();
                if values.is_empty() {
                    return None;
                }
                values.sort_by(f64::total_cmp);
                Some(Distribution {
                    name: def.name.clone(),
                    label: def.label.clone(),
                    unit: def.unit.into(),
                    n: values.len(),
                    median: crate::stats::median(&values),
                    min: values[0],
                    max: values[values.len() - 1],
                })
            })
            .collect();
        let graded: Vec<Vec<super::run::Graded>> = results
            .iter()
            .map(|r| grade_all(lab, &r.predicted, &r.measured))
            .collect();
        let predictions = lab
            .predictions
            .iter()
            .map(|p| {
                let of_this: Vec<Grade> = graded
                    .iter()
                    .filter_map(|g| g.iter().find(|g| g.name == p.name))
                    .filter(|g| g.predicted.is_some())
                    .map(|g| g.grade)
                    .collect();
                let count = |grade: Grade| of_this.iter().filter(|g| **g == grade).count();
                PredictionTally {
                    name: p.name.into(),
                    question: p.question.into(),
                    recorded: of_this.len(),
                    within: count(Grade::Consistent),
                    inconsistent: count(Grade::Inconsistent),
                    undetermined: count(Grade::Undetermined),
                    not_graded: count(Grade::NotGraded),
                }
            })
            .collect();
        let checks = figures
            .checks
            .iter()
            .map(|c| {
                let count = |status: &str| {
                    results
                        .iter()
                        .filter(|r| r.checks.iter().any(|(n, s)| *n == c.name && *s == status))
                        .count()
                };
                CheckTally {
                    name: c.name.clone(),
                    description: c.description.clone(),
                    passed: count("passed"),
                    failed: count("failed"),
                    skipped: count("skipped"),
                }
            })
            .filter(|t| t.passed + t.failed + t.skipped > 0)
            .collect();
        if let Some(p) = lab.predictions.first() {
            let bars: Vec<(String, String, f64)> = results
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let v = r.measured.iter().find(|m| m.name == p.name)?.value?;
                    Some((
                        format!("#{} ({} CPU)", i + 1, r.cpus),
                        format!("Python {}", r.python),
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
        for r in results {
            machines.push(MachineRow {
                path: r.path.clone(),
                lab: id.to_string(),
                cpus: r.cpus,
                python: r.python.clone(),
            });
        }
        labs.push(LabSummary {
            id: id.to_string(),
            title: lab.title.into(),
            results: results.len(),
            quantities,
            predictions,
            checks,
        });
    }
    machines.sort_by(|a, b| (a.cpus, &a.python, &a.path).cmp(&(b.cpus, &b.python, &b.path)));
    (
        ClassSummary {
            schema: SCHEMA,
            command: "lab collect",
            labs,
            machines,
            skipped,
        },
        charts,
    )
}

/// A skipped file or figure as one line.
pub fn skipped_line(s: &Skipped) -> String {
    match &s.figure {
        Some(f) => format!("{} ({f}): {}", s.path, s.reason),
        None => format!("{}: {}", s.path, s.reason),
    }
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
            headers: [
                "prediction",
                "recorded",
                "consistent",
                "inconsistent",
                "undetermined",
                "not graded",
            ]
            .map(String::from)
            .to_vec(),
            rows: lab
                .predictions
                .iter()
                .map(|p| {
                    vec![
                        format!("{} ({})", p.question, p.name),
                        p.recorded.to_string(),
                        p.within.to_string(),
                        p.inconsistent.to_string(),
                        p.undetermined.to_string(),
                        p.not_graded.to_string(),
                    ]
                })
                .collect(),
        }));
        if !lab.checks.is_empty() {
            blocks.push(Block::Table(Table {
                headers: ["check", "passed", "failed", "skipped"]
                    .map(String::from)
                    .to_vec(),
                rows: lab
                    .checks
                    .iter()
                    .map(|c| {
                        vec![
                            c.description.clone(),
                            c.passed.to_string(),
                            c.failed.to_string(),
                            c.skipped.to_string(),
                        ]
                    })
                    .collect(),
            }));
        }
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
        heading: "Skipped".into(),
        blocks: vec![if summary.skipped.is_empty() {
            Block::Text("None.".into())
        } else {
            Block::List(summary.skipped.iter().map(skipped_line).collect())
        }],
    });
    let files_skipped = summary
        .skipped
        .iter()
        .filter(|s| s.figure.is_none())
        .count();
    let figures_skipped = summary.skipped.len() - files_skipped;
    Page {
        title: "gilsim lab: class summary".into(),
        subtitle: format!(
            "{} result file{} from {} lab{}; {} file{} and {} figure{} skipped",
            summary.machines.len(),
            if summary.machines.len() == 1 { "" } else { "s" },
            summary.labs.len(),
            if summary.labs.len() == 1 { "" } else { "s" },
            files_skipped,
            if files_skipped == 1 { "" } else { "s" },
            figures_skipped,
            if figures_skipped == 1 { "" } else { "s" },
        ),
        sections,
    }
}
