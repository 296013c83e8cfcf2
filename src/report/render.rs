//! Rendering a document as a terminal table, Markdown, CSV or JSON.
use super::Document;
use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::Style;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
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

/// A result row that can be shown as text: human cells for tables, raw values for CSV.
pub trait Row: Serialize {
    fn headers() -> Vec<&'static str>;
    fn cells(&self) -> Vec<String>;
    fn csv_headers() -> Vec<&'static str>;
    fn csv_cells(&self) -> Vec<String>;
}

pub fn render<R: Row>(doc: &Document<R>, format: Format) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(doc).expect("reports serialize");
            text.push('\n');
            text
        }
        Format::Csv => {
            let mut lines = vec![csv_line(R::csv_headers().iter().map(|h| h.to_string()))];
            lines.extend(
                doc.results
                    .iter()
                    .map(|r| csv_line(r.csv_cells().into_iter())),
            );
            lines.join("\n") + "\n"
        }
        Format::Table | Format::Markdown => {
            let mut builder = Builder::default();
            builder.push_record(R::headers());
            for row in &doc.results {
                builder.push_record(row.cells());
            }
            let mut table = builder.build();
            if format == Format::Markdown {
                table.with(Style::markdown());
                format!(
                    "**gilsim {}** · {}\n\n{}\n\n{}\n",
                    doc.command,
                    doc.host.describe(),
                    table,
                    doc.verdict
                )
            } else {
                table.with(Style::rounded());
                format!(
                    "gilsim {} · {}\n{}\n\n{}\n",
                    doc.command,
                    doc.host.describe(),
                    table,
                    wrap(&doc.verdict, 100)
                )
            }
        }
    }
}

fn csv_line(cells: impl Iterator<Item = String>) -> String {
    cells
        .map(|c| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Wraps each paragraph at `width` columns for the terminal.
fn wrap(text: &str, width: usize) -> String {
    text.split('\n')
        .map(|paragraph| {
            let mut lines = Vec::new();
            let mut line = String::new();
            for word in paragraph.split(' ') {
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                    lines.push(std::mem::take(&mut line));
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
            lines.push(line);
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        let line =
            csv_line(["a".to_string(), "b,c".to_string(), "say \"x\"".to_string()].into_iter());
        assert_eq!(line, "a,\"b,c\",\"say \"\"x\"\"\"");
    }

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
    }
}
