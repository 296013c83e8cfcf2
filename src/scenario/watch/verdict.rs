//! The watch in plain words, from the measured figures only.
use super::Interval;
use crate::report::units::{thousands, whole_percent as percent};

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

pub fn verdict(totals: &Interval, ended: bool) -> String {
    let rate = totals.switches_per_s;
    let count = format!(
        "{} hand-offs in {:.1} s",
        thousands(totals.switches),
        totals.t_s
    );
    let turns = format!("{count} ({rate:.0} a second)");
    let prefix = if ended {
        format!(
            "The process ended while watched; these figures cover {:.1} s. ",
            totals.t_s
        )
    } else {
        String::new()
    };
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
            "The GIL changed hands exactly {turns}{}. Sampling was off (--sample-rate 0), so how \
             long it was held, and by whom, was not measured.",
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
