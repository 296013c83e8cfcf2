//! What a student hands in: `report.md`, `report.html` (one self-contained file: inline styles
//! and SVG charts, nothing fetched), the charts as `.svg` and `results.json`.
use super::run::LabResults;
use super::{CheckOutcome, Lab};
use crate::files::write_atomically;
use crate::report::chart::Chart;
use anyhow::{bail, Context, Result};
use std::path::Path;

pub use crate::report::units::number;

fn value(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) => format!("{} {unit}", number(v)).trim_end().to_string(),
        None => "unavailable".into(),
    }
}

/// "0.98 – 1.07 ×", or "–" without a range.
fn range(interval: Option<[f64; 2]>, unit: &str) -> String {
    match interval {
        Some([lo, hi]) => format!("{} – {} {unit}", number(lo), number(hi))
            .trim_end()
            .to_string(),
        None => "–".into(),
    }
}

/// Where a figure came from, with its source where it has one.
fn provenance(p: super::Provenance, source: Option<&str>) -> String {
    match source {
        Some(s) => format!("{} ({s})", p.word()),
        None => p.word().into(),
    }
}

/// A heading and rows of cells, for Markdown and HTML alike.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn markdown(&self) -> String {
        let cell = |c: &str| markdown_text(c).replace('|', "\\|").replace('\n', " ");
        let mut out = format!(
            "| {} |\n",
            self.headers
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        out += &format!("|{}\n", "---|".repeat(self.headers.len()));
        for row in &self.rows {
            out += &format!(
                "| {} |\n",
                row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
            );
        }
        out
    }

    fn html(&self) -> String {
        // Wide tables scroll inside their own box on a narrow screen.
        let mut out = String::from("<div class=\"scroll\"><table>\n<thead><tr>");
        for h in &self.headers {
            out += &format!("<th>{}</th>", escape(h));
        }
        out += "</tr></thead>\n<tbody>\n";
        for row in &self.rows {
            out += "<tr>";
            for c in row {
                out += &format!("<td>{}</td>", escape(c));
            }
            out += "</tr>\n";
        }
        out + "</tbody>\n</table></div>\n"
    }
}

/// Text for HTML: markup characters escaped, control characters dropped.
pub fn escape(text: &str) -> String {
    plain(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text without control characters (a terminal's escape sequences among them); newlines and
/// tabs stay.
pub fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Text for Markdown: no control characters, and no raw HTML (`<` as an entity, which
/// Markdown renders as `<`).
pub fn markdown_text(text: &str) -> String {
    plain(text).replace('<', "&lt;")
}

/// A document of sections, rendered as Markdown or as one HTML page.
pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
}

pub enum Block {
    Text(String),
    List(Vec<String>),
    Numbered(Vec<String>),
    Table(Table),
    Chart(Chart),
}

pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;\
padding:0 1rem;color:#222;line-height:1.45}h1{font-size:1.6rem}h2{font-size:1.2rem;\
margin-top:2rem;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:0.5rem 0}\
td,th{border:1px solid #ccc;padding:0.25rem 0.6rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.scroll{max-width:100%;overflow-x:auto}figure{margin:1rem 0}figure svg{max-width:100%;height:auto;\
border:1px solid #eee}.sub{color:#555}";

impl Page {
    pub fn markdown(&self) -> String {
        let md = markdown_text;
        let mut out = format!("# {}\n\n{}\n", md(&self.title), md(&self.subtitle));
        for s in &self.sections {
            out += &format!("\n## {}\n\n", md(&s.heading));
            for b in &s.blocks {
                match b {
                    Block::Text(t) => out += &format!("{}\n\n", md(t)),
                    Block::List(items) => {
                        for i in items {
                            out += &format!("- {}\n", md(i));
                        }
                        out += "\n";
                    }
                    Block::Numbered(items) => {
                        for (n, i) in items.iter().enumerate() {
                            out += &format!("{}. {}\n", n + 1, md(i));
                        }
                        out += "\n";
                    }
                    Block::Table(t) => out += &format!("{}\n", t.markdown()),
                    Block::Chart(c) => out += &format!("![{}]({})\n\n", md(&c.title), md(&c.file)),
                }
            }
        }
        out
    }

    pub fn html(&self) -> String {
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n\
             <p class=\"sub\">{}</p>\n",
            escape(&self.title),
            escape(&self.title),
            escape(&self.subtitle)
        );
        for s in &self.sections {
            out += &format!("<h2>{}</h2>\n", escape(&s.heading));
            for b in &s.blocks {
                match b {
                    Block::Text(t) => out += &format!("<p>{}</p>\n", escape(t)),
                    Block::List(items) | Block::Numbered(items) => {
                        let tag = if matches!(b, Block::List(_)) {
                            "ul"
                        } else {
                            "ol"
                        };
                        out += &format!("<{tag}>\n");
                        for i in items {
                            out += &format!("<li>{}</li>\n", escape(i));
                        }
                        out += &format!("</{tag}>\n");
                    }
                    Block::Table(t) => out += &t.html(),
                    Block::Chart(c) => {
                        // The SVG inline, without its XML declaration.
                        let svg = c.svg.trim_start_matches(|ch| ch != '<');
                        let svg = match svg.strip_prefix("<?xml") {
                            Some(rest) => rest.split_once("?>").map_or(rest, |(_, r)| r),
                            None => svg,
                        };
                        out += &format!(
                            "<figure class=\"chart\" data-file=\"{}\">{}<figcaption>{}</figcaption></figure>\n",
                            escape(&c.file),
                            svg.trim(),
                            escape(&c.title)
                        );
                    }
                }
            }
        }
        out + "</body>\n</html>\n"
    }
}

/// The report page of one lab run.
pub fn page(lab: &Lab, r: &LabResults, charts: &[Chart]) -> Page {
    let predictions = Table {
        headers: [
            "prediction",
            "you predicted",
            "measured",
            "runs' range",
            "tolerance",
            "graded",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .predictions
            .iter()
            .map(|p| {
                let measured = match (p.measured, p.model) {
                    (Some(v), _) => value(Some(v), &p.unit),
                    (None, Some(model)) => format!(
                        "not measured (the model: {}, shown for discussion)",
                        value(Some(model), &p.unit)
                    ),
                    (None, None) => "unavailable".into(),
                };
                vec![
                    format!("{} ({})", p.question, p.name),
                    p.predicted
                        .map_or("no prediction was recorded".into(), |v| {
                            format!("{} {}", number(v), p.unit).trim_end().to_string()
                        }),
                    measured,
                    range(p.interval, &p.unit),
                    p.tolerance.clone(),
                    match &p.note {
                        Some(note) => note.clone(),
                        None => p.grade.words().into(),
                    },
                ]
            })
            .collect(),
    };
    let measurements = Table {
        headers: ["quantity", "value", "runs' range", "provenance", "name"]
            .map(String::from)
            .to_vec(),
        rows: r
            .measurements
            .iter()
            .map(|q| {
                vec![
                    q.label.clone(),
                    value(q.value, &q.unit),
                    range(q.interval, &q.unit),
                    provenance(q.provenance, q.source.as_deref()),
                    q.name.clone(),
                ]
            })
            .collect(),
    };
    let checks = Table {
        headers: ["check", "result", "figures", "provenance"]
            .map(String::from)
            .to_vec(),
        rows: r
            .checks
            .iter()
            .map(|c| {
                let result = match &c.outcome {
                    CheckOutcome::Skipped { reason } => format!("SKIPPED: {reason}"),
                    o => o.word().into(),
                };
                vec![
                    c.description.clone(),
                    result,
                    c.detail.clone(),
                    c.provenance.word().into(),
                ]
            })
            .collect(),
    };
    let mut sections = vec![
        Section {
            heading: "Goal".into(),
            blocks: vec![
                Block::Text(lab.goal.into()),
                Block::Text(lab.background.into()),
            ],
        },
        Section {
            heading: "Predictions".into(),
            blocks: vec![Block::Table(predictions)],
        },
        Section {
            heading: "Measurements".into(),
            blocks: vec![Block::Table(measurements)],
        },
        Section {
            heading: "Checks".into(),
            blocks: vec![Block::Table(checks)],
        },
        Section {
            heading: "What the measurement says".into(),
            blocks: vec![Block::Text(r.verdict.clone())],
        },
    ];
    if !charts.is_empty() {
        sections.push(Section {
            heading: "Charts".into(),
            blocks: charts.iter().cloned().map(Block::Chart).collect(),
        });
    }
    sections.push(Section {
        heading: "How it was measured".into(),
        blocks: vec![Block::List(r.method.clone())],
    });
    sections.push(Section {
        heading: "Questions to answer".into(),
        blocks: vec![Block::Numbered(
            lab.questions.iter().map(|q| q.to_string()).collect(),
        )],
    });
    Page {
        title: format!("Lab {}: {}", lab.id, lab.title),
        subtitle: format!(
            "{} CPU{}, {} {} · {} mode",
            r.host.cpus,
            if r.host.cpus == 1 { "" } else { "s" },
            r.host.implementation,
            r.host.python_version,
            if r.quick { "quick" } else { "default" }
        ),
        sections,
    }
}

/// Makes `dir` (its parent must exist) or checks that it is a directory.
pub fn output_dir(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => bail!("--output {} is a file, not a directory", dir.display()),
        Err(_) => std::fs::create_dir(dir)
            .with_context(|| format!("cannot create the output directory {}", dir.display())),
    }
}

/// Writes the page as `report.md`/`report.html` (or `stem`), the charts, and `json` as
/// `results.json` (or `json_name`), each whole or not at all.
pub fn write(
    dir: &Path,
    stem: &str,
    page: &Page,
    charts: &[Chart],
    json_name: &str,
    json: &str,
) -> Result<()> {
    output_dir(dir)?;
    for c in charts {
        write_atomically(&dir.join(&c.file), &c.svg)?;
    }
    write_atomically(&dir.join(json_name), json)?;
    write_atomically(&dir.join(format!("{stem}.md")), &page.markdown())?;
    write_atomically(&dir.join(format!("{stem}.html")), &page.html())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(1.0234), "1.023");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(194.4), "194");
        assert_eq!(number(30512.0), "30,512");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.000_5), "5.00e-4");
        // Any finite value, without an integer cast.
        assert_eq!(number(1e308), "1.00e308");
        assert_eq!(number(-5.0), "-5.000");
        assert_eq!(number(-12_345.0), "-12,345");
        assert_eq!(number(999_999_999.0), "999,999,999");
        assert_eq!(number(f64::NAN), "unavailable");
    }

    #[test]
    fn text_from_anywhere_is_escaped_in_markdown_and_html() {
        let page = Page {
            title: "t".into(),
            subtitle: "s".into(),
            sections: vec![Section {
                heading: "<script>alert(1)</script>".into(),
                blocks: vec![
                    Block::Text("a \u{1b}[31mred\u{1b}[0m <b>".into()),
                    Block::Table(Table {
                        headers: vec!["h".into()],
                        rows: vec![vec!["<img src=x>|\u{7}".into()]],
                    }),
                ],
            }],
        };
        for out in [page.markdown(), page.html()] {
            assert!(!out.contains("<script"), "{out}");
            assert!(!out.contains("<img"), "{out}");
            assert!(!out.contains("<b>"), "{out}");
            assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
        }
    }

    #[test]
    fn html_is_escaped_and_self_contained() {
        let page = Page {
            title: "A <b> & c".into(),
            subtitle: "s".into(),
            sections: vec![Section {
                heading: "h".into(),
                blocks: vec![
                    Block::Text("x < y".into()),
                    Block::Chart(Chart {
                        file: "c.svg".into(),
                        title: "t".into(),
                        svg: "<?xml version=\"1.0\"?>\n<svg width=\"10\"></svg>".into(),
                    }),
                ],
            }],
        };
        let html = page.html();
        assert!(html.contains("A &lt;b&gt; &amp; c"));
        assert!(html.contains("x &lt; y"));
        assert!(html.contains("<svg width=\"10\"></svg>"));
        assert!(!html.contains("<?xml"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing fetched"
        );
        let md = page.markdown();
        assert!(md.contains("![t](c.svg)"));
    }
}
