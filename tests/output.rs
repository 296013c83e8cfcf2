//! Every command's reports: CSV header and rows agree, Markdown tables are well-formed, default
//! tables fit a 100-column terminal, and nothing is written where the user did not ask.
mod common;
use common::*;

/// Each command with small inputs, as a user would call it.
const COMMANDS: &[&str] = &[
    "countdown --count 200000 --repeat 1 --warmup 0 --threads 1,2,4",
    "pool --items 16 --workers 2 --start-method fork --repeat 1 --warmup 0",
    "queue --messages 3 --interval 0 --start-method fork",
    "share --size 1000 --start-method fork",
    "simulate --threads 8",
    "simulate --validate --threads 1,2 --switch-interval 0.005 --count 200000 --repeat 1 --budget 3",
    "convoy --cpu-threads 0,1 --switch-interval 0.005 --duration 0.2",
];

/// Runs a command in an empty working directory with an empty cache variable; checks that the
/// directory stays empty.
fn run_in_empty_dir(args: &[&str]) -> std::process::Output {
    let cwd = tempfile::tempdir().unwrap();
    let out = gilsim()
        .args(args)
        .current_dir(cwd.path())
        .env("XDG_CACHE_HOME", "")
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "gilsim {args:?} wrote into the working directory: {left:?}"
    );
    out
}

#[test]
fn every_command_renders_consistent_reports() {
    let files = tempfile::tempdir().unwrap();
    for (i, line) in COMMANDS.iter().enumerate() {
        let args = &words(line)[..];
        // The table on stdout, CSV into a file (by its extension), then Markdown on stdout.
        let csv_path = files.path().join(format!("report{i}.csv"));
        let mut with_csv = args.to_vec();
        with_csv.extend(["--output", csv_path.to_str().unwrap()]);
        let out = run_in_empty_dir(&with_csv);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        for line in stdout(&out).lines() {
            assert!(
                line.chars().count() <= 100,
                "{args:?}: a line wider than 100 columns ({}): {line}",
                line.chars().count()
            );
        }
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&csv_path).unwrap().permissions(),
        );
        assert_eq!(
            mode & 0o044,
            0o044,
            "{args:?}: a report others cannot read ({mode:o})"
        );

        let csv_text = std::fs::read(&csv_path).unwrap();
        let mut reader = csv::Reader::from_reader(csv_text.as_slice());
        let headers = reader.headers().expect("a CSV header").clone();
        // The csv reader already refuses rows of another length: what is left to check is
        // that the header names distinct columns and that the rows carry values.
        let mut names: Vec<&str> = headers.iter().collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), headers.len(), "{args:?}: a column named twice");
        let mut rows = 0;
        for record in reader.records() {
            let record = record.unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(
                record.iter().any(|cell| !cell.is_empty()),
                "{args:?}: an empty row"
            );
            rows += 1;
        }
        assert!(rows > 0, "{args:?}: no CSV rows");

        let mut with_markdown = args.to_vec();
        with_markdown.extend(["--format", "markdown"]);
        let markdown = stdout(&run_in_empty_dir(&with_markdown));
        let table: Vec<&str> = markdown.lines().filter(|l| l.starts_with('|')).collect();
        assert!(table.len() >= 3, "{args:?}: no Markdown table: {markdown}");
        let pipes = |l: &str| l.matches('|').count() - l.matches("\\|").count();
        assert!(
            table[1].contains("---"),
            "{args:?}: no separator line: {markdown}"
        );
        for line in &table {
            assert_eq!(
                pipes(line),
                pipes(table[0]),
                "{args:?}: ragged Markdown: {line}"
            );
        }
    }
}

#[test]
fn usage_errors_exit_2_and_missing_directories_are_not_made() {
    let dir = tempfile::Builder::new()
        .prefix("gilsim-test")
        .tempdir()
        .unwrap();
    let missing = dir.path().join("missing");
    for args in [
        vec!["timeline"],
        vec!["simulate", "--threads", "1,2"],
        vec!["countdown", "--threads", "0"],
        words("timeline --scenario countdown --count 100000 --at 1000"),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let first = stderr(&out).lines().next().unwrap_or_default().to_string();
        assert!(
            first.starts_with("gilsim: ") || first.starts_with("error: "),
            "{args:?}: {first}"
        );
    }
    let target = missing.join("x");
    for args in [
        words("simulate --threads 2 --svg"),
        words("simulate --threads 2 --output"),
        vec!["calibrate", "--output"],
    ] {
        let mut args = args.clone();
        args.push(target.to_str().unwrap());
        let out = run(&args);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("is not a directory") && !err.contains(".tmp"),
            "{args:?}: {err}"
        );
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
}

/// A reader that leaves early (`gilsim … | head`) ends gilsim by SIGPIPE, as it ends `cat`:
/// no panic, no traceback.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = gilsim()
        .args(["man"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("gilsim runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("gilsim ends");
    assert!(
        out.status.signal() == Some(libc::SIGPIPE) || out.status.success(),
        "{:?}: {}",
        out.status,
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}
