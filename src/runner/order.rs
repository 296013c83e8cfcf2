//! The order in which repeated settings are measured.
//!
//! Why shuffled rounds: a shared host's speed changes in phases of seconds, partly set off by
//! the load itself. Measured in a fixed order, settings that run as a block (all the 2- and
//! 4-thread points one after another) share a slow phase and look slower than the 1-thread
//! points they are compared with; a fresh random order each round spreads the phases over
//! every setting (figures in docs/methodology.md).
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// `repeat` rounds, each a fresh permutation of the indices `0..settings`, concatenated.
pub fn shuffled_rounds(settings: usize, repeat: usize, seed: u64) -> Vec<usize> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut order = Vec::with_capacity(settings * repeat);
    for _ in 0..repeat {
        let mut round: Vec<usize> = (0..settings).collect();
        round.shuffle(&mut rng);
        order.extend(round);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_is_a_permutation_and_the_order_is_reproducible() {
        let order = shuffled_rounds(7, 5, 3);
        assert_eq!(order.len(), 35);
        for round in order.chunks(7) {
            let mut sorted = round.to_vec();
            sorted.sort();
            assert_eq!(sorted, (0..7).collect::<Vec<_>>());
        }
        assert_eq!(order, shuffled_rounds(7, 5, 3));
        // Not the identity every time: the rounds really are shuffled.
        assert!(order.chunks(7).any(|r| r != [0, 1, 2, 3, 4, 5, 6]));
    }
}
