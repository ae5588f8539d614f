//! The successive-halving schedule (Jamieson & Talwalkar; one bracket of
//! Hyperband): rung `k` trains `⌊n / ηᵏ⌋` trials (at least one) for
//! `r · ηᵏ` epochs (at most the largest budget), each rung keeping the best
//! `1/η` of the one before, until one trial or the largest budget is left.

use crate::error::{Result, setting};

/// One rung: how many trials train, and for how many epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    /// Trials trained at this rung.
    pub trials: usize,
    /// Epochs each of them trains.
    pub epochs: usize,
}

/// Most draws a search takes (each trains at least one epoch: more would
/// run for months, and their settings are held in memory from the start).
pub const MAX_TRIALS: usize = 10_000;

/// The rungs of a search of `trials` draws, from `min_epochs` up to
/// `max_epochs`, keeping `1/eta` at each rung.
///
/// # Errors
/// [`crate::error::Error::Setting`] for no trials or more than [`MAX_TRIALS`], no epochs, a first rung
/// above the largest budget, or `eta` below 2.
pub fn schedule(trials: usize, min_epochs: usize, max_epochs: usize, eta: usize) -> Result<Vec<Rung>> {
    if trials == 0 {
        return Err(setting("--trials", "must be at least 1"));
    }
    if trials > MAX_TRIALS {
        return Err(setting(
            "--trials",
            format!("{trials} is above the {MAX_TRIALS} draws a search takes"),
        ));
    }
    if eta < 2 {
        return Err(setting("--eta", format!("{eta} keeps every trial; give 2 or more")));
    }
    if min_epochs == 0 {
        return Err(setting("--min-epochs", "must be at least 1"));
    }
    if min_epochs > max_epochs {
        return Err(setting(
            "--min-epochs",
            format!("{min_epochs} is above the largest budget, {max_epochs} epochs"),
        ));
    }
    let mut rungs = vec![Rung {
        trials,
        epochs: min_epochs,
    }];
    while let Some(&last) = rungs.last() {
        if last.trials == 1 || last.epochs == max_epochs {
            break;
        }
        rungs.push(Rung {
            trials: (last.trials / eta).max(1),
            epochs: last.epochs.saturating_mul(eta).min(max_epochs),
        });
    }
    Ok(rungs)
}

/// Epochs trained over the whole schedule.
pub fn total_epochs(rungs: &[Rung]) -> usize {
    rungs
        .iter()
        .fold(0usize, |sum, r| sum.saturating_add(r.trials.saturating_mul(r.epochs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rungs(trials: usize, min: usize, max: usize, eta: usize) -> Vec<(usize, usize)> {
        schedule(trials, min, max, eta)
            .unwrap()
            .iter()
            .map(|r| (r.trials, r.epochs))
            .collect()
    }

    #[test]
    fn halves_the_trials_and_multiplies_the_budget() {
        assert_eq!(rungs(9, 3, 30, 3), [(9, 3), (3, 9), (1, 27)]);
        assert_eq!(rungs(8, 1, 100, 2), [(8, 1), (4, 2), (2, 4), (1, 8)]);
        assert_eq!(total_epochs(&schedule(9, 3, 30, 3).unwrap()), 81);
    }

    #[test]
    fn stops_at_the_largest_budget_or_a_single_trial() {
        // The budget caps at 10 epochs with 3 trials still in.
        assert_eq!(rungs(27, 2, 10, 3), [(27, 2), (9, 6), (3, 10)]);
        assert_eq!(rungs(1, 2, 50, 3), [(1, 2)]);
        assert_eq!(rungs(5, 4, 4, 2), [(5, 4)]);
        // Fewer trials than eta: one survivor.
        assert_eq!(rungs(2, 1, 9, 3), [(2, 1), (1, 3)]);
    }

    #[test]
    fn bad_schedules_are_clear_errors() {
        let err = |t, a, b, e| schedule(t, a, b, e).unwrap_err().to_string();
        assert!(err(0, 1, 9, 3).contains("--trials"));
        assert!(err(9, 1, 9, 1).contains("--eta"));
        assert!(err(9, 0, 9, 3).contains("--min-epochs"));
        assert!(err(9, 10, 9, 3).contains("above the largest budget, 9 epochs"));
        let e = err(100_000_000_000, 3, 30, 3);
        assert!(e.starts_with("--trials: 100000000000 is above the 10000 draws"), "{e}");
        assert!(schedule(MAX_TRIALS, 3, 30, 3).is_ok());
        // A budget beyond any count saturates rather than overflows.
        let huge = schedule(MAX_TRIALS, usize::MAX / 2, usize::MAX, 3).unwrap();
        assert_eq!(total_epochs(&huge), usize::MAX);
    }
}
