//! The simulator's speed: events per second, and the 60 s, 8-thread, 1 ms scenario (target:
//! well under a second).
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gilsim_sim::{simulate, Params, Policy, Scenario};

fn scenario() -> Scenario {
    let p = Params::default();
    Scenario {
        cpu_threads: 8,
        // 60 s of work at the default 21 ns per iteration.
        count: (60.0 / p.iteration_s) as u64,
        io_threads: 0,
        cores: 2,
        switch_interval_s: 0.001,
        policy: Policy::New,
        seed: 1,
        duration_s: None,
        record: false,
        main_thread: false,
    }
}

fn sixty_seconds(c: &mut Criterion) {
    let p = Params::default();
    let s = scenario();
    let events = simulate(&p, &s).events;
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10).throughput(Throughput::Elements(events));
    g.bench_function("60s_8_threads_1ms", |b| b.iter(|| simulate(&p, &s)));
    g.finish();
}

criterion_group!(benches, sixty_seconds);
criterion_main!(benches);
