//! The model's seeded randomness: PCG (`rand_pcg`, a fixed, documented algorithm) so the same
//! seed gives the same answer on every machine, and `rand_distr` for the distributions.
use rand::{Rng as _, SeedableRng};
use rand_distr::{Distribution, Exp1, Geometric};
use rand_pcg::Pcg64Mcg;

#[derive(Clone, Debug)]
pub struct Rng(Pcg64Mcg);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(Pcg64Mcg::seed_from_u64(seed))
    }

    /// Stream `index` of `seed`: independent of the main stream and of every other index, so a
    /// thread's own draws do not depend on what other threads drew before it.
    pub fn stream(seed: u64, index: usize) -> Rng {
        let mixed = seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng(Pcg64Mcg::seed_from_u64(mixed.rotate_left(17)))
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0.random()
    }

    /// `value` scaled by a uniform factor in [1 − jitter, 1 + jitter].
    pub fn jitter(&mut self, value: f64, jitter: f64) -> f64 {
        value * (1.0 + jitter * (2.0 * self.uniform() - 1.0))
    }

    /// Exponentially distributed with this mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        let unit: f64 = Exp1.sample(&mut self.0);
        mean * unit
    }

    /// Trials until the first success of probability `p` (at least 1).
    pub fn geometric(&mut self, p: f64) -> u64 {
        if p >= 1.0 {
            return 1;
        }
        if p <= 0.0 {
            return u64::MAX;
        }
        let failures = Geometric::new(p).expect("0 < p < 1").sample(&mut self.0);
        failures.saturating_add(1)
    }

    /// An index below `n`, uniformly.
    pub fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    /// The generator itself, for `rand`'s algorithms (shuffles).
    pub fn inner(&mut self) -> &mut Pcg64Mcg {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_draws() {
        let draws = |seed| {
            let mut r = Rng::new(seed);
            (
                r.uniform(),
                r.geometric(0.3),
                r.exponential(2.0),
                r.below(7),
            )
        };
        assert_eq!(draws(5), draws(5));
        assert_ne!(draws(5), draws(6));
        let mut r = Rng::new(1);
        let mean = (0..20_000).map(|_| r.geometric(0.25) as f64).sum::<f64>() / 20_000.0;
        assert!((mean - 4.0).abs() < 0.2, "{mean}");
    }
}
