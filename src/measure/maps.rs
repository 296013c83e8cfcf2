//! Which libpython file the dynamic loader actually mapped, read from `/proc/self/maps`.
use std::path::PathBuf;

/// The first mapped file whose name starts with `libpython`, if any.
pub fn mapped_libpython() -> Option<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(PathBuf::from)
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libpython"))
        })
}
