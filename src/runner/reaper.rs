//! Making sure no process a job started survives it, even one that left the worker's process
//! group (`setsid`) or was orphaned when its parent died: gilsim is the child subreaper for
//! everything below it, so every orphan becomes its child, which it kills and reaps.
use std::time::{Duration, Instant};

/// Orphaned descendants are re-parented to this process instead of init (idempotent).
pub fn become_subreaper() {
    // SAFETY: plain prctl on the calling process.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
}

/// Kills and reaps every remaining child of this process. Called after a worker has ended,
/// when gilsim has no other children of its own.
pub fn kill_and_reap_children() {
    let deadline = Instant::now() + Duration::from_secs(5);
    let me = std::process::id() as i32;
    loop {
        for pid in children_of(me) {
            // SAFETY: plain syscall on a pid we just saw as our child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        // Reap whatever has died; ECHILD means nothing is left.
        loop {
            // SAFETY: non-blocking wait for any child.
            let pid = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
            if pid > 0 {
                continue;
            }
            if pid < 0 {
                return;
            }
            break;
        }
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Pids whose parent is `parent`, from /proc/<pid>/stat.
pub fn children_of(parent: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent))
        .collect()
}

fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parent_pid() {
        let me = std::process::id() as i32;
        let parent = unsafe { libc::getppid() };
        assert_eq!(parent_of(me), Some(parent));
    }
}
