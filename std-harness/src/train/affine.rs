//! Small rotations of square-grid images (data augmentation): each output
//! pixel is read from the source at the rotated position, with bilinear
//! interpolation and the background outside.

/// Writes `src` (`rows x cols`) rotated by `radians` about its centre and
/// shifted by `dy` rows down and `dx` columns right into `dst`; pixels read
/// from outside the source get `fill`.
pub fn rotate_shift_image(
    dst: &mut [f32],
    src: &[f32],
    (rows, cols): (usize, usize),
    (dy, dx): (isize, isize),
    radians: f32,
    fill: f32,
) {
    let (cy, cx) = ((rows as f32 - 1.0) / 2.0, (cols as f32 - 1.0) / 2.0);
    let (sin, cos) = radians.sin_cos();
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
        rotate_shift_image(&mut dst, &src, (4, 4), (1, 0), 0.0, -1.0);
        assert_eq!(&dst[..4], &[-1.0; 4]);
        assert_eq!(&dst[4..], &src[..12]);
    }

    #[test]
    fn quarter_turn_moves_corners() {
        // a quarter turn maps the top-left corner onto a neighbouring corner
        let mut src = vec![0.0f32; 9];
        src[0] = 1.0;
        let mut dst = vec![0.0; 9];
        rotate_shift_image(&mut dst, &src, (3, 3), (0, 0), core::f32::consts::FRAC_PI_2, 0.0);
        assert!((dst.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(dst[0] < 1e-5 && (dst[2] > 0.99 || dst[6] > 0.99), "{dst:?}");
    }
}
