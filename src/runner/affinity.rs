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
