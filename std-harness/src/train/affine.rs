//! Small rotations and changes of scale of square-grid images (data
//! augmentation): each output pixel is read from the source at the rotated
//! and scaled position, with bilinear interpolation and the background
//! outside.

/// Writes `src` (`rows x cols`) rotated by `radians` and scaled by `scale`
/// (1: the same size) about its centre, then shifted by `dy` rows down and
/// `dx` columns right, into `dst`; pixels read from outside the source get
/// `fill`. A `scale` that is not a positive finite number counts as 1.
pub fn rotate_shift_image(
    dst: &mut [f32],
    src: &[f32],
    (rows, cols): (usize, usize),
    (dy, dx): (isize, isize),
    (radians, scale): (f32, f32),
    fill: f32,
) {
    let (cy, cx) = ((rows as f32 - 1.0) / 2.0, (cols as f32 - 1.0) / 2.0);
    let zoom = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
    // the inverse map divides by the scale: folded into the rotation
    let (sin, cos) = radians.sin_cos();
    let (sin, cos) = (sin / zoom, cos / zoom);
    let pixel = |r: isize, c: isize| -> f32 {
        if (0..rows as isize).contains(&r) && (0..cols as isize).contains(&c) {
            src.get(r as usize * cols + c as usize).copied().unwrap_or(fill)
        } else {
            fill
        }
    };
    for (r, line) in dst.chunks_exact_mut(cols.max(1)).take(rows).enumerate() {
        let y = r as f32 - dy as f32 - cy;
        for (c, px) in line.iter_mut().enumerate() {
            let x = c as f32 - dx as f32 - cx;
            // the inverse rotation: where this output pixel comes from
            let (sy, sx) = (cos * y - sin * x + cy, sin * y + cos * x + cx);
            let (r0, c0) = (sy.floor(), sx.floor());
            let (fy, fx) = (sy - r0, sx - c0);
            let (r0, c0) = (r0 as isize, c0 as isize);
            let top = pixel(r0, c0) * (1.0 - fx) + pixel(r0, c0 + 1) * fx;
            let bottom = pixel(r0 + 1, c0) * (1.0 - fx) + pixel(r0 + 1, c0 + 1) * fx;
            *px = top * (1.0 - fy) + bottom * fy;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rotation_is_a_shift() {
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut dst = vec![0.0; 16];
        rotate_shift_image(&mut dst, &src, (4, 4), (1, 0), (0.0, 1.0), -1.0);
        assert_eq!(&dst[..4], &[-1.0; 4]);
        assert_eq!(&dst[4..], &src[..12]);
    }

    #[test]
    fn quarter_turn_moves_corners() {
        // a quarter turn maps the top-left corner onto a neighbouring corner
        let mut src = vec![0.0f32; 9];
        src[0] = 1.0;
        let mut dst = vec![0.0; 9];
        rotate_shift_image(&mut dst, &src, (3, 3), (0, 0), (core::f32::consts::FRAC_PI_2, 1.0), 0.0);
        assert!((dst.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(dst[0] < 1e-5 && (dst[2] > 0.99 || dst[6] > 0.99), "{dst:?}");
    }

    #[test]
    fn doubling_spreads_from_the_centre() {
        // a 5x5 image with a 3x3 block in the middle: doubled, it fills the
        // whole image; halved, only the centre pixel stays fully lit
        let mut src = vec![0.0f32; 25];
        for r in 1..4 {
            for c in 1..4 {
                src[r * 5 + c] = 1.0;
            }
        }
        let mut big = vec![0.0; 25];
        rotate_shift_image(&mut big, &src, (5, 5), (0, 0), (0.0, 2.0), 0.0);
        assert!(big.iter().all(|&v| v > 0.99), "{big:?}");
        let mut small = vec![0.0; 25];
        rotate_shift_image(&mut small, &src, (5, 5), (0, 0), (0.0, 0.5), 0.0);
        assert!(small[12] > 0.99 && small[0] < 1e-6, "{small:?}");
        assert!(small.iter().sum::<f32>() < src.iter().sum::<f32>());
    }

    #[test]
    fn bad_scale_counts_as_one() {
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut dst = vec![0.0; 16];
        for scale in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            rotate_shift_image(&mut dst, &src, (4, 4), (0, 0), (0.0, scale), -1.0);
            assert_eq!(dst, src);
        }
    }
}
