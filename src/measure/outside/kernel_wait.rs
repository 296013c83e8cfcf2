//! What a thread of another process is blocked in, as the kernel reports it in
//! `/proc/PID/task/TID/syscall`: "running" (on a CPU or runnable), or the system call it sleeps
//! in with its arguments. A thread asleep in `futex` on an address inside the GIL's state waits
//! for the GIL (its condition variable or mutex); asleep anywhere else, it is idle.

/// A thread's system-call state at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelWait {
    /// On a CPU or waiting for one: not blocked.
    Running,
    /// Asleep in `futex` on this user address.
    Futex(u64),
    /// Asleep in another system call, or blocked outside one.
    Elsewhere,
}

/// The state of thread `tid` of process `pid`; None once the thread is gone or unreadable.
/// Read for every thread at every sample: one small file by path, with no directory handles
/// as procfs's `Task` keeps.
pub fn read(pid: i32, tid: u64) -> Option<KernelWait> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall")).ok()?;
    parse(&text)
}

fn parse(text: &str) -> Option<KernelWait> {
    let mut words = text.split_whitespace();
    let first = words.next()?;
    if first == "running" {
        return Some(KernelWait::Running);
    }
    if first.parse::<i64>().ok()? != libc::SYS_futex {
        return Some(KernelWait::Elsewhere);
    }
    let address = words.next()?.trim_start_matches("0x");
    Some(KernelWait::Futex(u64::from_str_radix(address, 16).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_lines_are_read_as_states() {
        assert_eq!(parse("running\n"), Some(KernelWait::Running));
        let futex = format!(
            "{} 0x7f1c2a0 0x189 0x0 0x0 0x0 0xffffffff 0x7ffd 0x7f12\n",
            libc::SYS_futex
        );
        assert_eq!(parse(&futex), Some(KernelWait::Futex(0x7f1c2a0)));
        let other = if libc::SYS_futex == 0 { 1 } else { 0 };
        assert_eq!(
            parse(&format!(
                "{other} 0x3 0x7f 0x400 0x0 0x0 0x0 0x7ffd 0x7f12\n"
            )),
            Some(KernelWait::Elsewhere)
        );
        assert_eq!(parse("-1 0x7ffd 0x7f12\n"), Some(KernelWait::Elsewhere));
        assert_eq!(parse(""), None);
    }

    #[test]
    fn a_sleeping_and_a_spinning_thread_are_told_apart() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{mpsc, Arc, Condvar, Mutex};
        // SAFETY: gettid has no preconditions.
        let tid = || nix::unistd::gettid().as_raw() as u64;
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sent, ids) = mpsc::channel();
        let waiter = {
            let (pair, sent) = (pair.clone(), sent.clone());
            std::thread::spawn(move || {
                sent.send(tid()).unwrap();
                let (lock, cond) = &*pair;
                let mut done = lock.lock().unwrap();
                while !*done {
                    done = cond.wait(done).unwrap();
                }
            })
        };
        let spinner = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                sent.send(tid()).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        let (a, b) = (ids.recv().unwrap(), ids.recv().unwrap());
        std::thread::sleep(std::time::Duration::from_millis(100));
        let pid = std::process::id() as i32;
        let states = [read(pid, a), read(pid, b)];
        stop.store(true, Ordering::Relaxed);
        *pair.0.lock().unwrap() = true;
        pair.1.notify_all();
        waiter.join().unwrap();
        spinner.join().unwrap();
        assert!(
            states
                .iter()
                .any(|s| matches!(s, Some(KernelWait::Futex(_)))),
            "{states:?}"
        );
        assert!(states.contains(&Some(KernelWait::Running)), "{states:?}");
    }
}
