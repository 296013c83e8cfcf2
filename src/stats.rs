//! Summary statistics of repeated timings: robust centre and spread, bootstrap intervals.
use rand::{Rng, SeedableRng};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
    /// Coefficient of variation: sample standard deviation / mean.
    pub cv: f64,
    pub samples: Vec<f64>,
}

/// Fewer runs than this give no spread worth the name: a verdict that compares medians says
/// "undetermined" instead of deciding.
pub const MIN_RUNS_FOR_SPREAD: usize = 3;

pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "median of no values");
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The p-th percentile (0-100) with linear interpolation between the closest ranks.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    assert!(!values.is_empty(), "percentile of no values");
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (p / 100.0).clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
}

/// The indices of the fastest half of `values` (the ⌈n/2⌉ smallest), fastest first.
///
/// Why: on a shared host, noise in a CPU-bound timing is one-sided (contention only slows a
/// run down), so the fast half estimates the undisturbed cost more stably than the median
/// (figures in docs/methodology.md), the reasoning of `timeit`'s minimum without resting on a
/// single run.
pub fn fast_half(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order.truncate(values.len().div_ceil(2));
    order
}

/// The mean of the fastest half of `values` (see [`fast_half`]).
pub fn fast_half_mean(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "fast-half mean of no values");
    let picked = fast_half(values);
    picked.iter().map(|&i| values[i]).sum::<f64>() / picked.len() as f64
}

/// The mean of the fastest quarter of `walls` (at least one). Noise on a shared machine only
/// slows a run down, and on a virtual machine a lone thread can stay on a slowed CPU for a whole
/// run, so that more than half of a 1-thread point's runs can be slow: the fast half would
/// still be contaminated where the fastest quarter is not.
pub fn fastest_quarter_mean(walls: &[f64]) -> f64 {
    let mut sorted = walls.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len().div_ceil(4).max(1);
    sorted[..n.min(sorted.len())].iter().sum::<f64>() / n as f64
}

impl Summary {
    pub fn of(samples: &[f64]) -> Summary {
        let med = median(samples);
        let deviations: Vec<f64> = samples.iter().map(|x| (x - med).abs()).collect();
        let n = samples.len() as f64;
        let mean = samples.iter().sum::<f64>() / n;
        let var = if samples.len() > 1 {
            samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Summary {
            median: med,
            min: samples.iter().copied().fold(f64::INFINITY, f64::min),
            max: samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mad: median(&deviations),
            cv: if mean > 0.0 { var.sqrt() / mean } else { 0.0 },
            samples: samples.to_vec(),
        }
    }

    /// Robust relative spread: MAD scaled to a normal standard deviation (×1.4826), over the
    /// median. Used to decide what "within noise" means for a ratio of two medians.
    pub fn robust_rel_spread(&self) -> f64 {
        if self.median > 0.0 {
            1.4826 * self.mad / self.median
        } else {
            0.0
        }
    }
}

/// Bootstrap resamples per interval.
const RESAMPLES: usize = 2000;

/// The 95 % interval of `statistic` over `rounds` rounds; `statistic` gets the resampled
/// round indices.
pub fn bootstrap(rounds: usize, seed: u64, statistic: impl Fn(&[usize]) -> f64) -> (f64, f64) {
    if rounds == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut idx = vec![0usize; rounds];
    let mut values = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        for i in idx.iter_mut() {
            *i = rng.random_range(0..rounds);
        }
        values.push(statistic(&idx));
    }
    (percentile(&values, 2.5), percentile(&values, 97.5))
}

/// A ratio of two settings' wall times and the range its runs allow: the ratio of their
/// fastest runs (noise on a shared machine only slows a run down), and its 95 % bootstrap
/// interval over rounds (each round runs every setting once, in a shuffled order, so a round
/// is resampled whole). No range with fewer than `MIN_RUNS_FOR_SPREAD` rounds.
pub fn fastest_ratio(a: &Summary, b: &Summary) -> (Option<f64>, Option<[f64; 2]>) {
    let point = Some(a.min / b.min).filter(|r| r.is_finite() && *r > 0.0);
    let rounds = a.samples.len().min(b.samples.len());
    let Some(p) = point else {
        return (None, None);
    };
    if rounds < MIN_RUNS_FOR_SPREAD {
        return (point, None);
    }
    let fastest = |values: &[f64], idx: &[usize]| {
        idx.iter().map(|&i| values[i]).fold(f64::INFINITY, f64::min)
    };
    let (lo, hi) = bootstrap(rounds, 1, |idx| {
        fastest(&a.samples, idx) / fastest(&b.samples, idx)
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return (point, None);
    }
    (point, Some([lo.min(p), hi.max(p)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fastest_ratio_has_a_bootstrap_range_and_needs_three_rounds() {
        let a = Summary::of(&[2.0, 2.2, 2.1]);
        let b = Summary::of(&[1.0, 1.0, 1.4]);
        let (point, range) = fastest_ratio(&a, &b);
        assert_eq!(point, Some(2.0));
        // The seeded bootstrap's 2.5th and 97.5th percentiles: 2.1 / 1.4 and 2.2 / 1.0.
        let [lo, hi] = range.unwrap();
        assert!(
            (lo - 1.5).abs() < 1e-9 && (hi - 2.2).abs() < 1e-9,
            "{lo} {hi}"
        );
        let (_, none) = fastest_ratio(&Summary::of(&[2.0, 2.1]), &Summary::of(&[1.0, 1.1]));
        assert_eq!(none, None);
    }

    #[test]
    fn summary_of_known_values() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 100.0]);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 100.0);
        assert_eq!(s.mad, 1.0);
        assert!(s.cv > 1.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 50.0), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 100.0), 5.0);
        assert!((percentile(&[0.0, 10.0], 99.0) - 9.9).abs() < 1e-9);
    }

    #[test]
    fn the_fast_half_keeps_the_smallest_ceil_half() {
        assert_eq!(fast_half(&[5.0, 1.0, 9.0, 2.0, 7.0]), vec![1, 3, 0]);
        assert_eq!(fast_half(&[3.0]), vec![0]);
        assert!((fast_half_mean(&[0.6, 0.5, 0.9, 0.7]) - 0.55).abs() < 1e-12);
        assert!((fast_half_mean(&[0.6, 0.5, 0.9]) - 0.55).abs() < 1e-12);
    }
}
