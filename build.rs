//! Pins the embedded interpreter: an rpath to the configured libpython (so the binary cannot
//! silently load another libpython of the same soname, see embedding.md rule 2) and the
//! configured interpreter's exact version baked in for `gilsim doctor` to check against.
use std::process::Command;

fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
    let config = pyo3_build_config::get();
    let executable = config.executable().unwrap_or("").to_string();
    let lib_dir = config.lib_dir().unwrap_or("").to_string();
    let lib_name = config.lib_name().unwrap_or("").to_string();
    // pyo3's config knows only X.Y; the micro version is what tells 3.11.2 from 3.11.7. The
    // base prefix is the build's home: the embedded interpreter starts from it, whatever PATH
    // or an activated virtual environment says.
    let (full_version, prefix) = if executable.is_empty() {
        (config.version().to_string(), String::new())
    } else {
        Command::new(&executable)
            .args([
                "-c",
                "import platform, sys; print(platform.python_version()); print(sys.base_prefix)",
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                let text = String::from_utf8_lossy(&o.stdout).into_owned();
                let mut lines = text.lines();
                Some((lines.next()?.to_string(), lines.next()?.to_string()))
            })
            .unwrap_or_else(|| (config.version().to_string(), String::new()))
    };
    println!("cargo:rustc-env=GILSIM_CONFIGURED_PYTHON={executable}");
    println!("cargo:rustc-env=GILSIM_CONFIGURED_VERSION={full_version}");
    println!("cargo:rustc-env=GILSIM_CONFIGURED_PREFIX={prefix}");
    println!("cargo:rustc-env=GILSIM_CONFIGURED_LIBDIR={lib_dir}");
    println!("cargo:rustc-env=GILSIM_CONFIGURED_LIBNAME={lib_name}");
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=PYO3_CONFIG_FILE");
}
