//! Rendering a document as a terminal table, Markdown, CSV or JSON.
//!
//! A row yields its table cells and its CSV fields as (name, value) lists; headers are taken
//! from the same lists, so a header and its values cannot get out of step.
use super::document::VerdictText;
use super::Document;
use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::Style;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray, strum::EnumMessage,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Format {
    Table,
    Json,
    Markdown,
    Csv,
}

impl Format {
    /// The format a file name asks for, by extension.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "md" | "markdown" => Some(Format::Markdown),
            "csv" => Some(Format::Csv),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }
}

/// Terminal width the default tables and verdicts are made to fit.
pub const WIDTH: usize = 100;

/// One table cell: its column's header, whether only `--wide` shows it, and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub header: &'static str,
    pub wide_only: bool,
    pub text: String,
}

impl Cell {
    /// A column every table shows.
    pub fn new(header: &'static str, text: impl Into<String>) -> Cell {
        Cell {
            header,
            wide_only: false,
            text: text.into(),
        }
    }

    /// A column shown with `--wide` (JSON and CSV always carry its data).
    pub fn wide(header: &'static str, text: impl Into<String>) -> Cell {
        Cell {
            header,
            wide_only: true,
            text: text.into(),
        }
    }
}

/// A result row that can be shown as text: human cells for tables, raw values for CSV.
pub trait Row: Serialize {
    fn cells(&self) -> Vec<Cell>;
    /// (CSV header, raw value) pairs: plain numbers in SI units, "" for none.
    fn fields(&self) -> Vec<(&'static str, String)>;
}

/// A row's CSV fields named after its own fields, in order: `name` (its `to_string()`),
/// `?name` (an `Option`: empty for none), `name..` (a pair: `name_low` and `name_high`), or
/// `"header" = value` for anything else. Used as `csv_fields!(self; threads, ?cpus, ...)`.
macro_rules! csv_fields {
    (@items $v:ident $row:ident;) => {};
    (@items $v:ident $row:ident; ? $name:ident $(, $($rest:tt)*)?) => {
        $v.push((stringify!($name), $crate::report::field($row.$name.as_ref())));
        $crate::report::render::csv_fields!(@items $v $row; $($($rest)*)?);
    };
    (@items $v:ident $row:ident; $name:ident .. $(, $($rest:tt)*)?) => {
        $v.push((concat!(stringify!($name), "_low"), $row.$name.0.to_string()));
        $v.push((concat!(stringify!($name), "_high"), $row.$name.1.to_string()));
        $crate::report::render::csv_fields!(@items $v $row; $($($rest)*)?);
    };
    (@items $v:ident $row:ident; $header:literal = $value:expr $(, $($rest:tt)*)?) => {
        $v.push(($header, $value));
        $crate::report::render::csv_fields!(@items $v $row; $($($rest)*)?);
    };
    (@items $v:ident $row:ident; $name:ident $(, $($rest:tt)*)?) => {
        $v.push((stringify!($name), $row.$name.to_string()));
        $crate::report::render::csv_fields!(@items $v $row; $($($rest)*)?);
    };
    ($row:ident; $($items:tt)*) => {{
        // One push per item: the items are not all expressions, so no `vec![]` is written.
        #[allow(clippy::vec_init_then_push)]
        let fields = {
            let mut fields: Vec<(&'static str, String)> = Vec::new();
            $crate::report::render::csv_fields!(@items fields $row; $($items)*);
            fields
        };
        fields
    }};
}
pub(crate) use csv_fields;

/// `Some(x)` as text, "" for none: a CSV field.
pub fn field<T: ToString>(value: Option<T>) -> String {
    value.map_or(String::new(), |v| v.to_string())
}

pub fn render<R: Row, V: VerdictText>(doc: &Document<R, V>, format: Format, wide: bool) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(doc).expect("reports serialize");
            text.push('\n');
            text
        }
        Format::Csv => csv(doc),
        Format::Table | Format::Markdown => {
            let table = table(doc, format, wide);
            if format == Format::Markdown {
                format!(
                    "**gilsim {}** · {}\n\n{}\n\n{}\n",
                    doc.command,
                    doc.host.describe(),
                    table,
                    doc.verdict.text()
                )
            } else {
                format!(
                    "gilsim {} · {}\n{}\n\n{}\n",
                    doc.command,
                    doc.host.describe(),
                    table,
                    wrap(doc.verdict.text(), WIDTH)
                )
            }
        }
    }
}

/// Columns in the first row's order; every row is laid out by header, so all have as many.
fn columns<T: Clone>(rows: &[Vec<(&'static str, T)>]) -> Vec<&'static str> {
    let mut headers: Vec<&'static str> = Vec::new();
    for row in rows {
        for (header, _) in row {
            if !headers.contains(header) {
                headers.push(header);
            }
        }
    }
    headers
}

fn laid_out<T: Clone>(row: &[(&'static str, T)], headers: &[&'static str], none: T) -> Vec<T> {
    headers
        .iter()
        .map(|h| {
            row.iter()
                .find(|(name, _)| name == h)
                .map_or(none.clone(), |(_, v)| v.clone())
        })
        .collect()
}

fn csv<R: Row, V>(doc: &Document<R, V>) -> String {
    let rows: Vec<Vec<(&'static str, String)>> = doc.results.iter().map(Row::fields).collect();
    let headers = columns(&rows);
    let mut writer = csv::Writer::from_writer(Vec::new());
    if !headers.is_empty() {
        writer.write_record(&headers).expect("writing to memory");
    }
    for row in &rows {
        writer
            .write_record(laid_out(row, &headers, String::new()))
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}

fn table<R: Row, V>(doc: &Document<R, V>, format: Format, wide: bool) -> String {
    let rows: Vec<Vec<(&'static str, String)>> = doc
        .results
        .iter()
        .map(|r| {
            r.cells()
                .into_iter()
                .filter(|c| wide || !c.wide_only)
                // Markdown cells hold no raw pipes or line breaks.
                .map(|c| match format {
                    Format::Markdown => (c.header, c.text.replace('|', "\\|").replace('\n', " ")),
                    _ => (c.header, c.text),
                })
                .collect()
        })
        .collect();
    grid(&rows, format == Format::Markdown)
}

/// Rows of (header, text) cells as a rounded (or Markdown) table laid out by header.
fn grid(rows: &[Vec<(&'static str, String)>], markdown: bool) -> String {
    let headers = columns(rows);
    let mut builder = Builder::default();
    builder.push_record(headers.iter().copied());
    for row in rows {
        builder.push_record(laid_out(row, &headers, "–".to_string()));
    }
    let mut table = builder.build();
    if markdown {
        table.with(Style::markdown());
    } else {
        table.with(Style::rounded());
    }
    table.to_string()
}

/// A document's rows as CSV and its verdict: what a snapshot of a scenario's output holds.
#[cfg(test)]
pub fn csv_and_verdict<R: Row, V: VerdictText>(doc: &Document<R, V>) -> String {
    format!("{}\n{}", csv(doc), doc.verdict.text())
}

/// Rows as a bare rounded table (no header line, no verdict), for sections under a report.
pub fn rows_table<R: Row>(rows: &[R]) -> String {
    let cells: Vec<Vec<(&'static str, String)>> = rows
        .iter()
        .map(|r| r.cells().into_iter().map(|c| (c.header, c.text)).collect())
        .collect();
    grid(&cells, false)
}

/// Wraps each paragraph at `width` columns for the terminal, never splitting a number from its
/// unit ("5.0 ms" stays on one line).
pub fn wrap(text: &str, width: usize) -> String {
    text.split('\n')
        .map(|paragraph| {
            // Continuation lines keep the paragraph's indentation and hang under a list
            // marker ("- ", "3. ").
            let indent = hanging_indent(paragraph);
            let options = textwrap::Options::new(width)
                .word_separator(textwrap::WordSeparator::Custom(unit_aware_words))
                .word_splitter(textwrap::WordSplitter::NoHyphenation)
                .subsequent_indent(&indent);
            textwrap::fill(paragraph, &options)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Spaces as wide as a paragraph's leading whitespace and list marker, if any.
fn hanging_indent(paragraph: &str) -> String {
    let lead = paragraph.len() - paragraph.trim_start().len();
    let rest = &paragraph[lead..];
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    let marker = if rest.starts_with("- ") {
        2
    } else if digits > 0 && rest[digits..].starts_with(". ") {
        digits + 2
    } else {
        0
    };
    " ".repeat(paragraph[..lead].chars().count() + marker)
}

/// Words split at spaces, except a space between a number and the unit after it.
fn unit_aware_words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            let before_is_number = line[start..i]
                .trim_end_matches(['%', ')', ','])
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_digit());
            let next_word: String = line[i + 1..].chars().take_while(|c| *c != ' ').collect();
            let next_is_unit = matches!(
                next_word.trim_end_matches(['.', ',', ';', ':', ')']),
                "s" | "ms"
                    | "µs"
                    | "ns"
                    | "%"
                    | "MiB"
                    | "KiB"
                    | "GiB"
                    | "B"
                    | "req/s"
                    | "CPUs"
                    | "CPU"
                    | "threads"
                    | "thread"
                    | "runs"
                    | "iterations"
            );
            if !(before_is_number && next_is_unit) {
                let mut end = i;
                while end < bytes.len() && bytes[end] == b' ' {
                    end += 1;
                }
                words.push(textwrap::core::Word::from(&line[start..end]));
                start = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

#[cfg(test)]
mod wrap_tests {
    use super::wrap;

    #[test]
    fn wrapped_lines_keep_their_indentation_and_hang_under_markers() {
        let text = wrap(
            "  name: a question long enough to need a second line here",
            30,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 1, "{text}");
        assert!(lines[1..]
            .iter()
            .all(|l| l.starts_with("  ") && !l.starts_with("   ")));
        let item = wrap("12. an item long enough to wrap onto another line", 25);
        assert!(
            item.lines().skip(1).all(|l| l.starts_with("    ")),
            "{item}"
        );
        let dash = wrap("- a list item long enough to wrap onto another line", 25);
        assert!(dash.lines().skip(1).all(|l| l.starts_with("  ")), "{dash}");
        assert_eq!(wrap("plain words", 30), "plain words");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Host;

    #[derive(Serialize)]
    struct Fixed {
        name: &'static str,
        value: Option<f64>,
    }

    impl Row for Fixed {
        fn cells(&self) -> Vec<Cell> {
            vec![
                Cell::new("name", self.name),
                Cell::wide("value", self.value.map_or("–".into(), |v| format!("{v} s"))),
            ]
        }
        fn fields(&self) -> Vec<(&'static str, String)> {
            vec![("name", self.name.into()), ("value_s", field(self.value))]
        }
    }

    fn doc() -> Document<Fixed> {
        Document {
            schema: crate::report::document::SCHEMA,
            command: "fixed".into(),
            params: serde_json::json!({}),
            host: Host {
                cpus: 2,
                python: None,
                note: None,
            },
            results: vec![
                Fixed {
                    name: "a, \"quoted\"",
                    value: Some(1.5),
                },
                Fixed {
                    name: "b|c",
                    value: None,
                },
            ],
            verdict: "A verdict.".into(),
        }
    }

    #[test]
    fn every_renderer_of_a_fixed_document() {
        let doc = doc();
        insta::assert_snapshot!("csv", render(&doc, Format::Csv, false));
        insta::assert_snapshot!("table", render(&doc, Format::Table, false));
        insta::assert_snapshot!("table_wide", render(&doc, Format::Table, true));
        insta::assert_snapshot!("markdown", render(&doc, Format::Markdown, true));
        insta::assert_snapshot!("json", render(&doc, Format::Json, false));
    }

    #[test]
    fn wrap_keeps_words_whole_and_numbers_with_units() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("it took 5.0 ms", 10), "it took\n5.0 ms");
        assert_eq!(wrap("x 12 %", 4), "x\n12 %");
        assert_eq!(wrap("215 hand-offs", 10), "215\nhand-offs");
    }
}
