//! Moving rows between data sets and a trainer's buffers: training batches
//! (with optional translations), evaluation and prediction in chunks.

use flambeau::{Loss, Model, Rng, Shape, Trainer};
use serde::Serialize;

use super::affine::rotate_shift_image;
use crate::error::{CoreContext, Result, setting};
use crate::metrics::Metric;

/// Inputs and targets of one split, row-major, `In` and `Out` values a row.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// Inputs.
    pub x: &'a [f32],
    /// Targets.
    pub y: &'a [f32],
}

impl Split<'_> {
    /// Rows of the split for model `M`.
    pub fn rows<M: Model>(&self) -> usize {
        self.x.len() / <M::Input as Shape>::SIZE.max(1)
    }

    /// Checks that inputs and targets hold the same, non-zero number of rows.
    pub(super) fn check<M: Model>(&self, what: &'static str) -> Result<()> {
        let (inp, out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
        let rows = self.rows::<M>();
        if rows == 0 || self.x.len() != rows * inp || self.y.len() != rows * out {
            return Err(setting(
                what,
                format!(
                    "{} input values and {} target values are not the same non-zero number of rows of {inp} and {out}",
                    self.x.len(),
                    self.y.len()
                ),
            ));
        }
        Ok(())
    }
}

/// Random translations of square-grid images by up to `max` pixels in each
/// direction, uncovered pixels set to `fill`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shift {
    /// Image rows.
    pub rows: usize,
    /// Image columns.
    pub cols: usize,
    /// Largest shift in pixels, up, down, left or right.
    pub max: usize,
    /// Value of the pixels shifted in (the background).
    pub fill: f32,
    /// Whether targets are the inputs themselves (an auto-encoder): they get the same shift.
    pub targets_too: bool,
    /// Largest random rotation in degrees, either way (0: none, and no draw).
    pub degrees: f32,
    /// Largest random change of size, as a fraction either way (0.1: from
    /// 0.9 to 1.1 times; 0: none, and no draw).
    pub scale: f32,
}

/// Writes `src` (a `rows x cols` image) shifted by `dy` rows down and `dx`
/// columns right into `dst`, uncovered pixels set to `fill`.
pub fn shift_image(dst: &mut [f32], src: &[f32], (rows, cols): (usize, usize), (dy, dx): (isize, isize), fill: f32) {
    for (r, line) in dst.chunks_exact_mut(cols.max(1)).take(rows).enumerate() {
        let sr = r as isize - dy;
        for (c, px) in line.iter_mut().enumerate() {
            let sc = c as isize - dx;
            let inside = (0..rows as isize).contains(&sr) && (0..cols as isize).contains(&sc);
            *px = if inside {
                src.get(sr as usize * cols + sc as usize).copied().unwrap_or(fill)
            } else {
                fill
            };
        }
    }
}

/// Copies the rows `idx` of `split` into the trainer's buffers (shifted if
/// asked) and declares their number.
pub(super) fn load<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    split: &Split<'_>,
    idx: &[usize],
    shift: Option<&Shift>,
    rng: &mut Rng,
) -> Result<()> {
    let (inp, out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
    let offsets: Vec<(isize, isize)> = match shift {
        Some(s) => idx.iter().map(|_| (draw(rng, s.max), draw(rng, s.max))).collect(),
        None => vec![(0, 0); idx.len()],
    };
    let angles: Vec<f32> = match shift {
        Some(s) if s.degrees > 0.0 => idx
            .iter()
            .map(|_| (rng.uniform_in(-1.0, 1.0) as f32 * s.degrees).to_radians())
            .collect(),
        _ => vec![0.0; idx.len()],
    };
    // drawn after the angles, so runs without a scale draw what they always did
    let angles: Vec<(f32, f32)> = match shift {
        Some(s) if s.scale > 0.0 => angles
            .iter()
            .map(|&a| (a, 1.0 + rng.uniform_in(-1.0, 1.0) as f32 * s.scale))
            .collect(),
        _ => angles.iter().map(|&a| (a, 1.0)).collect(),
    };
    for (((dst, &i), &d), &a) in net
        .input_mut()
        .chunks_exact_mut(inp)
        .zip(idx)
        .zip(&offsets)
        .zip(&angles)
    {
        let src = split.x.get(i * inp..(i + 1) * inp).unwrap_or_default();
        match shift {
            Some(s) if a != (0.0, 1.0) => rotate_shift_image(dst, src, (s.rows, s.cols), d, a, s.fill),
            Some(s) => shift_image(dst, src, (s.rows, s.cols), d, s.fill),
            None => copy(dst, src),
        }
    }
    let same = shift.is_some_and(|s| s.targets_too) && inp == out;
    for (((dst, &i), &d), &a) in net
        .target_mut()
        .chunks_exact_mut(out)
        .zip(idx)
        .zip(&offsets)
        .zip(&angles)
    {
        match shift {
            Some(s) if same => {
                let src = split.x.get(i * inp..(i + 1) * inp).unwrap_or_default();
                if a == (0.0, 1.0) {
                    shift_image(dst, src, (s.rows, s.cols), d, s.fill);
                } else {
                    rotate_shift_image(dst, src, (s.rows, s.cols), d, a, s.fill);
                }
            }
            _ => copy(dst, split.y.get(i * out..(i + 1) * out).unwrap_or_default()),
        }
    }
    net.set_rows(idx.len())
        .context(|| format!("a batch of {} rows", idx.len()))
}

/// Copies `src` into the start of `dst` (as much as fits).
fn copy(dst: &mut [f32], src: &[f32]) {
    dst.iter_mut().zip(src).for_each(|(d, &s)| *d = s);
}

fn draw(rng: &mut Rng, max: usize) -> isize {
    rng.below(2 * max + 1) as isize - max as isize
}

/// The mean loss, the score and the outputs of a model over a split.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Mean loss over the rows.
    pub loss: f64,
    /// The metric's score.
    pub score: f64,
    /// The outputs, row-major.
    pub outputs: Vec<f32>,
}

/// Runs the model and loss over `split` in chunks of `B` rows.
///
/// # Errors
/// [`crate::error::Error::Core`] for a row count the trainer refuses.
pub fn evaluate<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    split: &Split<'_>,
    metric: Metric,
) -> Result<Evaluation> {
    let (inp, out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
    let mut outputs = Vec::with_capacity(split.y.len());
    let mut loss = 0.0;
    for (x, y) in split.x.chunks(B * inp).zip(split.y.chunks(B * out)) {
        let rows = x.len() / inp.max(1);
        copy(net.input_mut(), x);
        copy(net.target_mut(), y);
        net.set_rows(rows).context(|| format!("evaluating {rows} rows"))?;
        loss += f64::from(net.evaluate()) * rows as f64;
        outputs.extend_from_slice(net.graph().value(net.output()));
    }
    let n = split.rows::<M>().max(1);
    Ok(Evaluation {
        loss: loss / n as f64,
        score: metric.score(&outputs, split.y, out),
        outputs,
    })
}

/// The model's outputs for the inputs `x` (any number of rows).
///
/// # Errors
/// [`crate::error::Error::Core`] for a row count the trainer refuses.
pub fn predict<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    x: &[f32],
) -> Result<Vec<f32>> {
    let inp = <M::Input as Shape>::SIZE.max(1);
    let mut outputs = Vec::with_capacity(x.len() / inp * <M::Output as Shape>::SIZE);
    for chunk in x.chunks(B * inp) {
        copy(net.input_mut(), chunk);
        net.set_rows(chunk.len() / inp).context(|| "predicting".to_owned())?;
        outputs.extend_from_slice(net.forward());
    }
    Ok(outputs)
}
