//! Writing report files atomically: a temporary file beside the target, then a rename, so a
//! reader never sees half a report and a failed run leaves no partial file.
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

pub fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if path.is_dir() {
        anyhow::bail!(
            "cannot write the report to {}: it is a directory",
            path.display()
        );
    }
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write the report into {}", dir.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.flush())
        .with_context(|| format!("writing {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("moving the report into place at {}", path.display()))?;
    Ok(())
}
