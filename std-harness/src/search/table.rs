//! The table of every trial: one row per trial and rung, as Markdown for
//! people, CSV for tools, and lines for the console.

use serde::Serialize;

use super::space::Point;
use crate::error::{Result, setting};
use crate::experiments::{Decay, RunResult};
use crate::metrics::Metric;

/// One trial at one rung.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trial {
    /// Which draw (from 0).
    pub trial: usize,
    /// The rung (from 0).
    pub rung: usize,
    /// Its budget: epochs trained.
    pub epochs: usize,
    /// Learning rate.
    pub lr: f64,
    /// Rows per batch.
    pub batch: usize,
    /// Weight-decay strength.
    pub weight_decay: f64,
    /// How it acts.
    pub decay: Decay,
    /// Validation score of the selected epoch (`None`: diverged).
    pub valid_score: Option<f64>,
    /// The epoch selected on validation.
    pub best_epoch: usize,
    /// Seconds of training.
    pub seconds: f64,
    /// Whether it went on to the next rung.
    pub promoted: bool,
    /// Whether it is the chosen setting.
    pub chosen: bool,
}

impl Trial {
    /// The row of draw `trial` at rung `rung`.
    pub fn new(
        trial: usize,
        rung: usize,
        epochs: usize,
        point: Option<Point>,
        valid_score: Option<f64>,
        run: Option<&RunResult>,
    ) -> Self {
        let p = point.unwrap_or(Point {
            lr: 0.0,
            batch: 0,
            weight_decay: 0.0,
            decay: Decay::L2,
        });
        Self {
            trial,
            rung,
            epochs,
            lr: p.lr,
            batch: p.batch,
            weight_decay: p.weight_decay,
            decay: p.decay,
            valid_score,
            best_epoch: run.map_or(0, |r| r.best_epoch),
            seconds: run.map_or(0.0, |r| r.seconds),
            promoted: false,
            chosen: false,
        }
    }
}

fn shown(metric: Metric, score: Option<f64>) -> String {
    score.map_or_else(|| "diverged".to_owned(), |s| metric.format(s))
}

/// The Markdown table, rung by rung, best first within a rung.
pub fn markdown(trials: &[Trial], metric: Metric) -> String {
    let mut text = format!(
        "| rung | epochs | trial | lr | batch | weight decay | validation {} | best epoch | s | |\n\
         |---:|---:|---:|---:|---:|---|---:|---:|---:|---|\n",
        metric.name()
    );
    for t in trials {
        let mark = if t.chosen {
            "chosen"
        } else if t.promoted {
            "promoted"
        } else {
            ""
        };
        text.push_str(&format!(
            "| {} | {} | {} | {:.3e} | {} | {} {:.1e} | {} | {} | {:.1} | {mark} |\n",
            t.rung + 1,
            t.epochs,
            t.trial,
            t.lr,
            t.batch,
            t.decay.name(),
            t.weight_decay,
            shown(metric, t.valid_score),
            t.best_epoch,
            t.seconds
        ));
    }
    text
}

/// The CSV table, with a header.
///
/// # Errors
/// [`crate::error::Error::Setting`] if a row cannot be written (a bug).
pub fn csv(trials: &[Trial]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for t in trials {
        writer
            .serialize(t)
            .map_err(|e| setting("trials table", e.to_string()))?;
    }
    writer.into_inner().map_err(|e| setting("trials table", e.to_string()))
}

/// Console lines: the chosen trial and the number of trials.
pub fn summary(trials: &[Trial], metric: Metric) -> Vec<String> {
    let Some(best) = trials.iter().find(|t| t.chosen) else {
        return Vec::new();
    };
    vec![format!(
        "search: chose trial {} of {} runs: lr {:.3e}, batch {}, {} weight decay {:.1e}, {} epochs; validation {}",
        best.trial,
        trials.len(),
        best.lr,
        best.batch,
        best.decay.name(),
        best.weight_decay,
        best.epochs,
        shown(metric, best.valid_score)
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_hold_every_trial() {
        let p = Point {
            lr: 0.01,
            batch: 16,
            weight_decay: 1e-4,
            decay: Decay::L1,
        };
        let mut a = Trial::new(0, 0, 3, Some(p), Some(0.9), None);
        a.chosen = true;
        let b = Trial::new(1, 0, 3, Some(p), None, None);
        let md = markdown(&[a.clone(), b.clone()], Metric::Accuracy);
        assert_eq!(md.lines().count(), 4);
        assert!(
            md.contains("diverged") && md.contains("chosen") && md.contains("l1 1.0e-4"),
            "{md}"
        );
        let csv = String::from_utf8(csv(&[a, b]).unwrap()).unwrap();
        assert!(
            csv.starts_with("trial,rung,epochs,lr,batch,weight_decay,decay,valid_score"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.contains(",l1,"), "{csv}");
    }
}
