//! One simulated day of 1,000 CPU threads and 1,000 I/O threads at 1 ms, timed once (the
//! `server_scale` bench's scenario, for profiling).
use gilsim_sim::{simulate, Params, Scenario};

fn main() {
    let p = Params::default();
    let s = Scenario {
        io_threads: 1000,
        duration_s: Some(86_400.0),
        ..Scenario::cpu_bound(1000, (86_400.0 * 2.0 / p.iteration_s) as u64, 0.001, 2)
    };
    let start = std::time::Instant::now();
    let o = simulate(&p, &s);
    println!(
        "{:.3} s to simulate: wall {:.1} s, {} hand-offs, {} requests, {} events, {:?}",
        start.elapsed().as_secs_f64(),
        o.wall_s,
        o.switches,
        o.requests,
        o.events,
        o.extrapolated
            .map(|x| (x.skipped_s, x.wall_bound_s, x.requests_bound))
    );
}
