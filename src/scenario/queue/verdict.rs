//! The queue verdict: what was received, how each sender was stopped and what that cost, and
//! (with --interval 0) how fast each queue moves messages.
use super::rows::QueueRow;
use crate::report::units::seconds;
use crate::scenario::spec::QueueSpec;

fn name(row: &QueueRow) -> String {
    let mut text = format!("{} {}", row.runtime.name(), row.variant.name());
    if let Some(sm) = row.start_method {
        text += &format!(" ({sm})");
    }
    text
}

pub fn write(rows: &[QueueRow], spec: &QueueSpec) -> String {
    let mut paragraphs = Vec::new();
    let ok: Vec<&QueueRow> = rows.iter().filter(|r| r.status == "ok").collect();
    let expected: Vec<u64> = (0..spec.messages as u64).collect();
    let in_order: Vec<String> = ok
        .iter()
        .filter(|r| {
            r.received.as_ref() == Some(&expected)
                || (r.received.is_none() && r.messages_received == Some(spec.messages))
        })
        .map(|r| name(r))
        .collect();
    if !in_order.is_empty() {
        paragraphs.push(format!(
            "Received 0 to {} in order ({} messages) in: {}.",
            spec.messages - 1,
            spec.messages,
            in_order.join(", ")
        ));
    }
    for r in ok
        .iter()
        .filter(|r| r.received.is_some() && r.received.as_ref() != Some(&expected))
    {
        paragraphs.push(format!(
            "{} received {:?}, not 0 to {}.",
            name(r),
            r.received,
            spec.messages - 1
        ));
    }
    if spec.interval > 0.0 {
        if let Some(total) = ok.first().and_then(|r| r.total_s) {
            paragraphs.push(format!(
                "Each run took about {} (the first row: {}): the receiver sleeps {} s after each of its {} gets, as in the study note.",
                seconds(total),
                name(ok[0]),
                spec.interval,
                spec.messages
            ));
        }
    }
    let stops: Vec<String> = ok
        .iter()
        .filter_map(|r| {
            let how = match (r.runtime.name(), r.variant.name()) {
                ("python", "thread") => "event + join()",
                ("python", _) => "terminate() + join()",
                ("rust-threads", _) => "AtomicBool + join()",
                _ => "kill + wait",
            };
            Some(format!("{} {how} {}", name(r), seconds(r.shutdown_s?)))
        })
        .collect();
    if !stops.is_empty() {
        paragraphs.push(format!("Stopping the sender: {}.", stops.join("; ")));
    }
    if ok
        .iter()
        .any(|r| r.runtime.name() == "python" && r.variant.name() == "thread")
    {
        paragraphs.push(format!(
            "Threads need the event because Python gives no way to stop a thread from outside (no terminate() or kill()): the sender must check a flag itself, so it stops only at its next check, after its current sleep{}. A process can be killed from outside, which is why the study note's process versions use terminate() on a sender that never ends.",
            if spec.interval > 0.0 { format!(" (up to {} s)", spec.interval) } else { String::new() }
        ));
    }
    if spec.interval == 0.0 {
        let mut ranked: Vec<&&QueueRow> =
            ok.iter().filter(|r| r.messages_per_s.is_some()).collect();
        ranked.sort_by(|a, b| {
            b.messages_per_s
                .partial_cmp(&a.messages_per_s)
                .expect("finite")
        });
        let parts: Vec<String> = ranked
            .iter()
            .map(|r| {
                format!(
                    "{} {:.0} msgs/s (latency p50 {}, p99 {})",
                    name(r),
                    r.messages_per_s.unwrap_or(0.0),
                    r.latency_s.as_ref().map_or("–".into(), |l| seconds(l.p50)),
                    r.latency_s.as_ref().map_or("–".into(), |l| seconds(l.p99))
                )
            })
            .collect();
        if !parts.is_empty() {
            paragraphs.push(format!(
                "Throughput with no sleeps, fastest first: {}. A flooding sender fills the queue faster than it is read, so latency here includes the backlog.",
                parts.join("; ")
            ));
        }
    }
    for r in rows.iter().filter(|r| r.status != "ok") {
        paragraphs.push(format!(
            "{} failed: {}",
            name(r),
            r.error.as_deref().unwrap_or("unknown error")
        ));
    }
    paragraphs.join("\n")
}
