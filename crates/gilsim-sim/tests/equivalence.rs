//! The engine gives exactly the answers it gave when `recorded.json` was made: the same seed,
//! the same walls, hand-offs, held times and requests, bit for bit, over small scenarios of
//! every kind (1-8 CPU threads, 0.1-50 ms, I/O threads, every policy, 1 and 2 cores).
//!
//! `GILSIM_RECORD=1 cargo test -p gilsim-sim --test equivalence` writes the file anew; it was
//! written by the engine that scheduled every waiter's timed wait as an event of its own.
use gilsim_sim::{simulate, Params, Policy, Scenario};
use serde_json::{json, Value};

fn corpus() -> Vec<Scenario> {
    let mut out = Vec::new();
    for policy in [Policy::New, Policy::Old, Policy::None] {
        for threads in [1, 2, 4, 8] {
            for interval in [0.0001, 0.001, 0.005, 0.05] {
                for (cores, main_thread) in [(2, true), (1, false)] {
                    out.push(Scenario {
                        cpu_threads: threads,
                        count: 4_000_000,
                        io_threads: 0,
                        cores,
                        switch_interval_s: interval,
                        policy,
                        seed: 7 + threads as u64,
                        duration_s: None,
                        record: false,
                        main_thread: main_thread && policy == Policy::New && threads > 1,
                        exact: true,
                    });
                }
            }
        }
    }
    for policy in [Policy::New, Policy::Old] {
        for (cpu, io) in [(0, 1), (1, 1), (2, 1), (2, 2)] {
            for interval in [0.0001, 0.005] {
                out.push(Scenario {
                    cpu_threads: cpu,
                    count: u64::MAX / 4,
                    io_threads: io,
                    cores: 2,
                    switch_interval_s: interval,
                    policy,
                    seed: 3,
                    duration_s: Some(0.2),
                    record: false,
                    main_thread: false,
                    exact: true,
                });
            }
        }
    }
    out
}

fn describe(s: &Scenario) -> Value {
    let o = simulate(&Params::default(), s);
    json!({
        "scenario": format!(
            "{} cpu={} io={} cores={} interval={} main={} seed={}",
            s.policy.name(), s.cpu_threads, s.io_threads, s.cores, s.switch_interval_s,
            s.main_thread, s.seed
        ),
        "wall_s": o.wall_s,
        "switches": o.switches,
        "gil_held_s": o.gil_held_s,
        "requests": o.requests,
        "threads": o.threads.iter().map(|t| json!([t.held_s, t.wait_s, t.done_at_s])).collect::<Vec<_>>(),
    })
}

#[test]
fn the_engine_reproduces_the_recorded_answers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recorded.json");
    let now: Vec<Value> = corpus().iter().map(describe).collect();
    if std::env::var_os("GILSIM_RECORD").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
        return;
    }
    let recorded: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("recorded.json")).unwrap();
    assert_eq!(
        recorded.len(),
        now.len(),
        "the corpus changed: record it anew"
    );
    for (was, is) in recorded.iter().zip(&now) {
        assert_eq!(
            was, is,
            "{} no longer gives the recorded answer",
            was["scenario"]
        );
    }
}
