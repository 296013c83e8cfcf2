//! `gilsim interpreters`: the Pythons on the machine, the embedded one among them.
mod common;
use common::*;

/// The interpreter this gilsim embeds, as `doctor` names it.
fn embedded() -> String {
    stdout(&run(&["doctor"]))
        .lines()
        .find_map(|l| l.strip_prefix("sys.executable"))
        .map(|s| s.trim().to_string())
        .expect("doctor names sys.executable")
}

#[test]
fn the_embedded_python_is_listed_with_its_gil() {
    let python = embedded();
    let doc = json(&run(&[
        "interpreters",
        "--python",
        &python,
        "--format",
        "json",
    ]));
    let real = std::fs::canonicalize(&python)
        .unwrap()
        .display()
        .to_string();
    let found = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["real_path"] == real.as_str())
        .unwrap_or_else(|| panic!("{python} is not listed: {doc}"));
    assert_eq!(found["gil"], "new");
    assert_eq!(found["shared"], true);
    let version = found["version"].as_str().unwrap();
    assert!(
        version.starts_with(found["name"].as_str().unwrap()),
        "{found}"
    );
    assert!(doc["verdict"].as_str().unwrap().contains("gilsim embeds"));
}

#[test]
fn something_that_is_not_python_is_named_and_fails() {
    let out = run(&words("interpreters --python /bin/true --format json"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/bin/true"), "{}", stderr(&out));
}
