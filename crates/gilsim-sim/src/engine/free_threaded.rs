//! No GIL (`none`): every runnable thread progresses at once, sharing the cores.
use super::*;

/// No GIL: every runnable thread progresses, sharing `cores`.
pub(super) fn simulate_free_threaded(p: &Params, s: &Scenario) -> Outcome {
    let n = s.cpu_threads;
    let per_thread = crate::split(s.count, n.max(1));
    let mut left: Vec<f64> = (0..n)
        .map(|i| per_thread[i] as f64 * p.iteration_s)
        .collect();
    let mut done: Vec<Option<f64>> = vec![None; n];
    let mut now = 0.0;
    let mut events = 0;
    let cores = s.cores.max(1) as f64;
    let end = s.duration_s.unwrap_or(f64::INFINITY);
    loop {
        let active: Vec<usize> = (0..n).filter(|&i| done[i].is_none()).collect();
        if active.is_empty() {
            break;
        }
        let rate = (cores / active.len() as f64).min(1.0);
        let next = active
            .iter()
            .map(|&i| left[i] / rate)
            .fold(f64::INFINITY, f64::min);
        let step = next.min(end - now);
        for &i in &active {
            left[i] -= step * rate;
            if left[i] <= 1e-15 {
                done[i] = Some(now + step);
            }
        }
        now += step;
        events += 1;
        if now >= end {
            break;
        }
    }
    // I/O threads never wait for anything but their own calls.
    let io_rate = 1.0 / (p.io_request_cpu_s + p.io_outside_s);
    let wall = if n == 0 {
        s.duration_s.unwrap_or(0.0)
    } else {
        now
    };
    Outcome {
        wall_s: wall,
        switches: 0,
        gil_held_s: 0.0,
        threads: (0..n + s.io_threads)
            .map(|i| ThreadOutcome {
                name: thread_name(s, i),
                held_s: 0.0,
                wait_s: 0.0,
                done_at_s: done.get(i).copied().flatten(),
            })
            .collect(),
        requests: (io_rate * wall) as u64 * s.io_threads as u64,
        events,
        complete: true,
        event_limit: EVENT_LIMIT,
        extrapolated: None,
        changes: Vec::new(),
    }
}
