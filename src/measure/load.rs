//! The machine's other load during a measurement: the CPU time every process used (from
//! `/proc/stat`) less gilsim's own process tree, and the time the hypervisor stole, each over
//! the window's wall time, in CPUs.
use super::rusage::Usage;
use procfs::CurrentSI;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What else the machine did while a trial ran, in CPUs (1.0: one CPU busy all the time).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtherLoad {
    /// CPU time of processes other than gilsim and its children, per second of wall time.
    pub other_cpus: f64,
    /// CPU time the hypervisor gave to others while this guest wanted it (`steal`).
    pub steal_cpus: f64,
}

/// A window open on the machine's CPU counters; close it after the trial's processes have
/// been waited for, so that their CPU time counts as gilsim's own.
pub struct LoadWindow {
    start: Instant,
    busy_s: f64,
    steal_s: f64,
    own_s: f64,
}

/// All CPUs' busy and stolen seconds since boot.
fn counters() -> Option<(f64, f64)> {
    let stat = procfs::KernelStats::current().ok()?;
    let per_second = procfs::ticks_per_second() as f64;
    let t = &stat.total;
    let busy = t.user + t.nice + t.system + t.irq.unwrap_or(0) + t.softirq.unwrap_or(0);
    Some((
        busy as f64 / per_second,
        t.steal.unwrap_or(0) as f64 / per_second,
    ))
}

impl LoadWindow {
    pub fn open() -> Option<LoadWindow> {
        let (busy_s, steal_s) = counters()?;
        Some(LoadWindow {
            start: Instant::now(),
            busy_s,
            steal_s,
            own_s: Usage::process_tree().cpu_s(),
        })
    }

    /// The other load since `open`; None for a window too short to say anything (the
    /// counters tick 100 times a second).
    pub fn close(self) -> Option<OtherLoad> {
        let wall = self.start.elapsed().as_secs_f64();
        let (busy_s, steal_s) = counters()?;
        if wall < 0.05 {
            return None;
        }
        let own = Usage::process_tree().cpu_s() - self.own_s;
        Some(OtherLoad {
            other_cpus: ((busy_s - self.busy_s - own) / wall).max(0.0),
            steal_cpus: ((steal_s - self.steal_s) / wall).max(0.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_process_outside_gilsim_is_other_load_and_gilsim_itself_is_not() {
        // gilsim's own busy loop is not other load.
        let window = LoadWindow::open().expect("/proc/stat");
        let end = Instant::now() + std::time::Duration::from_millis(400);
        let mut x = 0u64;
        while Instant::now() < end {
            x = x.wrapping_add(1);
        }
        std::hint::black_box(x);
        let own = window.close().unwrap();
        // Another process spinning is (it is not a child that gilsim waits for in the window).
        let mut spinner = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let window = LoadWindow::open().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(600));
        let other = window.close().unwrap();
        spinner.kill().unwrap();
        spinner.wait().unwrap();
        assert!(
            other.other_cpus > own.other_cpus + 0.5,
            "a spinning process: {other:?}; gilsim spinning: {own:?}"
        );
        assert!(other.other_cpus < 1.5, "{other:?}");
    }
}
