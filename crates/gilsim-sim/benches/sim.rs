//! The simulator's speed: events per second on a 60 s, 8-thread, 1 ms run, and the wall time
//! it takes to answer for one simulated hour of 8 and 64 CPU threads at 1 ms and 5 ms, exact
//! (every event) and by default (steady state fast-forwarded), and a simulated day of 1,000
//! CPU-bound threads beside 1,000 I/O threads at 1 ms. Goals: an hour of 64 threads at 1 ms in
//! under a second; the day of 1,000 + 1,000 threads in under a second.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gilsim_sim::{simulate, Params, Scenario};

fn scenario(threads: usize, interval: f64, seconds: f64, exact: bool) -> Scenario {
    let p = Params::default();
    Scenario {
        exact,
        ..Scenario::cpu_bound(threads, (seconds / p.iteration_s) as u64, interval, 2)
    }
}

fn sixty_seconds(c: &mut Criterion) {
    let p = Params::default();
    let s = scenario(8, 0.001, 60.0, true);
    let events = simulate(&p, &s).events;
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10).throughput(Throughput::Elements(events));
    g.bench_function("60s_8_threads_1ms", |b| b.iter(|| simulate(&p, &s)));
    g.finish();
}

fn one_hour(c: &mut Criterion) {
    let p = Params::default();
    let mut g = c.benchmark_group("one_simulated_hour");
    g.sample_size(10);
    for threads in [8, 64] {
        for interval in [0.001, 0.005] {
            for exact in [false, true] {
                let s = scenario(threads, interval, 3600.0, exact);
                let o = simulate(&p, &s);
                println!(
                    "{threads} threads at {} ms{}: predicted {:.1} s, {} hand-offs, {} events, {}",
                    interval * 1e3,
                    if exact { ", exact" } else { "" },
                    o.wall_s,
                    o.switches,
                    o.events,
                    o.extrapolated
                        .as_ref()
                        .map_or("every event simulated".into(), |x| format!(
                            "{:.0} s fast-forwarded, ±{:.3} s",
                            x.skipped_s, x.wall_bound_s
                        ))
                );
                let name = format!(
                    "{threads}_threads_{}ms{}",
                    interval * 1e3,
                    if exact { "_exact" } else { "" }
                );
                g.bench_function(name, |b| b.iter(|| simulate(&p, &s)));
            }
        }
    }
    g.finish();
}

fn server_day(c: &mut Criterion) {
    let p = Params::default();
    let s = Scenario {
        io_threads: 1000,
        duration_s: Some(86_400.0),
        ..scenario(1000, 0.001, 86_400.0 * 2.0, false)
    };
    let o = simulate(&p, &s);
    println!(
        "1,000 + 1,000 I/O threads at 1 ms for a day: predicted {:.1} s, {} hand-offs, {} \
         requests, {} events, {}",
        o.wall_s,
        o.switches,
        o.requests,
        o.events,
        o.extrapolated
            .as_ref()
            .map_or("every event simulated".into(), |x| format!(
                "{:.0} s fast-forwarded, wall ±{:.3} s, requests ±{:.0}",
                x.skipped_s, x.wall_bound_s, x.requests_bound
            ))
    );
    let mut g = c.benchmark_group("server_scale");
    g.sample_size(10);
    g.bench_function("day_1000_cpu_1000_io_1ms", |b| b.iter(|| simulate(&p, &s)));
    g.finish();
}

criterion_group!(benches, sixty_seconds, one_hour, server_day);
criterion_main!(benches);
