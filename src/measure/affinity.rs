//! Running a trial on fewer CPUs: `sched_setaffinity` to the first N CPUs this process may use.
//! Children inherit the mask, so setting it in a worker (or before exec) covers the whole trial.
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;

/// The calling thread (pid 0 to the kernel).
const THIS_THREAD: Pid = Pid::from_raw(0);

/// Restricts the calling thread (and what it starts from now on) to `n` of the allowed CPUs.
/// Async-signal-safe (a `pre_exec` hook may call it): two system calls, no allocation.
pub fn limit_to(n: usize) -> std::io::Result<()> {
    let allowed = sched_getaffinity(THIS_THREAD)?;
    let mut wanted = CpuSet::new();
    let mut taken = 0;
    for cpu in 0..CpuSet::count() {
        if taken == n {
            break;
        }
        if allowed.is_set(cpu)? {
            wanted.set(cpu)?;
            taken += 1;
        }
    }
    sched_setaffinity(THIS_THREAD, &wanted)?;
    Ok(())
}

/// The CPUs the calling thread may run on.
pub fn allowed() -> std::io::Result<Vec<usize>> {
    let set = sched_getaffinity(THIS_THREAD)?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect())
}

/// Restricts the calling thread to exactly `cpus`.
pub fn pin(cpus: &[usize]) -> std::io::Result<()> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu)?;
    }
    sched_setaffinity(THIS_THREAD, &set)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_thread_runs_on_that_cpu() {
        std::thread::spawn(|| {
            let cpus = allowed().unwrap();
            assert!(!cpus.is_empty());
            for &cpu in &cpus {
                pin(&[cpu]).unwrap();
                let now = nix::sched::sched_getcpu().unwrap();
                assert_eq!(now, cpu, "pinned to {cpu}");
                assert_eq!(allowed().unwrap(), vec![cpu]);
            }
        })
        .join()
        .unwrap();
    }
}
