//! How gilsim was installed: which CPython this process runs with, and how to start another
//! gilsim process.
//!
//! Two ways in: the cargo binary, which embeds the CPython it was built against (recorded by
//! build.rs), and the Python package's native module, which runs inside whatever interpreter
//! imported it (`sys.executable`, any CPython 3.9+, shared or static libpython). Everything
//! that names the interpreter or re-executes gilsim asks here, so both behave alike.
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The interpreter this binary was built against (recorded by build.rs).
pub const CONFIGURED_PYTHON: &str = env!("GILSIM_CONFIGURED_PYTHON");
pub const CONFIGURED_VERSION: &str = env!("GILSIM_CONFIGURED_VERSION");
pub const CONFIGURED_PREFIX: &str = env!("GILSIM_CONFIGURED_PREFIX");
pub const CONFIGURED_LIBDIR: &str = env!("GILSIM_CONFIGURED_LIBDIR");
pub const CONFIGURED_LIBNAME: &str = env!("GILSIM_CONFIGURED_LIBNAME");

/// The interpreter hosting the Python package, as it describes itself.
#[derive(Clone, Debug)]
pub struct Package {
    /// `sys.executable`: the virtual environment's python where there is one.
    pub python: PathBuf,
    /// `platform.python_version()`.
    pub version: String,
    /// `sys.base_prefix`.
    pub prefix: PathBuf,
    /// Where the `gilsim` package was imported from.
    pub location: PathBuf,
}

static PACKAGE: OnceLock<Package> = OnceLock::new();

/// Records that gilsim runs as the Python package; called once by the native module.
pub fn enter_package(package: Package) {
    let _ = PACKAGE.set(package);
}

/// The hosting interpreter when gilsim runs as the Python package; `None` in the binary.
pub fn package() -> Option<&'static Package> {
    PACKAGE.get()
}

/// The Python executable gilsim runs: the binary's configured build or the package's host.
pub fn python() -> PathBuf {
    package().map_or_else(|| PathBuf::from(CONFIGURED_PYTHON), |p| p.python.clone())
}

/// The version of that interpreter, e.g. `3.11.7`.
pub fn version() -> String {
    package().map_or_else(|| CONFIGURED_VERSION.to_string(), |p| p.version.clone())
}

/// That interpreter's `sys.base_prefix`: where its build lives.
pub fn prefix() -> PathBuf {
    package().map_or_else(|| PathBuf::from(CONFIGURED_PREFIX), |p| p.prefix.clone())
}

/// A command that runs gilsim again with the arguments added after it: the binary itself, or
/// `python -m gilsim` with the hosting interpreter.
pub fn gilsim_command() -> std::io::Result<Command> {
    Ok(match package() {
        None => Command::new(std::env::current_exe()?),
        Some(package) => {
            let mut command = Command::new(&package.python);
            command.args([OsString::from("-m"), OsString::from("gilsim")]);
            command
        }
    })
}

/// How gilsim was installed, in words for `doctor`.
pub fn install_kind() -> String {
    match package() {
        None => "the cargo-built binary, embedding the CPython it was built against".into(),
        Some(p) => format!(
            "the Python package ({}), hosted by the interpreter that imported it",
            p.location.display()
        ),
    }
}
