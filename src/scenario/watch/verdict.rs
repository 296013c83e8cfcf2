//! The watch in plain words, from the measured figures only.
use super::{GilChange, Interval};
use crate::measure::outside::GilEnabled;
use crate::report::units::{thousands, whole_percent as percent};

/// Without a GIL, a thread counts as running from this share of the wall time on a CPU.
const BUSY: f64 = 0.5;
/// A holder counts as using the GIL from this share of the samples on.
const USER_SHARE: f64 = 0.05;
/// Hand-offs per second from which threads are said to take turns.
const TAKING_TURNS_PER_S: f64 = 10.0;
/// Below this held share the process is not GIL-bound.
const MOSTLY_FREE: f64 = 0.2;
/// A convoy: a thread waits for the GIL at least this share of the time while on a CPU less
/// than `BRIEF_CPU` (it needs the GIL only briefly, between I/O), behind a holder of `HOLDS`.
const WAITS: f64 = 0.05;
const BRIEF_CPU: f64 = 0.25;
const HOLDS: f64 = 0.5;

/// The (waiter, holder) of a convoy, if the figures show one.
fn convoy<'a>(
    threads: &'a [super::ThreadFigures],
    users: &[&'a super::ThreadFigures],
) -> Option<(&'a super::ThreadFigures, &'a super::ThreadFigures)> {
    let holder = *users
        .first()
        .filter(|h| h.held_fraction.is_some_and(|f| f >= HOLDS))?;
    let waiter = threads
        .iter()
        .filter(|t| t.tid != holder.tid)
        .filter(|t| t.waiting_fraction.is_some_and(|w| w >= WAITS))
        .filter(|t| t.cpu_fraction.is_some_and(|c| c < BRIEF_CPU))
        .max_by(|a, b| a.waiting_fraction.partial_cmp(&b.waiting_fraction).unwrap())?;
    Some((waiter, holder))
}

fn who(t: &super::ThreadFigures) -> String {
    match t.tid {
        Some(tid) => format!("{} ({tid})", t.name),
        None => t.name.clone(),
    }
}

/// Whether the watched process had a GIL in use, as read from its state.
#[derive(Clone, Debug)]
pub struct GilState {
    pub free_threaded: bool,
    pub first: GilEnabled,
    pub last: GilEnabled,
    pub changes: Vec<GilChange>,
}

impl GilState {
    /// A GIL build's.
    pub fn gil_build() -> GilState {
        GilState {
            free_threaded: false,
            first: GilEnabled::Always,
            last: GilEnabled::Always,
            changes: Vec::new(),
        }
    }

    pub fn ever_in_use(&self) -> bool {
        self.first.in_use() || self.changes.iter().any(|c| c.enabled.in_use())
    }
}

/// A thread parked inside the interpreter this share of the samples or more is named.
const PARKED: f64 = 0.1;

/// The threads whose `share` is at least `min`, largest first, with it.
fn at_least(
    totals: &Interval,
    share: fn(&super::ThreadFigures) -> Option<f64>,
    min: f64,
) -> Vec<(&super::ThreadFigures, f64)> {
    let mut out: Vec<_> = totals
        .threads
        .iter()
        .filter_map(|t| share(t).filter(|f| *f >= min).map(|f| (t, f)))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// A free-threaded build without its GIL: who ran, from the kernel's accounting, and who was
/// parked inside the interpreter, from the samples.
fn no_gil(totals: &Interval) -> String {
    let busy = at_least(totals, |t| t.cpu_fraction, BUSY);
    let each: Vec<String> = busy
        .iter()
        .map(|(t, f)| format!("{} {}", who(t), percent(*f)))
        .collect();
    let running = match busy.len() {
        0 => "no thread was on a CPU half the time or more".to_string(),
        1 => format!("one thread was on a CPU: {}", each[0]),
        n => format!(
            "{n} threads were each on a CPU half the time or more, side by side ({})",
            each.join(", ")
        ),
    };
    let parked = at_least(totals, |t| t.parked_fraction, PARKED);
    let waits = match parked.as_slice() {
        _ if totals.threads.iter().all(|t| t.parked_fraction.is_none()) => {
            "Without a GIL threads still wait on per-object locks and stop-the-world pauses; \
             without samples (--sample-rate 0) watch did not read them."
                .to_string()
        }
        [] => "No thread was parked inside the interpreter (on an object's lock or an \
               interpreter lock or event) a tenth of the time or more."
            .to_string(),
        some => format!(
            "Parked inside the interpreter (an object's lock in a critical section, or an \
             interpreter lock or event; a threading.Lock's wait not counted): {}. `gilsim \
             profile --pid` says in which code and on which object.",
            some.iter()
                .map(|(t, f)| format!("{} {}", who(t), percent(*f)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "No GIL: a free-threaded build running without its GIL the whole time (its `enabled` \
         field read 0 throughout), so its threads run Python in parallel and take no turns \
         ({} hand-offs in {:.1} s); {running}. {waits}",
        thousands(totals.switches),
        totals.t_s
    )
}

pub fn verdict(totals: &Interval, ended: bool, gil: &GilState) -> String {
    let body = gil_verdict(totals, ended);
    if !gil.free_threaded {
        return body;
    }
    if !gil.ever_in_use() {
        return ended_prefix(totals, ended) + &no_gil(totals);
    }
    let moments: Vec<String> = gil
        .changes
        .iter()
        .map(|c| {
            format!(
                "turned {} at {:.2} s",
                if c.enabled.in_use() { "on" } else { "off" },
                c.t_s
            )
        })
        .collect();
    let when = if moments.is_empty() {
        "for the whole watch".to_string()
    } else {
        format!(
            "{} from the start, then {}",
            if gil.first.in_use() { "on" } else { "off" },
            moments.join(", ")
        )
    };
    format!(
        "The GIL is back: a free-threaded build with its GIL enabled ({when}; PYTHON_GIL=1, or an \
         extension module imported without declaring Py_mod_gil, turns it on), read exactly as \
         on a GIL build. {body}"
    )
}

/// What a summary of a process that ended while watched covers.
fn ended_prefix(totals: &Interval, ended: bool) -> String {
    if ended {
        format!(
            "The process ended while watched; these figures cover {:.1} s. ",
            totals.t_s
        )
    } else {
        String::new()
    }
}

fn gil_verdict(totals: &Interval, ended: bool) -> String {
    let rate = totals.switches_per_s;
    let count = format!(
        "{} hand-offs in {:.1} s",
        thousands(totals.switches),
        totals.t_s
    );
    let turns = format!("{count} ({rate:.0} a second)");
    let prefix = ended_prefix(totals, ended);
    let mut users: Vec<&super::ThreadFigures> = totals
        .threads
        .iter()
        .filter(|t| t.held_fraction.is_some_and(|h| h >= USER_SHARE))
        .collect();
    users.sort_by(|a, b| b.held_fraction.partial_cmp(&a.held_fraction).unwrap());
    let convoy = convoy(&totals.threads, &users);
    let body =
        match totals.held_fraction {
            None => format!(
            "The GIL changed hands exactly {} times in {:.1} s ({rate:.0} a second){}. Sampling \
             was off (--sample-rate 0), so how long it was held, and by whom, was not measured.",
            thousands(totals.switches),
            totals.t_s,
            if rate >= TAKING_TURNS_PER_S { ": threads were taking turns" } else { "" }
        ),
            Some(held) if held < MOSTLY_FREE => format!(
                "Not GIL-bound: the GIL was held {} of the time, with {turns}. The process spends \
             its time outside Python bytecode (waiting for I/O, sleeping, or in C code that \
             releases the GIL).",
                percent(held)
            ),
            Some(_) if convoy.is_some() => {
                let (waiter, holder) = convoy.expect("checked");
                format!(
                    "A convoy: {} was on a CPU only {} of the time, yet waited for the GIL {} \
                     of the time, behind {}, which held the GIL {}; {turns}. Each time its I/O \
                     completes, it waits for the CPU-bound thread to give the GIL up; `gilsim \
                     profile` shows at which lines.",
                    who(waiter),
                    waiter.cpu_fraction.map_or("?".into(), percent),
                    waiter.waiting_fraction.map_or("?".into(), percent),
                    who(holder),
                    holder.held_fraction.map_or("?".into(), percent)
                )
            }
            Some(held) if users.len() >= 2 && rate >= TAKING_TURNS_PER_S => {
                let waits: Vec<f64> = users.iter().filter_map(|t| t.off_cpu_fraction).collect();
                let spread = waits.iter().cloned().fold(f64::NAN, f64::max)
                    - waits.iter().cloned().fold(f64::NAN, f64::min);
                let waited = if waits.len() == users.len() && spread <= 0.1 {
                    format!(
                        "each waited off CPU {} of the time",
                        percent(waits.iter().sum::<f64>() / waits.len() as f64)
                    )
                } else {
                    let each: Vec<String> = users
                        .iter()
                        .map(|t| {
                            format!(
                                "{} {}",
                                who(t),
                                t.off_cpu_fraction.map_or("unknown".into(), percent)
                            )
                        })
                        .collect();
                    format!("off CPU (waiting): {}", each.join(", "))
                };
                format!(
                    "GIL-bound: {} threads took turns {rate:.0} times a second ({count}), the GIL \
                 was held {} of the time, and {waited}. Only one of them runs Python at a time.",
                    users.len(),
                    percent(held)
                )
            }
            Some(held) if users.len() == 1 => format!(
            "One thread, {}, held the GIL {} of the time, with {turns}: busy in Python but not \
             contended. Another CPU-bound thread would have to wait for it.",
            who(users[0]),
            percent(users[0].held_fraction.unwrap_or(held))
        ),
            Some(held) => format!(
                "The GIL was held {} of the time by {} threads, with {turns}: little contention.",
                percent(held),
                users.len().max(1)
            ),
        };
    prefix + &body
}

#[cfg(test)]
mod tests {
    use super::super::ThreadFigures;
    use super::*;

    fn thread(tid: u64, held: f64, waiting: f64, cpu: f64, off_cpu: f64) -> ThreadFigures {
        ThreadFigures {
            tid: Some(tid),
            name: "python3".into(),
            held_fraction: Some(held),
            waiting_fraction: Some(waiting),
            parked_fraction: None,
            free_threaded: false,
            cpu_fraction: Some(cpu),
            runqueue_fraction: Some(0.01),
            off_cpu_fraction: Some(off_cpu),
        }
    }

    fn totals(switches: u64, held: Option<f64>, threads: Vec<ThreadFigures>) -> Interval {
        Interval {
            t_s: 3.0,
            switches,
            switches_per_s: switches as f64 / 3.0,
            held_fraction: held,
            samples: 30_000,
            threads,
        }
    }

    #[test]
    fn each_branch() {
        let two_cpu = || {
            vec![
                thread(11, 0.49, 0.48, 0.50, 0.49),
                thread(12, 0.48, 0.49, 0.49, 0.50),
            ]
        };
        let cases = [
            ("sampling_off", totals(600, None, vec![]), false),
            ("sampling_off_quiet", totals(6, None, vec![]), false),
            (
                "not_gil_bound",
                totals(40, Some(0.03), vec![thread(11, 0.03, 0.0, 0.03, 0.97)]),
                false,
            ),
            (
                "convoy",
                totals(
                    1_152,
                    Some(0.99),
                    vec![
                        thread(1661, 0.99, 0.0, 0.99, 0.01),
                        thread(1665, 0.01, 0.94, 0.02, 0.97),
                    ],
                ),
                false,
            ),
            ("gil_bound_even", totals(600, Some(0.97), two_cpu()), false),
            (
                "gil_bound_uneven",
                totals(
                    600,
                    Some(0.97),
                    vec![
                        thread(11, 0.70, 0.20, 0.70, 0.25),
                        thread(12, 0.27, 0.60, 0.30, 0.65),
                    ],
                ),
                false,
            ),
            (
                "one_thread",
                totals(3, Some(0.99), vec![thread(11, 0.99, 0.0, 0.99, 0.0)]),
                false,
            ),
            (
                "little_contention",
                totals(
                    4,
                    Some(0.5),
                    vec![
                        thread(11, 0.25, 0.0, 0.3, 0.7),
                        thread(12, 0.25, 0.0, 0.3, 0.7),
                    ],
                ),
                false,
            ),
            ("ended", totals(600, Some(0.97), two_cpu()), true),
        ];
        for (name, totals, ended) in cases {
            insta::assert_snapshot!(name, verdict(&totals, ended, &GilState::gil_build()));
        }
    }

    fn free_threaded(first: GilEnabled, changes: Vec<GilChange>) -> GilState {
        let last = changes.last().map_or(first, |c| c.enabled);
        GilState {
            free_threaded: true,
            first,
            last,
            changes,
        }
    }

    #[test]
    fn a_free_threaded_build_without_its_gil() {
        let mut a = thread(11, 0.0, 0.0, 0.97, 0.0);
        let mut b = thread(12, 0.0, 0.0, 0.96, 0.01);
        let mut c = thread(13, 0.0, 0.0, 0.03, 0.9);
        for (t, parked) in [(&mut a, 0.0), (&mut b, 0.02), (&mut c, 0.9)] {
            t.held_fraction = None;
            t.waiting_fraction = None;
            t.parked_fraction = Some(parked);
            t.free_threaded = true;
        }
        let text = verdict(
            &totals(0, None, vec![a, b, c]),
            false,
            &free_threaded(GilEnabled::Disabled, vec![]),
        );
        assert!(text.starts_with("No GIL"), "{text}");
        assert!(text.contains("2 threads were each on a CPU"), "{text}");
        // Only the thread parked a tenth of the time or more is named.
        assert!(
            text.contains("Parked inside the interpreter") && text.contains("(13) 90"),
            "{text}"
        );
        assert!(!text.contains("(12) 2"), "{text}");
        assert!(!text.contains("releases the GIL"), "{text}");
        insta::assert_snapshot!("free_threaded_no_gil", text);
    }

    #[test]
    fn a_free_threaded_build_whose_gil_came_back() {
        let two = vec![
            thread(11, 0.49, 0.48, 0.50, 0.49),
            thread(12, 0.48, 0.49, 0.49, 0.50),
        ];
        let turned_on = vec![GilChange {
            t_s: 1.25,
            enabled: GilEnabled::Enabled,
        }];
        let text = verdict(
            &totals(600, Some(0.97), two.clone()),
            false,
            &free_threaded(GilEnabled::Disabled, turned_on),
        );
        assert!(
            text.contains("off from the start, then turned on at 1.25 s"),
            "{text}"
        );
        assert!(text.contains("GIL-bound"), "{text}");
        insta::assert_snapshot!("free_threaded_gil_back", text);
        let text = verdict(
            &totals(600, Some(0.97), two),
            false,
            &free_threaded(GilEnabled::Enabled, vec![]),
        );
        assert!(text.contains("for the whole watch"), "{text}");
    }
}
