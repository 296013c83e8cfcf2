//! Profiling the GIL of a running CPython from outside: at each sample, every Python thread's
//! stack and what it does with the GIL (holds it, waits for it, runs without it, or is idle),
//! and for every waiting thread the stack of the thread holding the GIL at that moment.
//! Beside the samples, the exact figures of the same run: the GIL's hand-off count and each
//! thread's CPU time as the kernel accounts it. Read-only: the target is never stopped.
pub mod classify;
pub mod moment;
pub mod rows;
pub mod tally;
pub mod verdict;

use crate::measure::outside::kernel_wait::KernelWait;
use crate::measure::outside::parked::ParkedOn;
use crate::measure::outside::stacks::{PythonThread, Stacks};
use crate::measure::outside::{memory, GilEnabled, OutsideError, OutsideGil};
use crate::measure::tasks::{self, TaskTimes};
use crate::runner::signals;
pub use crate::scenario::spec::ProfileSpec;
pub use classify::GilUse;
use moment::{look, Holders};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tally::{Tally, ThreadCounts};

/// How often the kernel's per-thread CPU accounting is read while sampling (and once at the end).
const KERNEL_EVERY: Duration = Duration::from_millis(250);

/// How long the sampler sleeps before its second look at a thread running without the GIL.
const SECOND_LOOK_AFTER: Duration = Duration::from_micros(200);

/// One thread over the whole profile.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadProfile {
    pub tid: Option<u64>,
    pub name: String,
    /// Samples in which the thread was seen and classified.
    pub samples: u64,
    pub held_fraction: f64,
    pub waiting_fraction: f64,
    /// Running without the GIL (on a CPU or runnable, in code that released it).
    pub released_fraction: f64,
    /// On a CPU or runnable, with the GIL or without it: held + released.
    pub running_fraction: f64,
    pub idle_fraction: f64,
    /// Exact, from the kernel's accounting over the same span: on a CPU, and runnable but
    /// waiting for one (None for a thread the kernel no longer lists).
    pub cpu_fraction: Option<f64>,
    pub runqueue_fraction: Option<f64>,
}

/// One stack of one thread in one state.
#[derive(Clone, Debug, Serialize)]
pub struct StackSamples {
    pub thread: Option<u64>,
    pub thread_name: String,
    /// Outermost first, each "function file:line".
    pub frames: Vec<String>,
    pub state: GilUse,
    /// A free-threaded build: what a thread parked in the interpreter's parking lot waits for
    /// ("a list object's lock (critical section)", "a threading.Lock", …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waits_on: Option<String>,
    pub samples: u64,
}

/// A waiting thread's stack and the holder's stack at the same samples.
#[derive(Clone, Debug, Serialize)]
pub struct WaitBehind {
    pub waiter_thread: Option<u64>,
    pub waiter: Vec<String>,
    /// None when no thread held the GIL at those samples (it was between holders).
    pub holder_thread: Option<u64>,
    pub holder: Vec<String>,
    pub samples: u64,
}

/// The exact GIL figures of the same run.
#[derive(Clone, Debug, Serialize)]
pub struct GilFigures {
    /// Hand-offs counted by the GIL itself (`switch_number`).
    pub switches: u64,
    pub switches_per_s: f64,
    /// How the GIL was found: `debug-offsets` or `calibrated`.
    pub source: &'static str,
}

/// The whole profile.
#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub pid: i32,
    pub python: String,
    pub seconds: f64,
    pub rate_hz: u32,
    /// Samples taken, and samples due that were not taken (the sampler fell behind or a read
    /// failed).
    pub samples: u64,
    pub missed: u64,
    pub sampler_cpu_s: f64,
    /// The process ended while profiled: the figures cover what was seen.
    pub ended: bool,
    pub threads: Vec<ThreadProfile>,
    /// The sampled states checked against the kernel's exact accounting: the largest gap, over
    /// the threads, between the sampled share on a CPU (held + released) and the exact share
    /// on a CPU or runnable (None when no thread has both).
    pub sampled_vs_exact_max_gap: Option<f64>,
    pub stacks: Vec<StackSamples>,
    pub waits_behind: Vec<WaitBehind>,
    /// `gil` or `free-threaded`: how the interpreter was built.
    pub build: &'static str,
    /// Whether a GIL was in use at the end (`always` on a GIL build).
    pub gil_enabled: GilEnabled,
    /// None where no GIL was in use at the start or at the end (a free-threaded build
    /// without it).
    pub gil: Option<GilFigures>,
}

/// Attaches to `spec.pid` and samples until the duration ends, the process ends, or Ctrl-C.
pub fn profile(spec: &ProfileSpec) -> Result<Profile, OutsideError> {
    let pid = spec.pid;
    // `_PyRuntime` found once for both readers (py-spy names a Python too old to have one).
    let runtime = memory::runtime(pid);
    let mut stacks = Stacks::attach(pid, runtime.as_ref().ok())?;
    let gil = OutsideGil::attach_at(pid, runtime?, None)?;
    let gil_range = gil.state_range();
    let _supervising = signals::Supervising::start();
    let period = Duration::from_secs_f64(1.0 / f64::from(spec.rate_hz.max(1)));
    let cpu_before = crate::measure::clock::thread_cpu_s();
    let start = Instant::now();
    let first = gil.read()?;
    let first_enabled = gil.enabled()?;
    let first_tasks = tasks::read(pid);
    let mut last = first;
    let mut last_tasks = first_tasks.clone();
    let mut elapsed = 0.0;
    let mut tally = Tally::default();
    let (mut samples, mut missed, mut ended) = (0u64, 0u64, false);
    let mut next = start;
    let mut last_kernel = start;
    // When the kernel's accounting was last read, in seconds from the start.
    let mut tasks_t = 0.0;
    let holders = Holders::new(pid, &gil);
    if let Some(release) = &spec.release {
        // Attached: the held script starts now, so its first line is sampled.
        let _ = std::fs::write(release, b"");
    }
    let mut rng = Pcg64Mcg::seed_from_u64(u64::from(std::process::id()));
    loop {
        if signals::received().is_some() || spec.duration.is_some_and(|d| start.elapsed() >= d) {
            break;
        }
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else if now - next > period {
            missed += ((now - next).as_secs_f64() / period.as_secs_f64()) as u64;
            next = now;
        }
        // Jittered around the rate: a fixed period would alias with the GIL's own periodic
        // hand-offs (sampling at twice the switch interval sees the same holder each time).
        next += period.mul_f64(rng.random_range(0.5..1.5));
        let Some(moment) = look(&gil, &holders, pid) else {
            ended = !memory::alive(pid);
            if ended {
                break;
            }
            missed += 1;
            continue;
        };
        let threads = match stacks.sample() {
            Ok(threads) => threads,
            Err(_) if !memory::alive(pid) => {
                ended = true;
                break;
            }
            Err(_) => {
                missed += 1;
                continue;
            }
        };
        // A thread running without the GIL is looked at again once the stacks are read, after
        // the sampler has left its CPU for a moment (on a machine with few CPUs a thread the
        // GIL was handed to may be waiting for the sampler's): if it holds the GIL by then, or
        // sleeps on it, it was being handed the GIL.
        let running = threads
            .iter()
            .filter_map(|t| t.tid)
            .any(|tid| moment.waits.get(&tid) == Some(&KernelWait::Running) && !moment.holds(tid));
        let later = if running {
            std::thread::sleep(SECOND_LOOK_AFTER);
            look(&gil, &holders, pid)
        } else {
            None
        };
        let seen: Vec<(PythonThread, GilUse, Option<String>)> = threads
            .into_iter()
            .filter_map(|t| {
                let tid = t.tid?;
                let wait = *moment.waits.get(&tid)?;
                let holds = if holders.known() {
                    moment.holds(tid)
                } else {
                    t.holds_gil
                };
                let after = later
                    .as_ref()
                    .and_then(|l| Some((l.holds(tid), *l.waits.get(&tid)?)));
                let gil_use = classify::classify(holds, wait, &gil_range, after);
                // On a free-threaded build a thread asleep outside the GIL may be parked inside
                // the interpreter; a threading.Lock's wait stays idle, named apart.
                let parked = match gil_use {
                    GilUse::Idle => moment.parked.get(&tid).cloned(),
                    _ => None,
                };
                let gil_use = match parked {
                    Some(ParkedOn::ThreadingLock) | None => gil_use,
                    Some(_) => GilUse::Waiting,
                };
                Some((t, gil_use, parked.map(|p| p.words())))
            })
            .collect();
        samples += 1;
        tally.add(&seen);
        last = moment.gil;
        elapsed = start.elapsed().as_secs_f64();
        if last_kernel.elapsed() >= KERNEL_EVERY {
            last_tasks = tasks::read(pid);
            last_kernel = Instant::now();
            tasks_t = elapsed;
        }
    }
    if memory::alive(pid) {
        last_tasks = tasks::read(pid);
        tasks_t = start.elapsed().as_secs_f64();
    }
    let sampler_cpu_s = crate::measure::clock::thread_cpu_s() - cpu_before;
    let switches = last.switch_number.saturating_sub(first.switch_number);
    let last_enabled = gil.enabled().unwrap_or(first_enabled);
    let name_of: BTreeMap<Option<u64>, String> = tally
        .counts
        .keys()
        .map(|tid| (*tid, tally.name(*tid, &last_tasks)))
        .collect();
    let names = |tid: Option<u64>| name_of.get(&tid).cloned().unwrap_or_default();
    let threads: Vec<ThreadProfile> = tally
        .counts
        .iter()
        .map(|(tid, c)| thread_profile(*tid, names(*tid), c, &first_tasks, &last_tasks, tasks_t))
        .collect();
    let sampled_vs_exact_max_gap = threads
        .iter()
        .filter_map(|t| {
            let exact = t.cpu_fraction? + t.runqueue_fraction?;
            Some((t.held_fraction + t.released_fraction - exact).abs())
        })
        .reduce(f64::max);
    let (stacks_out, waits_behind) = tally.into_stacks(&names);
    Ok(Profile {
        pid,
        python: stacks.version(),
        seconds: elapsed,
        rate_hz: spec.rate_hz,
        samples,
        missed,
        sampler_cpu_s,
        ended,
        threads,
        sampled_vs_exact_max_gap,
        stacks: stacks_out,
        waits_behind,
        build: if gil.free_threaded() {
            "free-threaded"
        } else {
            "gil"
        },
        gil_enabled: last_enabled,
        gil: (first_enabled.in_use() || last_enabled.in_use()).then(|| GilFigures {
            switches,
            switches_per_s: if elapsed > 0.0 {
                switches as f64 / elapsed
            } else {
                0.0
            },
            source: gil.source,
        }),
    })
}

fn thread_profile(
    tid: Option<u64>,
    name: String,
    c: &ThreadCounts,
    first: &BTreeMap<u64, TaskTimes>,
    last: &BTreeMap<u64, TaskTimes>,
    seconds: f64,
) -> ThreadProfile {
    let n: u64 = c.by_use.iter().sum();
    let share = |u: GilUse| c.by_use[u as usize] as f64 / n.max(1) as f64;
    let kernel = tid.and_then(|t| Some((first.get(&t), last.get(&t)?)));
    let fraction = |f: fn(&TaskTimes) -> u64| {
        kernel.and_then(|(before, after)| {
            let ns = f(after).saturating_sub(before.map_or(0, f));
            (seconds > 0.0).then(|| ns as f64 / (seconds * 1e9))
        })
    };
    ThreadProfile {
        tid,
        name,
        samples: n,
        held_fraction: share(GilUse::Held),
        waiting_fraction: share(GilUse::Waiting),
        released_fraction: share(GilUse::Released),
        running_fraction: share(GilUse::Held) + share(GilUse::Released),
        idle_fraction: share(GilUse::Idle),
        cpu_fraction: fraction(|t| t.cpu_ns),
        runqueue_fraction: fraction(|t| t.runqueue_ns),
    }
}
