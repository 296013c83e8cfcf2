//! The gilsim binary standing in for `python` itself.
//!
//! multiprocessing's spawn and forkserver start methods and its resource tracker run
//! `EXECUTABLE [interpreter flags] -c CODE [...]`. Pointing EXECUTABLE at gilsim and answering
//! such command lines with CPython's own `Py_BytesMain` means the child is exactly the
//! embedded interpreter, whatever `python3` is on PATH (embedding.md rule 4). Any `-c` code is
//! handled, not a list of known strings, since CPython changes those between releases.
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;

/// gilsim's own command line never uses `-c`; a Python one starts with a flag and has `-c`.
pub fn is_python_command_line(args: &[OsString]) -> bool {
    args.get(1)
        .is_some_and(|first| first.as_bytes().starts_with(b"-") && first != "--help")
        && args.iter().skip(1).any(|a| a == "-c")
}

/// Set by `gilsim run`: a directory where child processes record the tracebacks they die with,
/// so that a traceback many workers share is printed once (see `CHILD_HOOK`).
pub const TRACEBACKS_ENV: &str = "GILSIM_TRACEBACKS";

/// Put before a child's `-c` code when `TRACEBACKS_ENV` is set: the first child to die with a
/// given traceback prints it; the others only count themselves in `<hash>.more`.
const CHILD_HOOK: &str = include_str!("../../python/drivers/child_hook.py");

/// Runs CPython's main with these arguments and exits with its status.
pub fn main(args: &[OsString]) -> ! {
    let hook = std::env::var_os(TRACEBACKS_ENV).is_some_and(|d| !d.is_empty());
    let mut after_c = false;
    let owned: Vec<CString> = args
        .iter()
        .map(|a| {
            let bytes = if std::mem::replace(&mut after_c, a == "-c") && hook {
                [CHILD_HOOK.as_bytes(), a.as_bytes()].concat()
            } else {
                a.as_bytes().to_vec()
            };
            CString::new(bytes).expect("command-line arguments hold no NUL byte")
        })
        .collect();
    let mut argv: Vec<*mut libc::c_char> = owned.iter().map(|a| a.as_ptr() as *mut _).collect();
    argv.push(std::ptr::null_mut());
    // SAFETY: argv is a NULL-terminated array of valid C strings that outlives the call.
    let status = unsafe { pyo3::ffi::Py_BytesMain(owned.len() as libc::c_int, argv.as_mut_ptr()) };
    std::process::exit(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn recognises_multiprocessing_command_lines() {
        assert!(is_python_command_line(&args(&[
            "gilsim",
            "-c",
            "from multiprocessing.spawn import spawn_main; spawn_main()",
            "--multiprocessing-fork"
        ])));
        assert!(is_python_command_line(&args(&[
            "gilsim", "-B", "-s", "-c", "pass"
        ])));
        assert!(!is_python_command_line(&args(&["gilsim", "countdown"])));
        assert!(!is_python_command_line(&args(&[
            "gilsim", "run", "x.py", "--", "-c"
        ])));
        assert!(!is_python_command_line(&args(&["gilsim"])));
    }
}
