//! Lab 9: the study note's sender/receiver, multiprocessing.Queue vs queue.Queue, and shutdown.
use crate::domain::{QueueRuntime, QueueVariant, StartMethod};
use crate::lab::{
    Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, PredictionDef, QuantityDef,
    Tolerance,
};
use crate::report::chart;
use crate::scenario::spec::QueueSpec;
use crate::stats::Summary;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "queues",
        title: "Queues and shutdown: processes, threads",
        seconds: (25, 2),
        needs: &[],
        study_note: Some("queue_processes.py, queue_threads.py"),
        goal: "Compare how many messages per second and how quickly a sender reaches a receiver \
               through multiprocessing.Queue (processes) and queue.Queue (threads), and how each \
               sender is stopped.",
        background: "A multiprocessing.Queue pickles each message and sends it through a pipe, fed \
                     by a background thread, to another process. A queue.Queue hands the same \
                     object reference to another thread in the same interpreter. The study note \
                     stops its sender process with terminate(), but a thread cannot be killed: it \
                     must be asked to stop, with an Event it checks.",
        questions: &[
            "Before measuring: how many times more messages per second does queue.Queue carry?",
            "Where does a message spend its time in a multiprocessing.Queue?",
            "Why can a process be terminated but a thread needs an Event?",
        ],
        predictions: &[PredictionDef {
            name: "throughput_ratio",
            question: "Messages per second, queue.Queue between threads / multiprocessing.Queue between processes",
            unit: "×",
            tolerance: Tolerance::Relative(0.5),
        }],
        instructor: Instructor {
            expected: "queue.Queue carries several times more small messages per second, with \
                       lower latency; terminate() stops a process at once, while the thread stops \
                       at its next Event check.",
            anchors: &[Anchor {
                figure: "there is no way to kill a thread from outside in Python; threading.Event \
                         is the documented way to signal one to stop",
                source: "Python documentation, threading module",
            }],
            discussion: &[
                "Pickling cost vs message size: what if each message were 1 MB?",
                "terminate() and a message half-written to the pipe: what can go wrong?",
                "Daemon threads: another way out, with what risk?",
            ],
            wrong_answers: &[
                "\"processes are faster because they run in parallel\" (for small messages the \
                 pipe and pickling dominate)",
                "\"thread.terminate() exists\"",
            ],
        },
        figures,
        measure,
    }
}

fn figures() -> Figures {
    Figures {
        quantities: vec![
            QuantityDef::new(
                "process_messages_per_s",
                "multiprocessing.Queue: messages/s",
                "/s",
            ),
            QuantityDef::new("thread_messages_per_s", "queue.Queue: messages/s", "/s"),
            QuantityDef::new(
                "throughput_ratio",
                "queue.Queue / multiprocessing.Queue (messages/s)",
                "×",
            ),
            QuantityDef::new(
                "process_latency_p50_us",
                "multiprocessing.Queue: put → get, median",
                "µs",
            ),
            QuantityDef::new(
                "thread_latency_p50_us",
                "queue.Queue: put → get, median",
                "µs",
            ),
            QuantityDef::new(
                "process_shutdown_ms",
                "stopping the sender process (terminate + join)",
                "ms",
            ),
            QuantityDef::new(
                "thread_shutdown_ms",
                "stopping the sender thread (Event + join)",
                "ms",
            ),
        ],
        checks: vec![
            CheckDef::new(
                "thread_queue_lower_latency",
                "queue.Queue delivers with a lower median latency than multiprocessing.Queue",
            ),
            CheckDef::new(
                "all_delivered",
                "Every message sent arrived, in both variants",
            ),
        ],
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let messages = if ctx.quick { 500 } else { 5_000 };
    let repeat = 3;
    let spec = QueueSpec {
        variant: vec![QueueVariant::Process, QueueVariant::Thread],
        messages,
        interval: 0.0,
        start_method: vec![StartMethod::Fork],
        runtimes: vec![QueueRuntime::Python],
        repeat,
        python: None,
        timeout: ctx.timeout,
    };
    let doc = crate::scenario::queue::run(&spec)?;
    let row = |v: QueueVariant| {
        doc.results
            .iter()
            .find(|r| r.variant == v && r.runtime == QueueRuntime::Python)
    };
    let (process, thread) = (row(QueueVariant::Process), row(QueueVariant::Thread));
    let rate = |r: Option<&crate::scenario::queue::QueueRow>| r.and_then(|r| r.messages_per_s);
    let p50 = |r: Option<&crate::scenario::queue::QueueRow>| {
        r.and_then(|r| r.latency_s.as_ref()).map(|l| l.p50 * 1e6)
    };
    let stop = |r: Option<&crate::scenario::queue::QueueRow>| {
        r.and_then(|r| r.shutdown_s).map(|s| s * 1e3)
    };
    m.quantity("process_messages_per_s", rate(process));
    m.quantity("thread_messages_per_s", rate(thread));
    // Per-run rates as times per message, so that the ratio pairs the runs of one round.
    let per_message = |r: Option<&crate::scenario::queue::QueueRow>| {
        let times: Vec<f64> = r?
            .rates
            .iter()
            .filter(|v| **v > 0.0)
            .map(|v| 1.0 / v)
            .collect();
        (!times.is_empty()).then(|| Summary::of(&times))
    };
    let (ratio, range) = match (per_message(process), per_message(thread)) {
        (Some(p), Some(t)) => crate::stats::fastest_ratio(&p, &t),
        _ => (None, None),
    };
    m.quantity_within("throughput_ratio", ratio, range);
    m.quantity("process_latency_p50_us", p50(process));
    m.quantity("thread_latency_p50_us", p50(thread));
    m.quantity("process_shutdown_ms", stop(process));
    m.quantity("thread_shutdown_ms", stop(thread));
    m.check(
        "thread_queue_lower_latency",
        None,
        p50(thread).zip(p50(process)).map(|(t, p)| t < p),
        format!(
            "{} µs vs {} µs",
            p50(thread).map_or("unavailable".into(), |v| format!("{v:.1}")),
            p50(process).map_or("unavailable".into(), |v| format!("{v:.1}"))
        ),
    );
    m.check(
        "all_delivered",
        None,
        Some(
            [process, thread]
                .iter()
                .all(|r| r.and_then(|r| r.messages_received) == Some(messages)),
        ),
        format!("{messages} messages each"),
    );
    let mut bars = Vec::new();
    for (label, r) in [("multiprocessing.Queue", process), ("queue.Queue", thread)] {
        if let Some(v) = rate(r) {
            bars.push((label.to_string(), "messages/s".to_string(), v));
        }
    }
    m.charts.push(chart::bars(
        "queue-throughput.svg",
        "Messages per second from a sender to a receiver",
        "messages per second (log scale)",
        true,
        &bars,
    ));
    m.explanation = doc.verdict.clone();
    m.method.push(format!(
        "gilsim queue --variant process,thread --messages {messages} --interval 0 \
         --start-method fork --runtimes python --repeat {repeat}"
    ));
    Ok(())
}
