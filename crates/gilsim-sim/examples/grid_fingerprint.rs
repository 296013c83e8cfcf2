//! Prints every outcome of a grid of scenarios, for comparing two versions of the engine.
use gilsim_sim::{simulate, Params, Policy, Scenario};

fn main() {
    let p = Params::default();
    for policy in [Policy::New, Policy::Old] {
        for threads in [0usize, 1, 2, 3, 8, 40] {
            for io in [0usize, 1, 4, 30] {
                if threads + io == 0 {
                    continue;
                }
                for interval in [0.005, 0.001] {
                    for cores in [1usize, 2, 4] {
                        for (exact, record) in [(true, true), (false, false)] {
                            let s = Scenario {
                                io_threads: io,
                                policy,
                                exact,
                                record,
                                seed: 7,
                                duration_s: if io > 0 { Some(3.0) } else { None },
                                ..Scenario::cpu_bound(
                                    threads,
                                    (threads as f64 * 0.5 / p.iteration_s) as u64,
                                    interval,
                                    cores,
                                )
                            };
                            let mut o = simulate(&p, &s);
                            let changes = std::mem::take(&mut o.changes);
                            let digest: f64 = changes
                                .iter()
                                .map(|c| c.t * (1.0 + c.holder.unwrap_or(999) as f64))
                                .sum();
                            println!(
                                "{threads} {io} {interval} {cores} {exact} {policy:?}: {o:?} {} {digest:e}",
                                changes.len()
                            );
                        }
                    }
                }
            }
        }
    }
}
