//! Where a report goes: stdout in the chosen format, and a file written whole or not at all
//! (`crate::files`).
use super::{render, Document, Format, Row};
use crate::files::{check_writable, write_atomically};
use anyhow::Result;
use std::path::PathBuf;

/// What the user asked for: a format, a file, and whether tables show every column.
#[derive(Clone, Debug, Default)]
pub struct OutputSpec {
    pub format: Option<Format>,
    pub path: Option<PathBuf>,
    pub wide: bool,
}

impl OutputSpec {
    /// Fails before any work is done if the report could not be written afterwards.
    pub fn check(&self) -> Result<()> {
        match &self.path {
            Some(path) => check_writable(path, "the report"),
            None => Ok(()),
        }
    }

    /// Prints the report on stdout and writes the file if asked.
    pub fn emit<R: Row, V: crate::report::document::VerdictText>(
        &self,
        doc: &Document<R, V>,
    ) -> Result<()> {
        if let Some(path) = &self.path {
            let format = self
                .format
                .or_else(|| Format::from_path(path))
                .unwrap_or(Format::Table);
            write_atomically(path, &render(doc, format, self.wide))?;
        }
        print!(
            "{}",
            render(doc, self.format.unwrap_or(Format::Table), self.wide)
        );
        Ok(())
    }
}
