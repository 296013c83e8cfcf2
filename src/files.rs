//! Files gilsim writes where the user asked: checked before any work is done, then written
//! atomically (a temporary file beside the target, then a rename), so a reader never sees half
//! a file and a failed run leaves no partial one.
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A file gilsim is asked to write must go into an existing directory and not be one itself;
/// gilsim creates no directories the user did not make.
pub fn check_writable(path: &Path, what: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {what} to {}: {} is not a directory",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        bail!(
            "cannot write {what} to {}: it is a directory",
            path.display()
        );
    }
    Ok(())
}

/// Writes `contents` to `path` whole or not at all, with the permissions a plain file gets
/// under the user's umask.
pub fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    check_writable(path, "a file")?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).with_context(|| {
        format!(
            "cannot write {}: {} refused a new file",
            path.display(),
            dir.display()
        )
    })?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.flush())
        .and_then(|_| {
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))
        })
        .with_context(|| format!("writing {}", path.display()))?;
    file.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The process's umask, read without changing it (`/proc/self/status`), 022 if unreadable.
fn umask() -> u32 {
    procfs::process::Process::myself()
        .and_then(|me| me.status())
        .ok()
        .and_then(|status| status.umask)
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_follow_the_umask_and_no_directory_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        write_atomically(&path, "x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask());
        let missing = dir.path().join("missing/r.txt");
        let err = write_atomically(&missing, "x").unwrap_err().to_string();
        assert!(err.contains("is not a directory"), "{err}");
        assert!(!dir.path().join("missing").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
