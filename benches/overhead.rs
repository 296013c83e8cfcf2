//! What a sampler costs the process it reads, resolved by alternation: one long-lived target (a
//! pure-Python loop in a thread, reporting its progress every 10 ms with `time.monotonic()`)
//! runs through pairs of segments, one with the sampler attached and one without, in an order
//! that alternates from pair to pair; each segment's work rate is read from the target's own
//! progress over the same second. The cost is 1 − (rate with / rate without), per pair; the
//! median over pairs with a 95 % bootstrap interval over pairs. Samplers: `gilsim watch --pid`
//! at 100 Hz and 1 kHz, `gilsim profile --pid` at 100 Hz and 1 kHz, and py-spy `record` at
//! 100 Hz where it is found (`GILSIM_PY_SPY`, else `py-spy` on PATH).
//!
//! Each attached segment starts the sampler afresh and skips its first `SETTLE` (start-up and
//! attaching: reading symbols, calibrating), so the figure is the steady cost of sampling.
//! Pairs per sampler: `GILSIM_OVERHEAD_PAIRS` (default 10).
mod common;
use common::GILSIM;
use gilsim::measure::clock::monotonic_ns;
use gilsim::stats::{bootstrap, median};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The target: a loop counting in a thread; the main thread prints (time, count) every 10 ms.
const TARGET: &str = "import sys, threading, time\n\
count = 0\n\
def work():\n    global count\n    n = 0\n    while True:\n        n += 1\n        if n & 4095 == 0: count = n\n\
threading.Thread(target=work, daemon=True).start()\n\
while True:\n    time.sleep(0.01)\n    print(time.monotonic(), count, flush=True)\n";

/// Skipped at the start of every segment, and the stretch measured after it.
const SETTLE: Duration = Duration::from_millis(500);
const MEASURED: Duration = Duration::from_millis(1000);

fn now_s() -> f64 {
    monotonic_ns() as f64 * 1e-9
}

/// The target's progress lines, (time, count), as they arrive.
struct Target {
    child: Child,
    progress: Arc<Mutex<Vec<(f64, f64)>>>,
}

impl Target {
    fn start(python: &str) -> Target {
        let mut child = Command::new(python)
            .args(["-c", TARGET])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the target starts");
        let progress = Arc::new(Mutex::new(Vec::new()));
        let sink = progress.clone();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut words = line.split_whitespace().map(|w| w.parse::<f64>());
                if let (Some(Ok(t)), Some(Ok(c))) = (words.next(), words.next()) {
                    sink.lock().unwrap().push((t, c));
                }
            }
        });
        Target { child, progress }
    }

    /// Work per second between `from` and `to` (monotonic seconds), from the last progress
    /// lines at or before each.
    fn rate(&self, from: f64, to: f64) -> f64 {
        let p = self.progress.lock().unwrap();
        let at = |t: f64| *p.iter().rev().find(|(s, _)| *s <= t).expect("progress");
        let ((t0, c0), (t1, c1)) = (at(from), at(to));
        (c1 - c0) / (t1 - t0)
    }
}

/// A sampler's command line for `pid`, running a little longer than one segment.
fn sampler(name: &str, pid: u32, py_spy: Option<&str>) -> Command {
    let seconds = (SETTLE + MEASURED + Duration::from_millis(300)).as_secs_f64();
    let rate = if name.ends_with("1 kHz") {
        "1000"
    } else {
        "100"
    };
    let (program, args): (&str, Vec<String>) = match name {
        "watch 100 Hz" | "watch 1 kHz" => (
            GILSIM,
            vec![
                "watch".into(),
                "--pid".into(),
                pid.to_string(),
                "--sample-rate".into(),
                rate.into(),
                "--every".into(),
                "60".into(),
                "--duration".into(),
                seconds.to_string(),
            ],
        ),
        "profile 100 Hz" | "profile 1 kHz" => (
            GILSIM,
            vec![
                "profile".into(),
                "--pid".into(),
                pid.to_string(),
                "--rate".into(),
                rate.into(),
                "--duration".into(),
                seconds.to_string(),
                "--format".into(),
                "json".into(),
            ],
        ),
        // py-spy takes whole seconds: it runs on past the segment, and is killed at its end.
        _ => (
            py_spy.expect("py-spy"),
            vec![
                "record".into(),
                "--pid".into(),
                pid.to_string(),
                "--rate".into(),
                "100".into(),
                "--duration".into(),
                "3".into(),
                "--format".into(),
                "raw".into(),
                "--output".into(),
                "/dev/null".into(),
            ],
        ),
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// One segment: the measured rate, with `attach` sampling it (or nothing).
fn segment(target: &Target, attach: Option<Command>) -> f64 {
    let mut tool = attach.map(|mut c| c.spawn().expect("the sampler starts"));
    std::thread::sleep(SETTLE);
    let from = now_s();
    std::thread::sleep(MEASURED);
    let to = now_s();
    // The last progress line at or before `to` has arrived within 10 ms.
    std::thread::sleep(Duration::from_millis(30));
    let rate = target.rate(from, to);
    if let Some(tool) = tool.as_mut() {
        let _ = tool.kill();
        let _ = tool.wait();
    }
    rate
}

fn main() {
    // `cargo bench` passes criterion-style arguments; this bench takes none.
    let pairs: usize = std::env::var("GILSIM_OVERHEAD_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let py_spy = std::env::var("GILSIM_PY_SPY").ok().or_else(|| {
        Command::new("py-spy")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| "py-spy".to_string())
    });
    let python = common::embedded_python();
    let mut target = Target::start(&python);
    std::thread::sleep(Duration::from_millis(500));
    let mut samplers = vec![
        "watch 100 Hz",
        "watch 1 kHz",
        "profile 100 Hz",
        "profile 1 kHz",
    ];
    if py_spy.is_some() {
        samplers.push("py-spy record 100 Hz");
    } else {
        println!("py-spy record 100 Hz: skipped, py-spy not found (GILSIM_PY_SPY or PATH)");
    }
    println!(
        "Sampler cost by alternation: {pairs} pairs per sampler, {} s measured per segment after \
         {} s settling; cost = 1 - rate with / rate without, median over pairs (95 % bootstrap).",
        MEASURED.as_secs_f64(),
        SETTLE.as_secs_f64()
    );
    // The samplers take turns pair by pair, so each meets the same drift of the machine.
    let mut ratios: Vec<Vec<f64>> = samplers.iter().map(|_| Vec::new()).collect();
    for pair in 0..pairs {
        for (i, name) in samplers.iter().enumerate() {
            let attach = || Some(sampler(name, target.child.id(), py_spy.as_deref()));
            let (with, without) = if (pair + i) % 2 == 0 {
                let w = segment(&target, attach());
                (w, segment(&target, None))
            } else {
                let o = segment(&target, None);
                (segment(&target, attach()), o)
            };
            ratios[i].push(with / without);
        }
    }
    let _ = target.child.kill();
    let _ = target.child.wait();
    for (name, r) in samplers.iter().zip(&ratios) {
        let cost = |v: &[f64]| 1.0 - median(v);
        let (lo, hi) = bootstrap(r.len(), 7, |idx| {
            cost(&idx.iter().map(|&i| r[i]).collect::<Vec<_>>())
        });
        println!(
            "{name:<22} cost {:+.1} % (95 % interval {:+.1} % to {:+.1} %; pair ratios {:.3}-{:.3})",
            cost(r) * 100.0,
            lo * 100.0,
            hi * 100.0,
            r.iter().copied().fold(f64::INFINITY, f64::min),
            r.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
    }
}
