//! The validation grid: the training points the model is fitted on, and the held-out points it
//! must predict.
use anyhow::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Train,
    HeldOut,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Train => "train",
            Role::HeldOut => "held-out",
        }
    }
}

/// One countdown setting: threads, switch interval, CPUs (None: all).
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub threads: usize,
    pub interval: f64,
    pub cpus: Option<usize>,
    pub role: Role,
}

impl Point {
    fn new(threads: usize, interval: f64, cpus: Option<usize>, role: Role) -> Point {
        Point {
            threads,
            interval,
            cpus,
            role,
        }
    }

    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} thread{} at {} ms",
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            self.interval * 1e3
        );
        if let Some(c) = self.cpus {
            text += &format!(" on {c} CPU{}", if c == 1 { "" } else { "s" });
        }
        text
    }
}

/// Training points first (the 1-thread reference at index 0), then the held-out ones: by
/// default 2 threads at 1, 20 and 50 ms, 4 and 8 threads at 5 ms, and 2 threads at 5 ms on 1
/// CPU (trained at 0.1 ms on 1 CPU);
/// with `--threads`/`--switch-interval` lists, every combination of them that is not a
/// training point.
pub fn points(threads: &[usize], intervals: &[f64], cores: usize) -> Result<Vec<Point>> {
    if threads.contains(&0) {
        crate::usage_bail!(
            "--validate runs the countdown on each --threads value: they must be at least 1"
        );
    }
    let mut grid = vec![
        Point::new(1, 0.005, None, Role::Train),
        Point::new(2, 0.0001, None, Role::Train),
        Point::new(2, 0.005, None, Role::Train),
    ];
    let held: Vec<Point> = if threads.is_empty() && intervals.is_empty() {
        let mut held = vec![
            Point::new(2, 0.001, None, Role::HeldOut),
            Point::new(2, 0.02, None, Role::HeldOut),
            Point::new(2, 0.05, None, Role::HeldOut),
            Point::new(4, 0.005, None, Role::HeldOut),
            Point::new(8, 0.005, None, Role::HeldOut),
        ];
        if cores >= 2 {
            // On one CPU the OS decides when a waiter runs: its time slice is learnt at an
            // interval far shorter than a slice, and predicted at 5 ms.
            grid.push(Point::new(
                2,
                crate::scenario::calibrate::SLICE_INTERVAL,
                Some(1),
                Role::Train,
            ));
            held.push(Point::new(2, 0.005, Some(1), Role::HeldOut));
        }
        held
    } else {
        let threads = if threads.is_empty() {
            vec![2]
        } else {
            threads.to_vec()
        };
        let intervals = if intervals.is_empty() {
            vec![0.005]
        } else {
            intervals.to_vec()
        };
        threads
            .iter()
            .flat_map(|&n| {
                intervals
                    .iter()
                    .map(move |&i| Point::new(n, i, None, Role::HeldOut))
            })
            .collect()
    };
    for p in held {
        let trained = grid
            .iter()
            .any(|t| t.threads == p.threads && t.interval == p.interval && t.cpus == p.cpus);
        if !trained && !grid.contains(&p) {
            grid.push(p);
        }
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_comes_first_and_is_never_held_out() {
        let g = points(&[], &[], 2).unwrap();
        assert_eq!(
            (g[0].threads, g[0].interval, g[0].role),
            (1, 0.005, Role::Train)
        );
        assert_eq!(g.iter().filter(|p| p.role == Role::Train).count(), 4);
        assert!(g
            .iter()
            .any(|p| p.cpus == Some(1) && p.role == Role::HeldOut));
        assert!(g.iter().any(|p| p.cpus == Some(1) && p.role == Role::Train));
        assert_eq!(g.len(), 10);
        // On one CPU there are no separate 1-CPU points.
        assert_eq!(points(&[], &[], 1).unwrap().len(), 8);
        // Lists give their combinations, less what is trained on.
        let g = points(&[1, 2], &[0.005, 0.001], 2).unwrap();
        let held: Vec<(usize, f64)> = g
            .iter()
            .filter(|p| p.role == Role::HeldOut)
            .map(|p| (p.threads, p.interval))
            .collect();
        assert_eq!(held, [(1, 0.001), (2, 0.001)]);
        assert!(points(&[0], &[], 2).is_err());
    }
}
