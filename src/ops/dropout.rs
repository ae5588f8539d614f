//! `Dropout` (inverted): `y = x ⊙ m` with a mask drawn afresh for each
//! training forward pass, `mᵢ = 0` with probability `p`, else `1 / (1 − p)`,
//! so that the expected output is the input and evaluation needs no
//! rescaling: in evaluation mode the mask is all ones and `y = x`.
//!
//! The mask is a node of its own (recorded just before the op), written by
//! the graph's forward replay from its seeded [`Rng`]; the op itself is a
//! plain product, so the backward pass reads the very mask the forward pass
//! used.
//!
//! Derivative: `∂x = ∂y ⊙ m` (the mask is a constant, not differentiated).
//!
//! Numerics: `p` is at most [`MAX_P`], so the scale `1 / (1 − p)` is at
//! most 100 and a finite input gives a finite output (the tape saturates
//! the product like any other).

use crate::float::Float;
use crate::rng::Rng;

/// Largest dropout probability: above it the kept units' scale `1/(1 − p)`
/// passes 100 and a single batch's output is mostly noise.
pub const MAX_P: f32 = 0.99;

/// Writes a fresh mask (training: `rng` given) or all ones (evaluation).
pub(crate) fn fill_mask<T: Float>(p: f32, rng: Option<&mut Rng>, mask: &mut [T]) {
    let Some(rng) = rng.filter(|_| p > 0.0) else {
        mask.fill(T::ONE);
        return;
    };
    let p = f64::from(p);
    let scale = T::from_f64(1.0 / (1.0 - p));
    for m in mask.iter_mut() {
        *m = if rng.uniform() < p { T::ZERO } else { scale };
    }
}

/// `y = x ⊙ m`.
pub(crate) fn forward<T: Float>(x: &[T], mask: &[T], y: &mut [T]) {
    for ((yi, &xi), &mi) in y.iter_mut().zip(x).zip(mask) {
        *yi = xi * mi;
    }
}

/// `∂x += ∂y ⊙ m` (input 0 only; the mask takes no gradient).
pub(crate) fn backward<T: Float>(k: usize, mask: &[T], gy: &[T], gx: &mut [T]) {
    if k != 0 {
        return;
    }
    for ((g, &mi), &gi) in gx.iter_mut().zip(mask).zip(gy) {
        *g += gi * mi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_is_the_identity() {
        let mut mask = [0.0f32; 4];
        fill_mask(0.5, None, &mut mask);
        assert_eq!(mask, [1.0; 4]);
        let mut y = [0.0f32; 4];
        forward(&[1.0, -2.0, 3.0, 1e30], &mask, &mut y);
        assert_eq!(y, [1.0, -2.0, 3.0, 1e30]);
        // p = 0 keeps everything even in training.
        fill_mask(0.0, Some(&mut Rng::new(1)), &mut mask);
        assert_eq!(mask, [1.0; 4]);
    }

    #[test]
    fn training_drops_about_p_and_keeps_the_mean() {
        let mut mask = [0.0f64; 10_000];
        fill_mask(0.25, Some(&mut Rng::new(7)), &mut mask);
        let dropped = mask.iter().filter(|&&m| m == 0.0).count();
        assert!((2300..=2700).contains(&dropped), "{dropped} of 10000 dropped");
        assert!(mask.iter().all(|&m| m == 0.0 || (m - 4.0 / 3.0).abs() < 1e-12));
        let mean = mask.iter().sum::<f64>() / mask.len() as f64;
        assert!((mean - 1.0).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn the_gradient_passes_where_the_mask_keeps() {
        let mask = [0.0f32, 2.0, 2.0];
        let mut g = [1.0f32; 3];
        backward(0, &mask, &[5.0, 5.0, -1.0], &mut g);
        assert_eq!(g, [1.0, 11.0, -1.0]);
        backward(1, &mask, &[5.0; 3], &mut g);
        assert_eq!(g, [1.0, 11.0, -1.0]);
    }

    #[test]
    fn the_largest_scale_is_finite() {
        let mut mask = [0.0f32; 64];
        fill_mask(MAX_P, Some(&mut Rng::new(3)), &mut mask);
        assert!(mask.iter().all(|m| m.is_finite() && *m <= 100.0 + 1e-3));
    }
}
