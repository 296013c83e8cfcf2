//! Which libpython file the dynamic loader actually mapped, read from `/proc/self/maps`.
use procfs::process::{MMapPath, Process};
use std::path::PathBuf;

/// The first mapped file whose name starts with `libpython`, if any.
pub fn mapped_libpython() -> Option<PathBuf> {
    Process::myself()
        .and_then(|me| me.maps())
        .ok()?
        .into_iter()
        .filter_map(|map| match map.pathname {
            MMapPath::Path(path) => Some(path),
            _ => None,
        })
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libpython"))
        })
}
