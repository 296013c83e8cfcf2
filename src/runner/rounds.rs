//! The round driver: every repeated measurement runs its settings in shuffled rounds.
//!
//! Why shuffled rounds: a shared host's speed changes in phases of seconds, partly set off by
//! the load itself. Measured in a fixed order, settings that run as a block (all the 2- and
//! 4-thread points one after another) share a slow phase and look slower than the 1-thread
//! points they are compared with; a fresh random order each round spreads the phases over
//! every setting (figures in docs/methodology.md).
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use std::time::{Duration, Instant};

/// When the rounds end.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// This many rounds of every setting.
    Rounds(usize),
    /// Rounds of the settings still open, until none is (after at least `min_rounds`) or one
    /// more turn as long as the longest so far would end after `deadline`. With
    /// `whole_rounds`, every round runs every setting and the budget is checked between rounds
    /// (each setting keeps as many measurements as there are rounds); otherwise only the open
    /// settings run, and the budget is checked before each trial; then Ctrl-C (or SIGTERM,
    /// SIGHUP) ends the rounds as the budget does, keeping every trial that ended before it.
    Resolved {
        deadline: Instant,
        min_rounds: usize,
        whole_rounds: bool,
    },
}

/// Why the rounds ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoppedBy {
    Rounds,
    Resolution,
    Budget,
    /// A terminating signal (see `signals::received`).
    Interrupted,
}

impl StoppedBy {
    /// The words reports use: "resolution", "the budget", "the rounds asked for", "an
    /// interrupt".
    pub fn as_str(self) -> &'static str {
        match self {
            StoppedBy::Rounds => "the rounds asked for",
            StoppedBy::Resolution => "resolution",
            StoppedBy::Budget => "the budget",
            StoppedBy::Interrupted => "an interrupt",
        }
    }
}

/// One trial's place: its round (from 0) and its setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Turn {
    pub round: usize,
    pub setting: usize,
}

/// What the driver did: the rounds started and why it stopped.
#[derive(Clone, Copy, Debug)]
pub struct Driven {
    pub rounds: usize,
    pub stopped_by: StoppedBy,
}

/// `repeat` rounds of every setting: `drive` with `Until::Rounds`.
pub fn fixed(
    settings: usize,
    seed: u64,
    repeat: usize,
    mut trial: impl FnMut(Turn) -> anyhow::Result<()>,
) -> anyhow::Result<Driven> {
    let until = Until::Rounds(repeat);
    drive(
        &mut (),
        settings,
        seed,
        until,
        |_, _| Vec::new(),
        |_, turn| trial(turn),
    )
}

/// Runs `settings` settings in rounds, each a fresh permutation (of the open ones) drawn from
/// one generator seeded with `seed`, calling `trial` once per turn with the measurements so far
/// (`state`). `open` is asked at the start of each round, from `min_rounds` on, which settings
/// still need measuring (for `Until::Rounds` it is not asked).
pub fn drive<S>(
    state: &mut S,
    settings: usize,
    seed: u64,
    until: Until,
    mut open: impl FnMut(&S, usize) -> Vec<usize>,
    mut trial: impl FnMut(&mut S, Turn) -> anyhow::Result<()>,
) -> anyhow::Result<Driven> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let (mut longest_trial, mut longest_round) = (Duration::ZERO, Duration::ZERO);
    // Trial by trial: a signal is handled here (between trials too) rather than ending gilsim.
    let keeps_trials = matches!(
        until,
        Until::Resolved {
            whole_rounds: false,
            ..
        }
    );
    let _deferred = keeps_trials.then(super::signals::Supervising::start);
    let interrupted = |round| Driven {
        rounds: round,
        stopped_by: StoppedBy::Interrupted,
    };
    let mut round = 0;
    loop {
        let mut turns: Vec<usize> = match until {
            Until::Rounds(rounds) if round >= rounds => {
                return Ok(Driven {
                    rounds: round,
                    stopped_by: StoppedBy::Rounds,
                })
            }
            Until::Rounds(_) => (0..settings).collect(),
            Until::Resolved {
                deadline,
                min_rounds,
                whole_rounds,
            } => {
                let open = if round >= min_rounds {
                    open(state, round)
                } else {
                    (0..settings).collect()
                };
                if open.is_empty() {
                    return Ok(Driven {
                        rounds: round,
                        stopped_by: StoppedBy::Resolution,
                    });
                }
                if whole_rounds && round > 0 && Instant::now() + longest_round > deadline {
                    return Ok(Driven {
                        rounds: round,
                        stopped_by: StoppedBy::Budget,
                    });
                }
                if whole_rounds {
                    (0..settings).collect()
                } else {
                    open
                }
            }
        };
        turns.shuffle(&mut rng);
        let round_start = Instant::now();
        for setting in turns {
            if let Until::Resolved {
                deadline,
                whole_rounds: false,
                ..
            } = until
            {
                if round > 0 && Instant::now() + longest_trial > deadline {
                    return Ok(Driven {
                        rounds: round,
                        stopped_by: StoppedBy::Budget,
                    });
                }
            }
            if keeps_trials && super::signals::received().is_some() {
                return Ok(interrupted(round));
            }
            let t0 = Instant::now();
            match trial(state, Turn { round, setting }) {
                Err(e) if keeps_trials && is_interruption(&e) => return Ok(interrupted(round)),
                result => result?,
            }
            longest_trial = longest_trial.max(t0.elapsed());
        }
        longest_round = longest_round.max(round_start.elapsed());
        round += 1;
    }
}

/// Whether a trial ended because gilsim was told to stop.
fn is_interruption(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<super::RunError>(),
        Some(super::RunError::Interrupted { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings in the order `fixed` runs them.
    fn fixed_order(settings: usize, repeat: usize, seed: u64) -> Vec<usize> {
        let mut order = Vec::new();
        fixed(settings, seed, repeat, |turn| {
            order.push(turn.setting);
            Ok(())
        })
        .unwrap();
        order
    }

    #[test]
    fn every_round_is_a_permutation_and_the_order_is_reproducible() {
        let order = fixed_order(7, 5, 3);
        assert_eq!(order.len(), 35);
        for round in order.chunks(7) {
            let mut sorted = round.to_vec();
            sorted.sort();
            assert_eq!(sorted, (0..7).collect::<Vec<_>>());
        }
        assert_eq!(order, fixed_order(7, 5, 3));
        // Not the identity every time: the rounds really are shuffled.
        assert!(order.chunks(7).any(|r| r != [0, 1, 2, 3, 4, 5, 6]));
    }

    fn resolved(min_rounds: usize, whole_rounds: bool) -> Until {
        Until::Resolved {
            deadline: Instant::now() + Duration::from_secs(3600),
            min_rounds,
            whole_rounds,
        }
    }

    #[test]
    fn open_settings_run_until_each_has_what_it_needs() {
        // Setting k needs k + 1 trials.
        let mut counts = [0usize; 3];
        let driven = drive(
            &mut counts,
            3,
            1,
            resolved(0, false),
            |counts, _| (0..3).filter(|&k| counts[k] < k + 1).collect(),
            |counts, turn| {
                counts[turn.setting] += 1;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(counts, [1, 2, 3]);
        assert_eq!(driven.rounds, 3);
        assert_eq!(driven.stopped_by, StoppedBy::Resolution);
    }

    #[test]
    fn whole_rounds_run_every_setting_and_respect_the_minimum() {
        let mut counts = [0usize; 2];
        let mut asked = Vec::new();
        let driven = drive(
            &mut counts,
            2,
            1,
            resolved(3, true),
            |_, round| {
                asked.push(round);
                if round < 4 {
                    vec![1]
                } else {
                    vec![]
                }
            },
            |counts, turn| {
                counts[turn.setting] += 1;
                Ok(())
            },
        )
        .unwrap();
        // Not asked before the third round; setting 0, resolved, is measured with the rest.
        assert_eq!(asked, [3, 4]);
        assert_eq!(counts, [4, 4]);
        assert_eq!(driven.rounds, 4);
    }

    #[test]
    fn the_budget_stops_before_a_turn_that_would_overrun_it() {
        let mut trials = 0;
        let until = Until::Resolved {
            deadline: Instant::now() + Duration::from_millis(30),
            min_rounds: 0,
            whole_rounds: false,
        };
        let driven = drive(
            &mut trials,
            2,
            1,
            until,
            |_, _| vec![0, 1],
            |trials, _| {
                *trials += 1;
                std::thread::sleep(Duration::from_millis(10));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(driven.stopped_by, StoppedBy::Budget);
        // The first round always runs whole; then turns of 10 ms while 10 ms are left.
        assert!((2..=3).contains(&trials), "{trials}");
    }

    #[test]
    fn an_error_ends_the_rounds() {
        let mut trials = 0;
        let result = fixed(2, 1, 3, |_| {
            trials += 1;
            anyhow::ensure!(trials < 2, "failed");
            Ok(())
        });
        assert_eq!(result.unwrap_err().to_string(), "failed");
        assert_eq!(trials, 2);
    }
}
