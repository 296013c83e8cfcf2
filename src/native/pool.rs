//! Rust twins of the study note's `Pool.map`: a thread pool and a pool of gilsim child processes
//! talking over pipes, each timed the way the Python rows are (creation → every worker ready;
//! map submitted → results back; creation → pool shut down).
use super::countdown::countdown;
use crate::domain::PoolOutcome;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

/// The hidden command line a pool child answers to.
pub const CHILD_ARG: &str = "__pool-child";

/// The study note's f with a countdown of `work` first.
fn f(work: u64, x: u64) -> u64 {
    countdown(work);
    x
}

/// Pool.map's default: ceil(items / (4 · workers)).
pub fn default_chunksize(items: usize, workers: usize) -> usize {
    items.div_ceil(4 * workers).max(1)
}

fn chunks(items: usize, chunksize: usize) -> Vec<(usize, usize)> {
    (0..items)
        .step_by(chunksize)
        .map(|start| (start, chunksize.min(items - start)))
        .collect()
}

fn sequential(items: usize, work: u64) -> (f64, bool) {
    let start = Instant::now();
    let out: Vec<u64> = (0..items as u64).map(|x| f(work, x)).collect();
    let ok = out.iter().enumerate().all(|(i, &x)| x == i as u64);
    (start.elapsed().as_secs_f64(), ok)
}

pub fn thread_map(
    workers: usize,
    items: usize,
    chunksize: Option<usize>,
    work: u64,
) -> PoolOutcome {
    let chunksize = chunksize.unwrap_or_else(|| default_chunksize(items, workers));
    let (sequential_s, _) = sequential(items, work);
    let t0 = Instant::now();
    let (task_tx, task_rx) = mpsc::channel::<(usize, usize)>();
    let task_rx = Arc::new(Mutex::new(task_rx));
    let (result_tx, result_rx) = mpsc::channel::<(usize, Vec<u64>)>();
    let (ready_tx, ready_rx) = mpsc::channel::<Instant>();
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let tasks = Arc::clone(&task_rx);
            let results = result_tx.clone();
            let ready = ready_tx.clone();
            std::thread::spawn(move || {
                let _ = ready.send(Instant::now());
                loop {
                    let task = tasks.lock().expect("task queue").recv();
                    let Ok((start, len)) = task else { break };
                    let values = (start..start + len).map(|x| f(work, x as u64)).collect();
                    let _ = results.send((start, values));
                }
            })
        })
        .collect();
    drop(result_tx);
    drop(ready_tx);
    let m0 = Instant::now();
    let all = chunks(items, chunksize);
    for chunk in &all {
        task_tx.send(*chunk).expect("workers alive");
    }
    let mut out = vec![u64::MAX; items];
    for _ in 0..all.len() {
        let (start, values) = result_rx.recv().expect("a worker answers");
        out[start..start + values.len()].copy_from_slice(&values);
    }
    let m1 = Instant::now();
    drop(task_tx);
    for h in handles {
        h.join().expect("pool thread");
    }
    let t1 = Instant::now();
    let ready: Vec<Instant> = ready_rx.iter().collect();
    let times = Times { t0, m0, m1, t1 };
    times.outcome(&ready, sequential_s, chunksize, &out)
}

/// The moments a pool map is timed by: created, map submitted, results back, shut down.
struct Times {
    t0: Instant,
    m0: Instant,
    m1: Instant,
    t1: Instant,
}

impl Times {
    fn outcome(
        &self,
        ready: &[Instant],
        sequential_s: f64,
        chunksize: usize,
        out: &[u64],
    ) -> PoolOutcome {
        PoolOutcome {
            startup_s: ready.iter().max().map(|r| (*r - self.t0).as_secs_f64()),
            workers_ready: ready.len(),
            map_s: (self.m1 - self.m0).as_secs_f64(),
            total_s: (self.t1 - self.t0).as_secs_f64(),
            sequential_s,
            chunksize,
            results_ok: out.iter().enumerate().all(|(i, &x)| x == i as u64),
        }
    }
}

pub fn process_map(
    workers: usize,
    items: usize,
    chunksize: Option<usize>,
    work: u64,
) -> Result<PoolOutcome> {
    let chunksize = chunksize.unwrap_or_else(|| default_chunksize(items, workers));
    let (sequential_s, _) = sequential(items, work);
    let t0 = Instant::now();
    let mut children = Vec::with_capacity(workers);
    for _ in 0..workers {
        let child = crate::install::gilsim_command()?
            .arg(CHILD_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting a pool child process")?;
        children.push(child);
    }
    let m0 = Instant::now();
    let all = Arc::new(chunks(items, chunksize));
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(Mutex::new(vec![u64::MAX; items]));
    let mut feeders = Vec::new();
    for child in &mut children {
        let mut stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let (all, next, out) = (Arc::clone(&all), Arc::clone(&next), Arc::clone(&out));
        feeders.push(std::thread::spawn(move || -> Result<Instant> {
            let mut line = String::new();
            stdout.read_line(&mut line)?;
            if line.trim() != "ready" {
                bail!("a pool child did not start (said {line:?})");
            }
            let ready = Instant::now();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(start, len)) = all.get(i) else {
                    break;
                };
                writeln!(stdin, "{work} {start} {len}")?;
                line.clear();
                stdout.read_line(&mut line)?;
                let values: Vec<u64> = line
                    .split_whitespace()
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
                if values.len() != len {
                    bail!(
                        "a pool child answered {} values for a chunk of {len}",
                        values.len()
                    );
                }
                out.lock().expect("results")[start..start + len].copy_from_slice(&values);
            }
            Ok(ready)
        }));
    }
    let mut ready = Vec::new();
    for feeder in feeders {
        ready.push(feeder.join().expect("feeder thread")?);
    }
    let m1 = Instant::now();
    // Closing stdin (the feeders dropped it) tells each child to exit.
    for mut child in children {
        let status = child.wait()?;
        if !status.success() {
            bail!("a pool child exited with {status}");
        }
    }
    let t1 = Instant::now();
    let out = out.lock().expect("results");
    Ok(Times { t0, m0, m1, t1 }.outcome(&ready, sequential_s, chunksize, &out))
}

/// A pool child: says it is ready, then answers `work start len` lines with the results of
/// f over that chunk, until its stdin closes.
pub fn child_main() -> ! {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "ready").and_then(|_| out.flush());
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let fields: Vec<u64> = line
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        let [work, start, len] = fields[..] else {
            std::process::exit(2)
        };
        let values: Vec<String> = (start..start + len)
            .map(|x| f(work, x).to_string())
            .collect();
        if writeln!(out, "{}", values.join(" "))
            .and_then(|_| out.flush())
            .is_err()
        {
            break;
        }
    }
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_once() {
        assert_eq!(chunks(10, 4), vec![(0, 4), (4, 4), (8, 2)]);
        assert_eq!(default_chunksize(1024, 8), 32);
        assert_eq!(default_chunksize(3, 8), 1);
    }

    #[test]
    fn thread_pool_returns_results_in_order() {
        let outcome = thread_map(4, 1000, Some(7), 10);
        assert!(outcome.results_ok);
        assert_eq!(outcome.workers_ready, 4);
        assert!(outcome.startup_s.is_some());
    }
}
