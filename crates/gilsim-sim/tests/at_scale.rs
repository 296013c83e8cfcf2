//! Long runs: the steady-state fast-forward against every event simulated, the serial floor,
//! and a run the event limit cuts short saying so.
use gilsim_sim::{simulate, simulate_with_limit, Outcome, Params, Policy, Scenario};

fn scenario(threads: usize, policy: Policy, interval: f64, count: u64, exact: bool) -> Scenario {
    Scenario {
        policy,
        seed: 5,
        main_thread: policy == Policy::New,
        exact,
        ..Scenario::cpu_bound(threads, count, interval, 2)
    }
}

#[test]
fn the_fast_forward_lands_within_its_bound_of_the_exact_run() {
    let p = Params::default();
    for (threads, policy, interval, count) in [
        (64, Policy::New, 0.001, 10_000_000_000),
        (2, Policy::New, 0.0001, 3_000_000_000),
        (4, Policy::Old, 0.005, 3_000_000_000),
    ] {
        let fast = simulate(&p, &scenario(threads, policy, interval, count, false));
        let exact = simulate(&p, &scenario(threads, policy, interval, count, true));
        let x = fast
            .extrapolated
            .as_ref()
            .unwrap_or_else(|| panic!("{threads} {policy:?} {interval}: no fast-forward"));
        assert!(exact.extrapolated.is_none() && fast.complete && exact.complete);
        assert!(x.skipped_s > 0.5 * exact.wall_s, "{x:?}");
        assert!(
            (fast.wall_s - exact.wall_s).abs() <= x.wall_bound_s,
            "{threads} {policy:?} {interval}: {} vs {} exact, bound {}",
            fast.wall_s,
            exact.wall_s,
            x.wall_bound_s
        );
        hand_offs_close_in_fewer_events(&fast, &exact);
    }
}

/// The fast-forwarded run's hand-offs within 2 % of the exact run's, in under a third of its
/// events (the point of it).
fn hand_offs_close_in_fewer_events(fast: &Outcome, exact: &Outcome) {
    let switches = (fast.switches as f64 - exact.switches as f64).abs() / exact.switches as f64;
    assert!(
        switches < 0.02,
        "hand-offs {} vs {}",
        fast.switches,
        exact.switches
    );
    assert!(
        fast.events * 3 < exact.events,
        "{} vs {}",
        fast.events,
        exact.events
    );
}

#[test]
fn no_gil_policy_predicts_less_than_the_work_done_one_thread_at_a_time() {
    let p = Params::default();
    for policy in [Policy::New, Policy::Old] {
        for threads in [2, 8, 64] {
            for exact in [false, true] {
                let count = 2_000_000_000;
                let o = simulate(&p, &scenario(threads, policy, 0.001, count, exact));
                let floor = count as f64 * p.iteration_s;
                assert!(
                    o.wall_s >= floor,
                    "{policy:?} {threads}: {} < {floor}",
                    o.wall_s
                );
            }
        }
    }
}

#[test]
fn a_run_cut_short_by_the_event_limit_says_so() {
    let p = Params::default();
    let s = scenario(8, Policy::New, 0.001, 1_000_000_000, true);
    let cut = simulate_with_limit(&p, &s, 10_000);
    assert!(!cut.complete);
    assert_eq!(cut.event_limit, 10_000);
    assert!(cut.wall_s < 1_000_000_000.0 * p.iteration_s);
    let whole = simulate(&p, &s);
    assert!(whole.complete);
}

#[test]
fn with_io_threads_and_a_duration_the_fast_forward_lands_within_its_bounds() {
    let p = Params::default();
    let run = |exact: bool| {
        simulate(
            &p,
            &Scenario {
                io_threads: 2,
                duration_s: Some(120.0),
                ..scenario(4, Policy::New, 0.001, 1_000_000_000_000, exact)
            },
        )
    };
    let (fast, exact) = (run(false), run(true));
    let x = fast.extrapolated.as_ref().expect("a fast-forward");
    assert!(exact.extrapolated.is_none() && fast.complete && exact.complete);
    assert!(x.skipped_s > 60.0, "{x:?}");
    // The duration ends both runs at the same moment.
    assert_eq!(fast.wall_s, 120.0);
    assert_eq!(exact.wall_s, 120.0);
    let requests = (fast.requests as f64 - exact.requests as f64).abs();
    assert!(
        requests <= x.requests_bound.max(1.0),
        "requests {} vs {} exact, bound {}",
        fast.requests,
        exact.requests,
        x.requests_bound
    );
    hand_offs_close_in_fewer_events(&fast, &exact);
}
