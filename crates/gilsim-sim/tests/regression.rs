//! A regression snapshot: the engine gives exactly the answers it gave when the snapshot was
//! taken (the same seed, the same walls, hand-offs, held times and requests, bit for bit) over
//! small scenarios of every kind (1-8 CPU threads, 0.1-50 ms, I/O threads, every policy, 1 and
//! 2 cores). It says that an answer changed, not that either answer is right: `analytic.rs`
//! checks the engine against answers worked out by hand. After a deliberate change of the
//! model, review and accept the new answers with `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test -p gilsim-sim --test regression`).
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
fn the_engine_gives_the_snapshots_answers() {
    let now: Vec<Value> = corpus().iter().map(describe).collect();
    insta::assert_json_snapshot!("engine_answers", now);
}
