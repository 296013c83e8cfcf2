//! Making sure no process a job started survives it, even one that left the worker's process
//! group (`setsid`) or was orphaned when its parent died: gilsim is the child subreaper for
//! everything below it, so every orphan becomes its child, which it kills and reaps.
use std::time::{Duration, Instant};

/// Orphaned descendants are re-parented to this process instead of init (idempotent).
pub fn become_subreaper() {
    let _ = nix::sys::prctl::set_child_subreaper(true);
}

/// Kills and reaps every remaining child of this process. Called after a worker has ended,
/// when gilsim has no other children of its own.
pub fn kill_and_reap_children() {
    let deadline = Instant::now() + Duration::from_secs(5);
    let me = std::process::id() as i32;
    loop {
        for pid in children_of(me) {
            super::signals::send(pid, super::signals::Signal::SIGKILL);
        }
        // Reap whatever has died; ECHILD means nothing is left.
        loop {
            use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => break,
                Ok(_) => continue,
                Err(_) => return,
            }
        }
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Pids whose parent is `parent`, from /proc/<pid>/stat.
pub fn children_of(parent: i32) -> Vec<i32> {
    let Ok(processes) = procfs::process::all_processes() else {
        return Vec::new();
    };
    processes
        .flatten()
        .filter(|p| p.stat().is_ok_and(|s| s.ppid == parent))
        .map(|p| p.pid())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_listed_under_its_parent_until_reaped() {
        let me = std::process::id() as i32;
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        assert!(children_of(me).contains(&pid));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!children_of(me).contains(&pid));
    }
}
