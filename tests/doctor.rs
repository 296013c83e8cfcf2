//! The embedded interpreter is the configured one, and its children are too.
mod common;
use common::*;

fn doctor_value(text: &str, key: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("doctor prints no {key}: {text}"))[key.len()..]
        .trim()
        .to_string()
}

#[test]
fn doctor_shows_one_consistent_interpreter() {
    let out = run(&["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let embedded = doctor_value(&text, "embedded sys.version");
    let configured = doctor_value(&text, "configured at build");
    let embedded_version = embedded.split_whitespace().next().unwrap();
    let configured_version = configured.split_whitespace().next().unwrap();
    assert_eq!(embedded_version, configured_version);
    let mapped = doctor_value(&text, "libpython (mapped)");
    assert!(mapped.contains("libpython"), "{mapped}");
    assert_eq!(mapped, doctor_value(&text, "libpython (stdlib's)"));
    for key in ["sys.prefix", "CPUs", "start methods", "switch interval"] {
        doctor_value(&text, key);
    }
}

#[test]
fn the_configured_python_and_the_embedded_one_agree() {
    let text = stdout(&run(&["doctor"]));
    // The interpreter the build was configured with, run directly.
    let configured = doctor_value(&text, "configured at build");
    let exe = configured
        .split('(')
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("configured executable");
    let direct = std::process::Command::new(exe)
        .args(["-c", "import sys; print(sys.version)"])
        .output()
        .expect("the configured python runs");
    let embedded = run(&["-c", "import sys; print(sys.version)"]);
    assert_eq!(stdout(&embedded), stdout(&direct));
}
