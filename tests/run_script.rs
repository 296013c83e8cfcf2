//! `gilsim run`: scripts run unmodified as __main__, with Python's exit codes and tracebacks,
//! and nothing left running afterwards.
mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn passes_output_argv_and_file_through() {
    let s = script(
        "hello.py",
        "import sys\nprint('hello', sys.argv[1:], __file__ == sys.argv[0], __name__)\n",
    );
    let out = run(&["run", s.path_str(), "--", "a", "-c", "b"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "hello ['a', '-c', 'b'] True __main__\n");
    let footer = stderr(&out);
    for part in [
        "wall",
        "CPU",
        "CPU/wall",
        "voluntary",
        "involuntary",
        "threads seen 1",
        "GIL hand-offs 0",
    ] {
        assert!(footer.contains(part), "footer lacks {part}: {footer}");
    }
}

#[test]
fn everything_after_the_script_belongs_to_it() {
    let s = script("argv.py", "import sys\nprint(sys.argv[1:])\n");
    let out = run(&[
        "run",
        "--no-footer",
        s.path_str(),
        "a",
        "--timeout",
        "-x",
        "b",
    ]);
    assert_success(&out);
    assert_eq!(stdout(&out), "['a', '--timeout', '-x', 'b']\n");
}

#[test]
fn a_traceback_many_workers_share_is_printed_once() {
    // The study note's pool script has no main guard: under spawn every worker dies the same way.
    let out = gilsim()
        .args([
            "run",
            "--no-footer",
            "--start-method",
            "spawn",
            &seed("pool_return_values.py"),
        ])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(
        err.matches("An attempt has been made to start a new process")
            .count(),
        1,
        "{err}"
    );
    let more = err
        .lines()
        .find_map(|l| l.strip_prefix("gilsim: … and "))
        .unwrap_or_else(|| panic!("no repeated-failure line: {err}"));
    let n: u64 = more.split(' ').next().unwrap().parse().unwrap();
    assert!(n >= 1, "{more}");
    assert!(err.contains("pool workers keep dying"), "{err}");
}

#[test]
fn sys_exit_code_becomes_the_exit_code() {
    let s = script("exit.py", "import sys\nsys.exit(3)\n");
    assert_eq!(run(&["run", s.path_str()]).status.code(), Some(3));
    let s = script("exit_msg.py", "import sys\nsys.exit('bye')\n");
    let out = run(&["run", "--no-footer", s.path_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "bye\n");
}

#[test]
fn uncaught_exception_prints_traceback_and_exits_1() {
    let s = script("boom.py", "def f():\n    raise ValueError('boom')\nf()\n");
    let out = run(&["run", "--no-footer", s.path_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("Traceback (most recent call last):"),
        "{err}"
    );
    assert!(err.contains("line 2, in f"), "{err}");
    assert!(err.trim_end().ends_with("ValueError: boom"), "{err}");
    assert!(!err.contains("runpy"), "gilsim's own frames leak: {err}");
}

#[test]
fn syntax_error_is_reported_like_python() {
    let s = script("bad.py", "x = (\n");
    let out = run(&["run", "--no-footer", s.path_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("SyntaxError"), "{err}");
    assert!(err.contains("bad.py\", line 1"), "{err}");
}

#[test]
fn missing_script_and_directory_are_clear_errors() {
    let out = run(&["run", "/nonexistent/nothing.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "gilsim: cannot run /nonexistent/nothing.py: no such file\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["run", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
}

#[test]
fn joins_threads_and_runs_atexit_before_exiting() {
    let s = script("atexit_t.py", ATEXIT);
    let out = run(&["run", s.path_str()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "main done\nthread done\natexit ran\n");
    assert!(stderr(&out).contains("threads seen 2"), "{}", stderr(&out));
}

const ENDLESS: &str = r#"
import multiprocessing as mp, os, time

def sleeper():
    time.sleep(1000)

if __name__ == '__main__':
    p = mp.get_context('fork').Process(target=sleeper)
    p.start()
    with open(os.path.join(os.path.dirname(__file__), 'pids'), 'w') as f:
        f.write(f'{os.getpid()} {p.pid}')
    while True:
        pass
"#;

const START_METHODS: &str = r#"
import multiprocessing as mp, sys

def f(x):
    return x * x

def version(_):
    return sys.version

if __name__ == '__main__':
    for m in ('spawn', 'forkserver', 'fork'):
        with mp.get_context(m).Pool(2) as p:
            assert p.map(f, range(5)) == [0, 1, 4, 9, 16]
            assert p.map(version, [0]) == [sys.version], m
        print(m, 'ok')
"#;

const ATEXIT: &str = r#"
import atexit, threading, time
atexit.register(lambda: print('atexit ran', flush=True))

def w():
    time.sleep(0.3)
    print('thread done', flush=True)

threading.Thread(target=w).start()
print('main done', flush=True)
"#;

#[test]
fn timeout_kills_the_script_and_its_children() {
    let s = script("endless.py", ENDLESS);
    let start = Instant::now();
    let out = run(&["run", "--timeout", "2", s.path_str()]);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(124));
    let err = stderr(&out);
    assert!(err.contains("timed out after 2 s (--timeout 2)"), "{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_all_ended(&s.file("pids"));
}

#[test]
fn interrupt_kills_the_script_and_its_children() {
    let s = script("endless.py", ENDLESS);
    let mut child = gilsim()
        .args(["run", s.path_str()])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&s.file("pids"), Duration::from_secs(20));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_all_ended(&s.file("pids"));
}

#[test]
fn scripts_can_use_every_start_method() {
    let s = script("methods.py", START_METHODS);
    let out = run(&["run", "--timeout", "120", s.path_str()]);
    assert_success(&out);
    assert_eq!(stdout(&out), "spawn ok\nforkserver ok\nfork ok\n");
    assert!(!stderr(&out).contains("leaked"), "{}", stderr(&out));
}

#[test]
fn the_seed_countdown_scripts_run_unmodified() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = run(&["run", &format!("{root}/python/seed/countdown_single.py")]);
    assert_success(&out);
    assert!(stdout(&out).starts_with("Time taken in seconds - "));
}

#[test]
fn footer_counts_the_gils_hand_offs() {
    let s = script(
        "two.py",
        "import threading\ndef c(n):\n    while n > 0:\n        n -= 1\nts = [threading.Thread(target=c, args=(3_000_000,)) for _ in range(2)]\nfor t in ts: t.start()\nfor t in ts: t.join()\n",
    );
    let out = run(&["run", s.path_str()]);
    assert_success(&out);
    let footer = stderr(&out);
    let n: u64 = footer
        .rsplit("GIL hand-offs ")
        .next()
        .and_then(|t| t.trim().replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no hand-off count in {footer}"));
    // Two CPU-bound threads for ~0.1 s at a 5 ms switch interval hand off many times.
    assert!(n > 4, "{footer}");
}

#[test]
fn another_interpreter_runs_the_script_measured_from_outside() {
    let python = embedded_executable();
    let s = script(
        "other.py",
        "import sys, threading, atexit\n\
         print('hello', sys.argv[1:], __file__ == sys.argv[0], __name__)\n\
         def c(n):\n    while n > 0:\n        n -= 1\n\
         atexit.register(lambda: print('atexit ran'))\n\
         ts = [threading.Thread(target=c, args=(3_000_000,)) for _ in range(2)]\n\
         for t in ts: t.start()\n\
         sys.exit(3)\n",
    );
    let out = run(&["run", "--python", &python, s.path_str(), "a", "-c"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // The threads still running at sys.exit are joined, then atexit runs, as under python.
    assert_eq!(
        stdout(&out),
        "hello ['a', '-c'] True __main__\natexit ran\n"
    );
    let footer = stderr(&out);
    let n: u64 = footer
        .split("GIL hand-offs ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|t| t.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no hand-off count in {footer}"));
    assert!(n >= 5, "{footer}");
    assert!(footer.contains("threads seen 3"), "{footer}");
    assert!(footer.contains("── Python 3."), "{footer}");
}

#[test]
fn another_interpreter_is_timed_out_with_its_children() {
    let python = embedded_executable();
    let s = script("endless.py", ENDLESS);
    let out = run(&["run", "--python", &python, "--timeout", "2", s.path_str()]);
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    assert_all_ended(&s.file("pids"));
}

#[test]
fn an_unknown_interpreter_is_a_usage_error() {
    let s = script("hello.py", "print('hello')\n");
    let out = run(&["run", "--python", "1.9", s.path_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}
