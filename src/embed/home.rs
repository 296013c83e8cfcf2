//! Where the embedded interpreter finds its standard library: always the build gilsim was
//! compiled against, so PATH or an activated virtual environment made from another Python
//! can never pair one build's standard library with another's libpython.
//!
//! Supported: a virtual environment (`VIRTUAL_ENV`) made from the same build adds its
//! site-packages; one made from any other Python is ignored (`gilsim doctor` says so).
//! `PYTHONHOME` and `PYTHONPATH` set by the user are honoured: they are the user's choice.
use crate::install::{CONFIGURED_PREFIX, CONFIGURED_PYTHON, CONFIGURED_VERSION};
use std::path::{Path, PathBuf};

/// How CPython is started: the program it believes it is, and the home it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Start {
    /// `PyConfig.program_name`: the configured interpreter, or the same build's venv python.
    pub program: PathBuf,
    /// `PyConfig.home`: the build's prefix, unless the user set PYTHONHOME or a venv is used.
    pub home: Option<PathBuf>,
    pub venv: Venv,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Venv {
    None,
    /// Made from the build gilsim embeds: its site-packages are on `sys.path`.
    Used(PathBuf),
    /// Made from another Python (its `home`): left out.
    Ignored {
        path: PathBuf,
        made_from: String,
    },
}

/// Chooses the start-up from the environment; fails when the configured build is gone.
pub fn choose() -> anyhow::Result<Start> {
    let configured = Path::new(CONFIGURED_PYTHON);
    if !configured.is_file() {
        anyhow::bail!(
            "gilsim was built against CPython {CONFIGURED_VERSION} at {CONFIGURED_PYTHON}, which is no longer there; \
             rebuild gilsim against a Python you have: PYO3_PYTHON=/path/to/python3 cargo build --release"
        );
    }
    let venv = std::env::var_os("VIRTUAL_ENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .map_or(Venv::None, |path| classify(&path, configured));
    let user_home = std::env::var_os("PYTHONHOME").is_some_and(|h| !h.is_empty());
    Ok(match &venv {
        Venv::Used(path) => Start {
            program: path.join("bin").join("python"),
            home: None,
            venv,
        },
        _ => Start {
            program: configured.to_path_buf(),
            home: (!user_home && !CONFIGURED_PREFIX.is_empty())
                .then(|| PathBuf::from(CONFIGURED_PREFIX)),
            venv,
        },
    })
}

/// A venv is the same build when its `pyvenv.cfg` home is the configured interpreter's directory.
fn classify(venv: &Path, configured: &Path) -> Venv {
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).unwrap_or_default();
    let home = cfg
        .lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == "home")
        .map(|(_, v)| v.trim().to_string());
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    match (home, configured.parent()) {
        (Some(home), Some(dir)) if same(Path::new(&home), dir) => Venv::Used(venv.to_path_buf()),
        (home, _) => Venv::Ignored {
            path: venv.to_path_buf(),
            made_from: home.unwrap_or_else(|| "an unknown Python (no pyvenv.cfg home)".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venv_with_home(home: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyvenv.cfg"), format!("home = {home}\n")).unwrap();
        dir
    }

    #[test]
    fn a_venv_of_the_same_build_is_used_and_another_ignored() {
        let configured = Path::new(CONFIGURED_PYTHON);
        let same = venv_with_home(&configured.parent().unwrap().to_string_lossy());
        assert_eq!(
            classify(same.path(), configured),
            Venv::Used(same.path().to_path_buf())
        );
        let other = venv_with_home("/nonexistent/bin");
        assert!(matches!(
            classify(other.path(), configured),
            Venv::Ignored { made_from, .. } if made_from == "/nonexistent/bin"
        ));
    }
}
