//! Running a trial on fewer CPUs: `sched_setaffinity` to the first N CPUs this process may use.
//! Children inherit the mask, so setting it in a worker (or before exec) covers the whole trial.

/// Restricts the calling thread (and what it starts from now on) to `n` of the allowed CPUs.
pub fn limit_to(n: usize) -> std::io::Result<()> {
    // SAFETY: plain syscalls on a local, zero-initialised cpu_set_t.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut allowed) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut wanted: libc::cpu_set_t = std::mem::zeroed();
        let mut taken = 0;
        for cpu in 0..libc::CPU_SETSIZE as usize {
            if taken == n {
                break;
            }
            if libc::CPU_ISSET(cpu, &allowed) {
                libc::CPU_SET(cpu, &mut wanted);
                taken += 1;
            }
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &wanted) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The CPUs the calling thread may run on.
pub fn allowed() -> std::io::Result<Vec<usize>> {
    // SAFETY: sched_getaffinity writes only into the zeroed cpu_set_t we own.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect())
    }
}

/// Restricts the calling thread to exactly `cpus`.
pub fn pin(cpus: &[usize]) -> std::io::Result<()> {
    // SAFETY: CPU_SET on a zeroed cpu_set_t we own, then a plain syscall reading it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
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
                // SAFETY: sched_getcpu only reads the calling thread's CPU.
                let now = unsafe { libc::sched_getcpu() };
                assert_eq!(now, cpu as i32, "pinned to {cpu}");
                assert_eq!(allowed().unwrap(), vec![cpu]);
            }
        })
        .join()
        .unwrap();
    }
}
