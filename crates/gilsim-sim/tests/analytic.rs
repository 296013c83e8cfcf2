//! The engine against answers worked out by hand from its parameters, independent of any
//! recorded output: one thread's wall is its work; two CPU-bound threads under the new GIL
//! hand over once per switch interval plus the hand-off's own delays, each hand-off costing
//! the wake-up and the switch; without a GIL the cores share the work.
use gilsim_sim::{simulate, Params, Policy, Scenario};

const COUNT: u64 = 20_000_000;

/// Parameters without jitter, so that every delay is its stated value.
fn exact_params() -> Params {
    Params {
        jitter: 0.0,
        ..Params::default()
    }
}

fn scenario(threads: usize, interval: f64, cores: usize, policy: Policy) -> Scenario {
    Scenario {
        policy,
        main_thread: false,
        exact: true,
        ..Scenario::cpu_bound(threads, COUNT, interval, cores)
    }
}

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * b.abs()
}

#[test]
fn one_thread_takes_its_work_and_no_hand_off() {
    let p = exact_params();
    let work = COUNT as f64 * p.iteration_s;
    for policy in [Policy::New, Policy::Old, Policy::None] {
        for cores in [1, 2] {
            let o = simulate(&p, &scenario(1, 0.005, cores, policy));
            assert_eq!(o.switches, 0, "{policy:?}");
            assert!(
                close(o.wall_s, work, 1e-9),
                "{policy:?}: {} vs {work}",
                o.wall_s
            );
        }
    }
}

#[test]
fn two_threads_on_the_new_gil_hand_over_once_per_interval_and_its_delays() {
    let p = exact_params();
    let work = COUNT as f64 * p.iteration_s;
    for interval in [0.0005, 0.001, 0.005, 0.02] {
        let o = simulate(&p, &scenario(2, interval, 2, Policy::New));
        // Each hand-off: the waiter's timed wait ends late by the timer's lateness, the GIL is
        // free while the signalled waiter wakes, and the dropped thread is woken to wait again.
        let slice = interval + p.timeout_latency_s + p.wakeup_s + p.rewait_s;
        let expected = o.wall_s / slice;
        assert!(
            (o.switches as f64 - expected).abs() <= 1.0,
            "{interval}: {} hand-offs, {expected:.1} expected",
            o.switches
        );
        // The work, plus each hand-off's free GIL and the new holder's extra CPU.
        let wall = work + o.switches as f64 * (p.wakeup_s + p.switch_cost_s);
        assert!(
            close(o.wall_s, wall, 1e-9),
            "{interval}: {} vs {wall}",
            o.wall_s
        );
    }
}

#[test]
fn without_a_gil_the_cores_share_the_work() {
    let p = exact_params();
    let work = COUNT as f64 * p.iteration_s;
    for (threads, cores) in [(2, 2), (4, 2), (2, 1), (8, 4), (3, 4)] {
        let o = simulate(&p, &scenario(threads, 0.005, cores, Policy::None));
        // Each thread on a core of its own finishes its share; more threads than cores share
        // the cores evenly (processor sharing).
        let expected = if threads <= cores {
            COUNT.div_ceil(threads as u64) as f64 * p.iteration_s
        } else {
            work / cores as f64
        };
        assert!(
            close(o.wall_s, expected, 1e-9),
            "{threads} threads on {cores} cores: {} vs {expected}",
            o.wall_s
        );
        assert_eq!(o.switches, 0);
    }
}
