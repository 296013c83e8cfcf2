//! Rust twins of the study note's sender/receiver: a channel between threads with an `AtomicBool`
//! stop flag (the Event version), and a child process writing to a pipe, stopped with kill
//! (the terminate() version). Same messages, same interval, same measurements.
use crate::domain::QueueOutcome;
use crate::measure::clock::monotonic_s;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// The hidden command line a sender child answers to.
pub const SENDER_ARG: &str = "__queue-sender";

fn pause(interval: f64) {
    if interval > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(interval));
    }
}

fn outcome(received: Vec<(u64, f64, f64)>, t0: f64, stopping_at: f64) -> QueueOutcome {
    let end = monotonic_s();
    let arrivals: Vec<f64> = received.iter().map(|r| r.2).collect();
    QueueOutcome {
        latencies_s: received.iter().map(|(_, put, got)| got - put).collect(),
        received: received.iter().map(|r| r.0).collect(),
        first_message_s: arrivals.first().map(|a| a - t0),
        stream_s: (arrivals.len() > 1).then(|| arrivals[arrivals.len() - 1] - arrivals[0]),
        shutdown_s: end - stopping_at,
        total_s: end - t0,
    }
}

pub fn threads(messages: usize, interval: f64) -> QueueOutcome {
    let t0 = monotonic_s();
    let (tx, rx) = mpsc::channel::<(u64, f64)>();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let sender = std::thread::spawn(move || {
        let mut x = 0;
        // No way to kill a thread from outside in Rust either: it checks the flag.
        while !flag.load(Ordering::SeqCst) {
            if tx.send((x, monotonic_s())).is_err() {
                break;
            }
            x += 1;
            pause(interval);
        }
    });
    let mut received = Vec::with_capacity(messages);
    for _ in 0..messages {
        let (x, put_at) = rx.recv().expect("the sender runs until stopped");
        received.push((x, put_at, monotonic_s()));
        pause(interval);
    }
    let stopping_at = monotonic_s();
    stop.store(true, Ordering::SeqCst);
    drop(rx);
    sender.join().expect("sender thread");
    outcome(received, t0, stopping_at)
}

pub fn process(messages: usize, interval: f64) -> Result<QueueOutcome> {
    let t0 = monotonic_s();
    let mut child = crate::install::gilsim_command()?
        .args([SENDER_ARG, &interval.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the sender process")?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut received = Vec::with_capacity(messages);
    for _ in 0..messages {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the sender process stopped sending");
        };
        let got = monotonic_s();
        let mut fields = line.split_whitespace();
        let (Some(x), Some(put_at)) = (fields.next(), fields.next()) else {
            bail!("the sender process sent {line:?}");
        };
        received.push((x.parse()?, put_at.parse()?, got));
        pause(interval);
    }
    let stopping_at = monotonic_s();
    child.kill()?;
    child.wait()?;
    Ok(outcome(received, t0, stopping_at))
}

/// The sender child: `x put_time` lines on stdout, one per interval, until killed.
pub fn sender_main(args: &[std::ffi::OsString]) -> ! {
    let interval: f64 = args
        .get(2)
        .and_then(|a| a.to_str())
        .and_then(|a| a.parse().ok())
        .unwrap_or(0.0);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut x = 0u64;
    loop {
        // One write per message, as multiprocessing.Queue sends each object on its own.
        if writeln!(out, "{x} {:.9}", monotonic_s())
            .and_then(|_| out.flush())
            .is_err()
        {
            std::process::exit(0);
        }
        x += 1;
        pause(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_twin_receives_in_order() {
        let o = threads(5, 0.0);
        assert_eq!(o.received, vec![0, 1, 2, 3, 4]);
        assert!(o.latencies_s.iter().all(|l| *l >= 0.0));
    }
}
