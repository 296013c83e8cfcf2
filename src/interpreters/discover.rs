//! Where gilsim looks for Pythons: every `python`, `python3`, `python3.X` and `python2.7` on
//! PATH, pyenv's versions (`$PYENV_ROOT`, default `~/.pyenv`), uv's managed Pythons
//! (`$UV_PYTHON_INSTALL_DIR`, default `~/.local/share/uv/python`), the interpreters
//! `tools/build-cpython.sh` builds (`~/.cache/gilsim/cpython`), and any given by path.
//! The same file found twice (by symlink or hard link) is listed once, under the first place
//! it was found.
use super::probe::{probe, Interpreter};
use super::GilKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one interpreter may take to describe itself.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Candidates in search order: (command path, where it was found).
fn candidates(given: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = given
        .iter()
        .map(|p| (p.clone(), "--python".to_string()))
        .collect();
    let is_python_name = |name: &str| {
        name == "python" || name == "python3" || name == "python2.7" || {
            name.strip_prefix("python3.").is_some_and(|rest| {
                let rest = rest.strip_suffix('t').unwrap_or(rest);
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
            })
        }
    };
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| is_python_name(n))
            .collect();
        names.sort();
        out.extend(names.into_iter().map(|n| (dir.join(n), "PATH".to_string())));
    }
    let home = dirs::home_dir().unwrap_or_default();
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".pyenv"));
    out.extend(versions_in(&pyenv.join("versions"), "pyenv"));
    let uv = std::env::var_os("UV_PYTHON_INSTALL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".local/share/uv/python"));
    out.extend(versions_in(&uv, "uv"));
    if let Some(cache) = dirs::cache_dir() {
        out.extend(versions_in(&cache.join("gilsim/cpython"), "gilsim cache"));
    }
    out
}

/// `DIR/*/bin/python` (or `python3`) for each installed version under `dir`, sorted.
fn versions_in(dir: &Path, found_in: &str) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| {
            let bin = e.ok()?.path().join("bin");
            ["python3", "python"]
                .iter()
                .map(|n| bin.join(n))
                .find(|p| p.is_file())
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|p| (p, found_in.to_string()))
        .collect()
}

/// Every working interpreter found, each once, oldest version first.
pub fn discover(given: &[PathBuf]) -> Vec<Interpreter> {
    use std::os::unix::fs::MetadataExt;
    // (device, inode) of each file listed: a hard link (python3.13 and python3.13t of one
    // free-threaded install) is the same file under another name.
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let mut out = Vec::new();
    for (path, found_in) in candidates(given) {
        let Ok(real) = std::fs::canonicalize(&path) else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(&real) else {
            continue;
        };
        let file = (meta.dev(), meta.ino());
        // pyenv's shims are scripts that pick a version by directory: not an interpreter.
        if real.to_string_lossy().contains("/.pyenv/shims/") || seen.contains(&file) {
            continue;
        }
        seen.push(file);
        if let Some(report) = probe(&path, PROBE_TIMEOUT) {
            out.push(Interpreter::from_report(report, &path, &found_in));
        }
    }
    // Stable: among equal versions, the first place searched comes first.
    out.sort_by_key(|i| i.version_key());
    out
}

/// The interpreter a user names: a path, or a version name ("2.7", "3.12", "3.13t") matched
/// against the discovered ones (the first found wins).
pub fn resolve(name: &str) -> Result<Interpreter, String> {
    // A command on PATH (python3.13t) is taken as its path.
    let on_path = (!name.contains('/') && name.starts_with("python"))
        .then(|| {
            std::env::var_os("PATH").and_then(|dirs| {
                std::env::split_paths(&dirs)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
        .flatten();
    if let Some(path) = on_path {
        return resolve(&path.display().to_string());
    }
    if name.contains('/') {
        let path = PathBuf::from(name);
        return discover(std::slice::from_ref(&path))
            .into_iter()
            .find(|i| i.found_in == "--python")
            .ok_or_else(|| format!("{name} is not a Python gilsim can run"));
    }
    let all = discover(&[]);
    // A name as `interpreters` lists it (3.13, 3.13t), else a whole version (3.13.5, 3.13.5t).
    let full = |i: &Interpreter| match i.gil {
        GilKind::FreeThreaded => format!("{}t", i.version),
        _ => i.version.clone(),
    };
    let found = all
        .iter()
        .find(|i| i.name == name)
        .or_else(|| all.iter().find(|i| full(i) == name));
    found.cloned().ok_or_else(|| {
        let names: Vec<String> = all.iter().map(full).collect();
        format!(
            "no Python {name} found (PATH, pyenv, uv); found: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )
    })
}
