//! The profile in plain words, from the sampled states and the exact hand-off count.
use super::rows::leaf;
use super::{GilUse, Profile, ThreadProfile};
use crate::report::units::{thousands, whole_percent as percent};

/// A thread counts as waiting for the GIL from this share of its samples on.
const WAITS: f64 = 0.05;
/// A waiter that is on a CPU less than this share of the time (the kernel's exact figure)
/// needs the GIL only briefly: an I/O thread.
const BRIEF_CPU: f64 = 0.25;
/// A holder counts as CPU-bound in Python from this share on.
const HOLDS: f64 = 0.5;
/// A thread counts as running C code without the GIL from this share on.
const RELEASES: f64 = 0.25;

fn who(t: &ThreadProfile) -> String {
    match t.tid {
        Some(tid) => format!("{} ({tid})", t.name),
        None => t.name.clone(),
    }
}

/// The function the thread most often waited in, and the holder's function it waited behind.
fn waits_where(p: &Profile, t: &ThreadProfile) -> Option<(String, String, Option<u64>)> {
    let stack = p
        .stacks
        .iter()
        .filter(|s| s.thread == t.tid && s.state == GilUse::Waiting)
        .max_by_key(|s| s.samples)?;
    let behind = p
        .waits_behind
        .iter()
        .filter(|w| w.waiter_thread == t.tid && w.holder_thread.is_some())
        .max_by_key(|w| w.samples);
    Some((
        leaf(&stack.frames),
        behind.map_or("no identified holder".into(), |w| leaf(&w.holder)),
        behind.and_then(|w| w.holder_thread),
    ))
}

/// A free-threaded build without its GIL: who ran, who was parked inside the interpreter and on
/// what, and who slept, by sampled state.
fn no_gil(p: &Profile) -> String {
    let each: Vec<String> = p
        .threads
        .iter()
        .map(|t| {
            format!(
                "{} running {}, parked inside the interpreter {}, idle {}",
                who(t),
                percent(t.running_fraction),
                percent(t.waiting_fraction),
                percent(t.idle_fraction)
            )
        })
        .collect();
    let mut text = format!(
        "No GIL: a free-threaded build running without its GIL (its `enabled` field read 0 at the \
         start and at the end), so no thread holds or waits for one. Sampled: {}.",
        each.join("; ")
    );
    // The stack most often parked inside the interpreter, and what it waited for.
    let parked = p
        .stacks
        .iter()
        .filter(|s| s.state == GilUse::Waiting && s.waits_on.is_some())
        .max_by_key(|s| s.samples);
    if let Some(s) = parked {
        text += &format!(
            " Most often parked: {} in {}, waiting for {} ({} samples).",
            s.thread_name,
            leaf(&s.frames),
            s.waits_on.as_deref().unwrap_or_default(),
            s.samples
        );
    }
    text += " Parked means asleep in the interpreter's parking lot on one of its own locks (an \
             object's critical section, a stop-the-world pause, an internal lock), read from the \
             parked thread's wait entry; a threading.Lock's wait is counted idle, named in the \
             stacks' `waits_on`, as are sleep and I/O.";
    text
}

pub fn verdict(p: &Profile) -> String {
    let prefix = if p.ended {
        format!(
            "The process ended while profiled; these figures cover the {:.1} s seen. ",
            p.seconds
        )
    } else {
        String::new()
    };
    if p.samples == 0 || p.threads.is_empty() {
        return prefix + "No sample was taken: the process showed no Python thread to read.";
    }
    let Some(gil) = &p.gil else {
        return prefix + &no_gil(p);
    };
    let back = if p.build == "free-threaded" {
        "The GIL is back: this free-threaded build ran with its GIL enabled (PYTHON_GIL=1, or an \
         extension module imported without declaring Py_mod_gil), read as on a GIL build. "
    } else {
        ""
    };
    let prefix = prefix + back;
    let turns = format!(
        "The GIL changed hands exactly {} times ({:.0} a second).",
        thousands(gil.switches),
        gil.switches_per_s
    );
    let mut waiters: Vec<&ThreadProfile> = p
        .threads
        .iter()
        .filter(|t| t.waiting_fraction >= WAITS)
        .collect();
    waiters.sort_by(|a, b| b.waiting_fraction.total_cmp(&a.waiting_fraction));
    let releasers: Vec<String> = p
        .threads
        .iter()
        .filter(|t| t.released_fraction >= RELEASES)
        .map(|t| {
            format!(
                "{} ran without the GIL {}",
                who(t),
                percent(t.released_fraction)
            )
        })
        .collect();
    let released = if releasers.is_empty() {
        String::new()
    } else {
        format!(
            " {} (C code that releases it: no wait for others).",
            releasers.join("; ")
        )
    };
    let Some(first) = waiters.first() else {
        let holder = p
            .threads
            .iter()
            .max_by(|a, b| a.held_fraction.total_cmp(&b.held_fraction))
            .filter(|t| t.held_fraction >= WAITS);
        let held = holder.map_or(String::new(), |t| {
            format!(
                " {} held it {} of the samples.",
                who(t),
                percent(t.held_fraction)
            )
        });
        return format!(
            "{prefix}No thread waited for the GIL in {} or more of its samples: not GIL-bound.{held}{released} {turns}",
            percent(WAITS)
        );
    };
    let (waited_in, behind, holder_tid) =
        waits_where(p, first).unwrap_or(("?".into(), "?".into(), None));
    let holder = holder_tid.and_then(|tid| p.threads.iter().find(|t| t.tid == Some(tid)));
    let convoy = first.cpu_fraction.is_some_and(|c| c < BRIEF_CPU)
        && holder.is_some_and(|h| h.held_fraction >= HOLDS && h.tid != first.tid);
    let body = if convoy {
        let h = holder.expect("checked above");
        format!(
            "A convoy: {} needs a CPU only {} of the time, yet waited for the GIL {} of its \
             samples, mostly at {waited_in}, behind {} in {behind}, which held the GIL {}. Each \
             time its I/O completes, it waits for the CPU-bound thread to give the GIL up.",
            who(first),
            percent(first.cpu_fraction.unwrap_or(0.0)),
            percent(first.waiting_fraction),
            who(h),
            percent(h.held_fraction)
        )
    } else {
        let each: Vec<String> = waiters
            .iter()
            .map(|t| format!("{} {}", who(t), percent(t.waiting_fraction)))
            .collect();
        let behind_whom = match holder {
            Some(h) => format!("{} in {behind}", who(h)),
            None => behind,
        };
        format!(
            "GIL-bound: threads waited for the GIL ({}); {} waited most at {waited_in}, behind {behind_whom}.",
            each.join(", "),
            who(first)
        )
    };
    format!("{prefix}{body}{released} {turns}")
}

#[cfg(test)]
mod tests {
    use super::super::{GilFigures, StackSamples, WaitBehind};
    use super::*;
    use crate::measure::outside::GilEnabled;

    fn thread(tid: u64, held: f64, waiting: f64, released: f64, cpu: f64) -> ThreadProfile {
        ThreadProfile {
            tid: Some(tid),
            name: "python3".into(),
            samples: 300,
            held_fraction: held,
            waiting_fraction: waiting,
            released_fraction: released,
            running_fraction: held + released,
            idle_fraction: (1.0 - held - waiting - released).max(0.0),
            cpu_fraction: Some(cpu),
            runqueue_fraction: Some(0.0),
        }
    }

    fn stack(tid: u64, function: &str, state: GilUse, samples: u64) -> StackSamples {
        StackSamples {
            thread: Some(tid),
            thread_name: "python3".into(),
            frames: vec![
                "<module> app.py:40".into(),
                format!("{function} app.py:{}", 10 + samples % 7),
            ],
            state,
            waits_on: None,
            samples,
        }
    }

    fn behind(waiter: u64, in_fn: &str, holder: u64, holder_fn: &str, n: u64) -> WaitBehind {
        WaitBehind {
            waiter_thread: Some(waiter),
            waiter: vec![format!("{in_fn} app.py:12")],
            holder_thread: Some(holder),
            holder: vec![format!("{holder_fn} app.py:30")],
            samples: n,
        }
    }

    fn profile(threads: Vec<ThreadProfile>) -> Profile {
        Profile {
            pid: 1661,
            python: "3.11.7".into(),
            seconds: 3.0,
            rate_hz: 100,
            samples: 300,
            missed: 0,
            sampler_cpu_s: 0.1,
            ended: false,
            threads,
            sampled_vs_exact_max_gap: Some(0.02),
            stacks: vec![],
            waits_behind: vec![],
            build: "gil",
            gil_enabled: GilEnabled::Always,
            gil: Some(GilFigures {
                switches: 1_152,
                switches_per_s: 384.0,
                source: "calibrated",
            }),
        }
    }

    #[test]
    fn each_branch() {
        let convoy = Profile {
            stacks: vec![
                stack(1665, "handle", GilUse::Waiting, 200),
                stack(1661, "compute", GilUse::Held, 297),
            ],
            waits_behind: vec![behind(1665, "handle", 1661, "compute", 200)],
            ..profile(vec![
                thread(1661, 0.99, 0.0, 0.0, 0.99),
                thread(1665, 0.0, 0.97, 0.0, 0.02),
            ])
        };
        let two_cpu = Profile {
            stacks: vec![
                stack(11, "count", GilUse::Waiting, 150),
                stack(12, "spin", GilUse::Waiting, 140),
            ],
            waits_behind: vec![
                behind(11, "count", 12, "spin", 150),
                behind(12, "spin", 11, "count", 140),
            ],
            ..profile(vec![
                thread(11, 0.49, 0.50, 0.0, 0.50),
                thread(12, 0.50, 0.48, 0.0, 0.49),
            ])
        };
        let hashing = profile(vec![
            thread(11, 0.95, 0.02, 0.0, 0.96),
            thread(12, 0.03, 0.01, 0.86, 0.90),
        ]);
        let asleep = profile(vec![thread(11, 0.0, 0.0, 0.0, 0.0)]);
        let empty = Profile {
            samples: 0,
            ended: true,
            seconds: 0.2,
            ..profile(vec![])
        };
        let ended = Profile {
            ended: true,
            ..two_cpu.clone()
        };
        for (name, p) in [
            ("convoy", convoy),
            ("gil_bound", two_cpu),
            ("released_not_bound", hashing),
            ("idle", asleep),
            ("no_sample", empty),
            ("ended", ended),
        ] {
            insta::assert_snapshot!(name, verdict(&p));
        }
    }

    #[test]
    fn a_free_threaded_build_with_and_without_its_gil() {
        let no_gil = Profile {
            python: "3.13.5t".into(),
            build: "free-threaded",
            gil_enabled: GilEnabled::Disabled,
            gil: None,
            stacks: vec![
                StackSamples {
                    waits_on: Some("a list object's lock (critical section)".into()),
                    ..stack(12, "append_all", GilUse::Waiting, 40)
                },
                stack(11, "sort_all", GilUse::Released, 97),
            ],
            ..profile(vec![
                thread(11, 0.0, 0.0, 0.97, 0.97),
                thread(12, 0.0, 0.40, 0.55, 0.56),
            ])
        };
        let text = verdict(&no_gil);
        assert!(text.starts_with("No GIL"), "{text}");
        assert!(!text.contains("C code"), "{text}");
        assert!(
            text.contains("parked inside the interpreter 40 %")
                && text.contains("append_all app.py:15, waiting for a list object's lock"),
            "{text}"
        );
        insta::assert_snapshot!("free_threaded_no_gil", text);
        let back = Profile {
            build: "free-threaded",
            gil_enabled: GilEnabled::Enabled,
            ..no_gil.clone()
        };
        let back = Profile {
            gil: profile(vec![]).gil,
            ..back
        };
        assert!(
            verdict(&back).starts_with("The GIL is back"),
            "{}",
            verdict(&back)
        );
    }
}
