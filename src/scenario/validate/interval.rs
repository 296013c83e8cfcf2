//! 95 % confidence intervals by the bootstrap over rounds: rounds are resampled with
//! replacement (the same rounds for every quantity of a resample, so paired figures stay
//! paired) and the statistic recomputed; the interval is the 2.5th to 97.5th percentile.
pub use crate::stats::bootstrap;
use crate::stats::median;

/// An interval's half-width as a share of `centre` (0.025 for ±2.5 %).
pub fn relative_half_width(interval: (f64, f64), centre: f64) -> f64 {
    (interval.1 - interval.0) / 2.0 / centre
}

/// The median of `values` at the resampled rounds `idx`.
pub fn median_at(values: &[f64], idx: &[usize]) -> f64 {
    let picked: Vec<f64> = idx.iter().map(|&i| values[i]).collect();
    median(&picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_narrows_with_more_rounds_and_holds_the_median() {
        let noisy = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| 1.0 + 0.1 * ((i * 7919 % 13) as f64 / 13.0 - 0.5))
                .collect()
        };
        let few = noisy(5);
        let many = noisy(60);
        let (a, b) = bootstrap(few.len(), 1, |idx| median_at(&few, idx));
        let (c, d) = bootstrap(many.len(), 1, |idx| median_at(&many, idx));
        assert!(a <= median(&few) && median(&few) <= b);
        assert!(d - c < b - a, "{c}-{d} vs {a}-{b}");
        // Identical rounds: no width at all.
        let flat = vec![2.0; 10];
        assert_eq!(bootstrap(10, 1, |idx| median_at(&flat, idx)), (2.0, 2.0));
    }
}
