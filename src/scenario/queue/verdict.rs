//! The queue verdict: what was received, how each sender was stopped and what that cost, and
//! (with --interval 0) how fast each queue moves messages.
use super::rows::QueueRow;
use crate::report::units::{seconds, thousands};
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
        let got: Vec<String> = r.received.iter().flatten().map(u64::to_string).collect();
        paragraphs.push(format!(
            "{} received [{}], not 0 to {}.",
            name(r),
            got.join(", "),
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
                    "{} {} msgs/s (latency p50 {}, p99 {})",
                    name(r),
                    thousands(r.messages_per_s.unwrap_or(0.0).round() as u64),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{QueueRuntime, QueueVariant};
    use crate::scenario::queue::rows::Latency;

    fn spec(messages: usize, interval: f64) -> QueueSpec {
        QueueSpec {
            variant: vec![],
            messages,
            interval,
            start_method: vec![],
            runtimes: vec![],
            repeat: 1,
            python: None,
            timeout: std::time::Duration::from_secs(300),
        }
    }

    fn row(runtime: QueueRuntime, variant: QueueVariant, messages: usize) -> QueueRow {
        let python = runtime == QueueRuntime::Python && variant != QueueVariant::Thread;
        QueueRow {
            runtime,
            variant,
            start_method: python.then_some("spawn"),
            messages,
            interval_s: 0.5,
            messages_received: Some(messages),
            received: Some((0..messages as u64).collect()),
            latency_s: Some(Latency {
                p50: 0.000_05,
                p99: 0.000_4,
                max: 0.001,
            }),
            messages_per_s: Some(20_000.0),
            rates: vec![],
            first_message_s: Some(0.01),
            shutdown_s: Some(if python { 0.012 } else { 0.4 }),
            total_s: Some(5.6),
            gil: None,
            status: "ok",
            error: None,
            other_load: Some(0.0),
        }
    }

    #[test]
    fn the_study_notes_runs_with_their_sleeps() {
        let rows = [
            row(QueueRuntime::Python, QueueVariant::Process, 10),
            row(QueueRuntime::Python, QueueVariant::ProcessClass, 10),
            row(QueueRuntime::Python, QueueVariant::Thread, 10),
            QueueRow {
                received: Some(vec![0, 1, 3]),
                ..row(QueueRuntime::RustThreads, QueueVariant::Thread, 10)
            },
            QueueRow {
                status: "error",
                error: Some("the sender never started".into()),
                ..row(QueueRuntime::RustProcesses, QueueVariant::Process, 10)
            },
        ];
        insta::assert_snapshot!("with_sleeps", write(&rows, &spec(10, 0.5)));
    }

    #[test]
    fn throughput_without_sleeps_ranks_the_queues() {
        let fast = |runtime, variant, rate| QueueRow {
            received: None,
            messages_per_s: Some(rate),
            ..row(runtime, variant, 100_000)
        };
        let rows = [
            fast(QueueRuntime::Python, QueueVariant::Process, 60_000.0),
            fast(QueueRuntime::Python, QueueVariant::Thread, 250_000.0),
            fast(QueueRuntime::RustThreads, QueueVariant::Thread, 9_000_000.0),
        ];
        insta::assert_snapshot!("without_sleeps", write(&rows, &spec(100_000, 0.0)));
    }
}
