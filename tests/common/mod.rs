//! Helpers shared by the integration tests: the real gilsim binary, scripts in a temporary
//! directory, and checks that no process outlived a command.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn gilsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gilsim"))
}

/// A command line's words: `words("countdown --repeat 1")`.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

pub fn run(args: &[&str]) -> Output {
    gilsim().args(args).output().expect("gilsim runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that a command exited 0, showing its stderr otherwise.
pub fn assert_success(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
}

/// A successful command's stdout as JSON.
pub fn json(out: &Output) -> serde_json::Value {
    assert_success(out);
    report_json(out)
}

/// A command's stdout as JSON, whatever its exit code (a report with failed rows exits 1).
pub fn report_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

/// Tests that measure timings, parallelism or hand-off rates must not run beside each other
/// on a machine with few cores: each holds this for its duration (one lock per test binary).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary directory holding one script.
pub struct Script {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn script(name: &str, code: &str) -> Script {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, code).expect("write script");
    Script { dir, path }
}

impl Script {
    pub fn path_str(&self) -> &str {
        self.path.to_str().expect("utf-8 path")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Whether `pid` is a live process (a zombie counts as ended).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 2..].chars().next();
            state != Some('Z')
        }
        Err(_) => false,
    }
}

/// Reads the pids a test script wrote (whitespace separated) and asserts every one has ended
/// (with a short grace for the kernel to finish tearing them down).
pub fn assert_all_ended(pid_file: &Path) {
    let text = std::fs::read_to_string(pid_file).expect("the script wrote its pids");
    let pids: Vec<i32> = text
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(!pids.is_empty());
    let deadline = Instant::now() + Duration::from_secs(2);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<i32> = pids.into_iter().filter(|p| alive(*p)).collect();
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// Waits for a file to appear (a script signalling it got going).
pub fn wait_for(path: &Path, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs gilsim with a unique tag in its environment, which every process it starts inherits,
/// so the test can later look for survivors among all processes on the machine.
pub fn run_tagged(args: &[&str]) -> (Output, String) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let tag = format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let out = gilsim()
        .args(args)
        .env("GILSIM_TEST_TAG", &tag)
        .output()
        .expect("gilsim runs");
    (out, tag)
}

/// Live processes whose environment carries `tag`.
pub fn tagged_processes(tag: &str) -> Vec<i32> {
    let needle = format!("GILSIM_TEST_TAG={tag}\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
        .filter(|pid| alive(*pid))
        .collect()
}

pub fn assert_none_left(tag: &str) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !tagged_processes(tag).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = tagged_processes(tag);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

pub fn seed(name: &str) -> String {
    format!("{}/python/seed/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The embedded build's executable, as `doctor` names it (present wherever gilsim runs).
pub fn embedded_executable() -> String {
    stdout(&run(&["doctor"]))
        .lines()
        .find_map(|l| l.strip_prefix("sys.executable"))
        .map(|rest| rest.trim().to_string())
        .expect("doctor names sys.executable")
}

/// Reaps `child` as soon as it exits, as its parent would, on a thread of its own.
pub fn reap_in_background(
    mut child: std::process::Child,
) -> std::thread::JoinHandle<std::process::ExitStatus> {
    std::thread::spawn(move || child.wait().unwrap())
}

/// Starts `command` with its stdout piped and returns it once it has printed "ready".
pub fn start_ready(command: &mut Command) -> std::process::Child {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the program starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready", "{command:?} started");
    child
}

/// Checks a row's exact hand-off count against the kernel's count of its threads' voluntary
/// context switches. Each hand-off blocks a thread at least once (the old holder waits for its
/// turn) and at most five times: the old holder waits for the new one to take the GIL, then on
/// the condition variable; the new holder's timed wait ran out once before it asked for the
/// drop and it waited again; either may block once on the GIL's mutex. `slack` covers the
/// threads' other waits.
pub fn assert_hand_offs_match_context_switches(row: &serde_json::Value, slack: f64) {
    let switches = row["gil"]["switches"].as_f64().unwrap();
    let voluntary: f64 = row["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["voluntary"].as_f64().unwrap())
        .sum();
    assert!(
        (0.95 * switches..=5.0 * switches + slack).contains(&voluntary),
        "{voluntary} voluntary context switches for {switches} hand-offs: {row}"
    );
}

/// The innermost frame of a JSON stack (`frames`, outermost first).
pub fn leaf_frame(frames: &serde_json::Value) -> String {
    frames
        .as_array()
        .and_then(|f| f.last())
        .and_then(|f| f.as_str())
        .unwrap_or_default()
        .to_string()
}
