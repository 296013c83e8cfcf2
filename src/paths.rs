//! gilsim's own files: a per-user cache directory for its Python modules and the calibration.
//!
//! `$XDG_CACHE_HOME/gilsim` or `~/.cache/gilsim` (the `dirs` crate, which treats an empty or
//! relative `XDG_CACHE_HOME` as unset, as the XDG spec says). When that cannot be created (no
//! HOME, a read-only home), a private directory in the system's temporary directory, owned by
//! this user with mode 0700. Nothing goes into the current directory.
use anyhow::{bail, Context, Result};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::PathBuf;

/// The cache directory, created on first use.
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = dirs::cache_dir().map(|d| d.join("gilsim")) {
        if std::fs::create_dir_all(&dir).is_ok() && is_writable(&dir) {
            return Ok(dir);
        }
    }
    private_temp_dir()
}

/// The calibration `calibrate` saves and `simulate`/`convoy` read by default.
pub fn default_calibration() -> Result<PathBuf> {
    Ok(cache_dir()?.join("calibration.json"))
}

fn is_writable(dir: &std::path::Path) -> bool {
    tempfile::tempfile_in(dir).is_ok()
}

/// `/tmp/gilsim-<uid>`, mode 0700, refused unless this user owns it.
fn private_temp_dir() -> Result<PathBuf> {
    let uid = nix::unistd::getuid().as_raw();
    let dir = std::env::temp_dir().join(format!("gilsim-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(e).with_context(|| format!("creating gilsim's cache {}", dir.display()))
        }
    }
    let meta = std::fs::symlink_metadata(&dir)
        .with_context(|| format!("reading gilsim's cache {}", dir.display()))?;
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "no cache directory: the home cache cannot be created and {} is not a private directory of this user",
            dir.display()
        );
    }
    Ok(dir)
}

/// The calibration at `path`, or the saved one when no path is given (None when there is none).
pub fn load_calibration(path: Option<&std::path::Path>) -> Result<Option<crate::sim::Params>> {
    let (path, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (default_calibration()?, false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
            format!("{} is not a gilsim calibration", path.display())
        })?)),
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading the calibration {}", path.display())),
    }
}
