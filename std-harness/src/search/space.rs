//! The search space: which values each hyper-parameter is drawn from, and
//! the seeded draws themselves.

use flambeau::Rng;
use serde::Serialize;

use crate::error::{Result, setting};
use crate::experiments::Decay;

/// A positive range drawn log-uniformly, or one fixed value (`LO..HI` or `X`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogRange {
    /// Smallest value.
    pub lo: f64,
    /// Largest value.
    pub hi: f64,
}

impl LogRange {
    /// Parses `LO..HI` (log-uniform) or `X` (fixed); `allow_zero` lets `0`
    /// mean "none" (a fixed 0).
    ///
    /// # Errors
    /// [`crate::error::Error::Setting`] naming `flag` for text that is not a
    /// number or a range, a value that is not positive and finite, or
    /// bounds in the wrong order.
    pub fn parse(flag: &'static str, text: &str, allow_zero: bool) -> Result<Self> {
        let number = |t: &str| -> Result<f64> {
            let v: f64 = t
                .trim()
                .parse()
                .map_err(|_| setting(flag, format!("{t:?} is not a number; give LO..HI, e.g. 1e-4..1e-1")))?;
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(setting(
                    flag,
                    format!("{v} is not a positive number: the range is drawn on a log scale"),
                ))
            }
        };
        if allow_zero && text.trim().parse::<f64>() == Ok(0.0) {
            return Ok(Self { lo: 0.0, hi: 0.0 });
        }
        let (lo, hi) = match text.split_once("..") {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let v = number(text)?;
                (v, v)
            }
        };
        if lo > hi {
            return Err(setting(
                flag,
                format!("{lo}..{hi} is empty: the lower bound is above the upper"),
            ));
        }
        Ok(Self { lo, hi })
    }

    /// A log-uniform draw, rounded to three significant digits (so recipes
    /// and commands read well), kept inside the bounds; the fixed value when
    /// `lo == hi`.
    pub fn draw(&self, rng: &mut Rng) -> f64 {
        if self.lo >= self.hi {
            return self.lo;
        }
        let (a, b) = (self.lo.ln(), self.hi.ln());
        let v = rng.uniform_in(a, b).exp();
        let scale = 10f64.powi(2 - v.log10().floor() as i32);
        ((v * scale).round() / scale).clamp(self.lo, self.hi)
    }
}

/// Everything a trial's settings are drawn from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Space {
    /// Learning rate, log-uniform.
    pub lr: LogRange,
    /// Batch sizes, uniform.
    pub batch_sizes: Vec<usize>,
    /// Weight decay, log-uniform (0: none).
    pub weight_decay: LogRange,
    /// Kinds of weight decay, uniform.
    pub decays: Vec<Decay>,
}

/// One point of the space.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Learning rate.
    pub lr: f64,
    /// Rows per batch.
    pub batch: usize,
    /// Weight-decay strength.
    pub weight_decay: f64,
    /// How it acts.
    pub decay: Decay,
}

impl Space {
    /// Checks the lists against the experiment's largest batch.
    ///
    /// # Errors
    /// [`crate::error::Error::Setting`] for an empty list or a batch size of
    /// 0 or above `max_batch`.
    pub fn check(&self, max_batch: usize) -> Result<()> {
        if self.batch_sizes.is_empty() {
            return Err(setting("--batch-sizes", "give at least one batch size"));
        }
        if let Some(&b) = self.batch_sizes.iter().find(|&&b| b == 0 || b > max_batch) {
            return Err(setting(
                "--batch-sizes",
                format!("{b} is not in 1..={max_batch}, the batches this experiment is built for"),
            ));
        }
        if self.decays.is_empty() {
            return Err(setting("--decays", "give at least one kind: l2, adamw or l1"));
        }
        Ok(())
    }

    /// `n` points drawn from `seed`, the same for the same seed.
    pub fn draw(&self, n: usize, seed: u64) -> Vec<Point> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| Point {
                lr: self.lr.draw(&mut rng),
                batch: self
                    .batch_sizes
                    .get(rng.below(self.batch_sizes.len()))
                    .copied()
                    .unwrap_or(1),
                weight_decay: self.weight_decay.draw(&mut rng),
                decay: self
                    .decays
                    .get(rng.below(self.decays.len()))
                    .copied()
                    .unwrap_or_default(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_draw_inside_their_bounds() {
        let r = LogRange::parse("--lr", "1e-4..1e-1", false).unwrap();
        assert_eq!((r.lo, r.hi), (1e-4, 1e-1));
        let mut rng = Rng::new(5);
        let draws: Vec<f64> = (0..200).map(|_| r.draw(&mut rng)).collect();
        assert!(draws.iter().all(|v| (1e-4..=1e-1).contains(v)));
        // Log-uniform: about a third of the draws in each decade.
        let low = draws.iter().filter(|&&v| v < 1e-3).count();
        assert!((40..=95).contains(&low), "{low} of 200 below 1e-3");
        assert_eq!(LogRange::parse("--lr", "0.01", false).unwrap().draw(&mut rng), 0.01);
        assert_eq!(
            LogRange::parse("--weight-decay", "0", true).unwrap().draw(&mut rng),
            0.0
        );
    }

    #[test]
    fn bad_ranges_are_clear_errors() {
        let err = |t: &str, z| LogRange::parse("--lr", t, z).unwrap_err().to_string();
        assert!(err("fast", false).contains("\"fast\" is not a number"));
        assert!(err("0..1", false).contains("0 is not a positive number"));
        assert!(err("0", false).contains("not a positive number"));
        assert!(err("1e-1..1e-4", false).contains("is empty"));
        assert!(err("-1..1", true).contains("not a positive number"));
        let space = Space {
            lr: LogRange { lo: 0.1, hi: 0.1 },
            batch_sizes: vec![16, 512],
            weight_decay: LogRange { lo: 0.0, hi: 0.0 },
            decays: vec![Decay::L2],
        };
        let err = space.check(128).unwrap_err().to_string();
        assert!(err.contains("512 is not in 1..=128"), "{err}");
    }

    #[test]
    fn draws_are_seeded() {
        let space = Space {
            lr: LogRange { lo: 1e-3, hi: 1.0 },
            batch_sizes: vec![8, 16, 32],
            weight_decay: LogRange { lo: 1e-6, hi: 1e-2 },
            decays: vec![Decay::L2, Decay::L1],
        };
        assert_eq!(space.draw(6, 3), space.draw(6, 3));
        assert_ne!(space.draw(6, 3), space.draw(6, 4));
    }
}
