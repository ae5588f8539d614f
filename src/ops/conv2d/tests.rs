use super::*;

fn dims(c_in: u16, c_out: u16, k: u16, stride: u16, pad: u16, h: u16, w: u16) -> Conv2dDims {
    Conv2dDims {
        c_in,
        c_out,
        k,
        stride,
        pad,
        h_in: h,
        w_in: w,
        h_out: (h + 2 * pad - k) / stride + 1,
        w_out: (w + 2 * pad - k) / stride + 1,
    }
}

/// Values whose products round differently in every summation order.
fn values<const N: usize>(seed: u32) -> [f32; N] {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    core::array::from_fn(|_| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s % 20_000) as f32 / 7_919.0 - 1.2
    })
}

#[test]
fn known_value_with_padding() {
    // 1 channel 2×2 image, 2×2 kernel of ones, padding 1: every output sums
    // the pixels its window covers
    let d = dims(1, 1, 2, 1, 1, 2, 2);
    let x = [1.0f64, 2.0, 3.0, 4.0];
    let mut y = [0.0; 9];
    forward(&d, &x, Src::Vals(&[1.0; 4]), Src::Vals(&[0.5]), &mut y);
    assert_eq!(y, [1.5, 3.5, 2.5, 4.5, 10.5, 6.5, 3.5, 7.5, 4.5]);
}

#[test]
fn stride_two_picks_every_other_window() {
    let d = dims(1, 1, 1, 2, 0, 3, 3);
    let x: [f64; 9] = core::array::from_fn(|i| i as f64);
    let mut y = [0.0; 4];
    forward(&d, &x, Src::Vals(&[2.0]), Src::Vals(&[0.0]), &mut y);
    assert_eq!(y, [0.0, 4.0, 12.0, 16.0]);
}

#[test]
fn blocked_and_plain_forms_give_the_same_bits() {
    // 3 → 5 channels, k = 3 (27 terms: three lanes' worth and a tail), and
    // enough positions to take several blocks
    for (stride, pad) in [(1, 0), (1, 1), (2, 2)] {
        let d = dims(3, 5, 3, stride, pad, 23, 21);
        let dz = sizes(&d);
        let x = values::<{ 2 * 3 * 23 * 21 }>(7);
        let w = values::<{ 5 * 27 }>(11);
        let b = values::<5>(13);
        let n = 5 * usize::from(d.h_out) * usize::from(d.w_out);
        let mut fast = [0.0f32; 2 * 5 * 23 * 21];
        let mut plain = fast;
        forward(&d, &x, Src::Vals(&w), Src::Vals(&b), &mut fast[..2 * n]);
        for (xs, ys) in x.chunks_exact(3 * 23 * 21).zip(plain[..2 * n].chunks_exact_mut(n)) {
            plain::forward(&dz, xs, Src::Vals(&w), Src::Vals(&b), ys);
        }
        for (i, (a, p)) in fast[..2 * n].iter().zip(&plain[..2 * n]).enumerate() {
            assert_eq!(
                a.to_bits(),
                p.to_bits(),
                "stride {stride} pad {pad} output {i}: {a} vs {p}"
            );
        }
        // and the blocked form is the one a host runs
        let block = (PATCH_BUF / 27).min(OUT_BUF / 5);
        let mut again = [0.0f32; 2 * 5 * 23 * 21];
        let mut bufs = bufs::<f32>();
        for (xs, ys) in x.chunks_exact(3 * 23 * 21).zip(again[..2 * n].chunks_exact_mut(n)) {
            sample_blocked(&dz, xs, &w, &b, ys, 0, block.min(40), &mut bufs, None);
        }
        assert!(
            again[..2 * n]
                .iter()
                .zip(&plain[..2 * n])
                .all(|(a, p)| a.to_bits() == p.to_bits())
        );
    }
}

#[test]
fn gradients_by_hand() {
    // 1 channel 3×3, k = 2, no padding: ∂w[i][j] = Σ ∂y[u][v] x[u + i][v + j]
    let d = dims(1, 1, 2, 1, 0, 3, 3);
    let x: [f64; 9] = core::array::from_fn(|i| i as f64);
    let gy = [1.0, 0.0, 0.0, 2.0];
    let mut gw = [0.0; 4];
    backward(&d, 1, &x, &[0.0; 4], &gy, &mut gw);
    assert_eq!(gw, [8.0, 11.0, 17.0, 20.0]);
    let mut gx = [0.0; 9];
    backward(&d, 0, &x, &[1.0, 2.0, 3.0, 4.0], &gy, &mut gx);
    assert_eq!(gx, [1.0, 2.0, 0.0, 3.0, 6.0, 4.0, 0.0, 6.0, 8.0]);
    let mut gb = [0.0];
    backward(&d, 2, &x, &[0.0; 4], &gy, &mut gb);
    assert_eq!(gb, [3.0]);
}

#[test]
fn blocked_and_plain_gradients_give_the_same_bits() {
    // 27 terms (one whole column tile and a remainder) and 3 × 9 = 81 terms
    // (several tiles), blocks smaller than the plane, two samples, and
    // gradients that do not start at zero; the input gradient also by whole
    // samples (one channel at a time at 23 × 21)
    for (c_in, stride, pad) in [(3, 1, 1), (9, 2, 1), (3, 1, 0)] {
        let d = dims(c_in, 5, 3, stride, pad, 23, 21);
        let dz = sizes(&d);
        let (xn, r) = (usize::from(c_in) * 23 * 21, usize::from(c_in) * 9);
        let plane = usize::from(d.h_out) * usize::from(d.w_out);
        let x = values::<{ 2 * 9 * 23 * 21 }>(3);
        let w = values::<{ 5 * 81 }>(5);
        let gy = values::<{ 2 * 5 * 23 * 21 }>(9);
        let (x, w, gy) = (&x[..2 * xn], &w[..5 * r], &gy[..2 * 5 * plane]);
        let start = values::<{ 5 * 81 }>(17);
        let (mut gw_host, mut gw_chip) = (start, start);
        let gx_start = values::<{ 2 * 9 * 23 * 21 }>(19);
        let (mut gx_host, mut gx_chip) = (gx_start, gx_start);
        let mut bufs = bufs::<f32>();
        for ((xs, gys), (gxh, gxc)) in x.chunks_exact(xn).zip(gy.chunks_exact(5 * plane)).zip(
            gx_host[..2 * xn]
                .chunks_exact_mut(xn)
                .zip(gx_chip[..2 * xn].chunks_exact_mut(xn)),
        ) {
            weight_grad_blocked(&dz, xs, gys, &mut gw_host[..5 * r], &mut bufs);
            plain::weight_grad(&dz, xs, gys, &mut gw_chip[..5 * r]);
            input_grad_blocked(&dz, w, gys, gxh, &mut bufs);
            plain::input_grad(&dz, w, gys, gxc);
        }
        let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(
            same(&gw_host, &gw_chip),
            "weight gradient, {c_in} channels, stride {stride}"
        );
        assert!(
            same(&gx_host, &gx_chip),
            "input gradient, {c_in} channels, stride {stride}"
        );
        // the transposed form over the whole batch, a channel or more at a
        // time, where it applies (not where the padded copy of 9 channels
        // exceeds its buffer)
        let mut gx_whole = gx_start;
        let applies = input_grad_whole_batch(&dz, w, gy, &mut gx_whole[..2 * xn], &mut bufs);
        assert_eq!(applies, c_in == 3, "{c_in} channels, stride {stride}");
        if applies {
            assert!(
                same(&gx_whole, &gx_chip),
                "input gradient by whole samples, {c_in} channels, stride {stride}"
            );
        }
        // and the sums are real: the gradients moved
        assert!(gw_host.iter().zip(&start).any(|(a, b)| a != b));
    }
}

#[test]
fn every_kernel_size_gathers_and_scatters_the_plain_bits() {
    // the fixed-size row copies (k = 3, 5, 7), the general ones (k = 2, 4), a
    // padding as wide as the kernel allows and a non-square image
    let x = values::<{ 2 * 2 * 11 * 9 }>(23);
    let w = values::<{ 3 * 2 * 49 }>(29);
    let b = values::<3>(31);
    let gy = values::<{ 2 * 3 * 16 * 14 }>(37);
    for k in [2u16, 3, 4, 5, 7] {
        for (stride, pad) in [(1, 0), (1, k / 2), (2, k - 1), (3, 1)] {
            let d = dims(2, 3, k, stride, pad, 11, 9);
            let dz = sizes(&d);
            let (xn, r) = (2 * 11 * 9, 2 * usize::from(k * k));
            let yn = 3 * usize::from(d.h_out) * usize::from(d.w_out);
            let (w, gy) = (&w[..3 * r], &gy[..2 * yn]);
            let (mut host, mut chip) = ([0.0f32; 2 * 3 * 16 * 14], [0.0f32; 2 * 3 * 16 * 14]);
            forward(&d, &x, Src::Vals(w), Src::Vals(&b), &mut host[..2 * yn]);
            for (xs, ys) in x.chunks_exact(xn).zip(chip[..2 * yn].chunks_exact_mut(yn)) {
                plain::forward(&dz, xs, Src::Vals(w), Src::Vals(&b), ys);
            }
            let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
            let case = (k, stride, pad);
            assert!(
                same(&host[..2 * yn], &chip[..2 * yn]),
                "outputs, (k, stride, pad) {case:?}"
            );
            assert!(
                host[..2 * yn].iter().any(|&v| v != 0.0),
                "outputs, (k, stride, pad) {case:?}"
            );
            let (mut gw_host, mut gw_chip) = ([0.0f32; 3 * 2 * 49], [0.0f32; 3 * 2 * 49]);
            let (mut gx_host, mut gx_chip) = ([0.0f32; 2 * 2 * 11 * 9], [0.0f32; 2 * 2 * 11 * 9]);
            backward(&d, 1, &x, w, gy, &mut gw_host[..3 * r]);
            backward(&d, 0, &x, w, gy, &mut gx_host);
            for ((xs, gys), gxs) in x
                .chunks_exact(xn)
                .zip(gy.chunks_exact(yn))
                .zip(gx_chip.chunks_exact_mut(xn))
            {
                plain::weight_grad(&dz, xs, gys, &mut gw_chip[..3 * r]);
                plain::input_grad(&dz, w, gys, gxs);
            }
            assert!(same(&gw_host, &gw_chip), "weight gradient, (k, stride, pad) {case:?}");
            assert!(same(&gx_host, &gx_chip), "input gradient, (k, stride, pad) {case:?}");
            assert!(
                gx_host.iter().any(|&v| v != 0.0),
                "input gradient, (k, stride, pad) {case:?}"
            );
        }
    }
}

#[test]
fn lenet_layers_give_the_plain_bits() {
    // the LeNet's two convolutions (padded 5 × 5 kernels), two samples:
    // outputs, weight gradients (blocks smaller than the plane for the
    // second) and input gradients
    fn check(d: Conv2dDims, x: &[f32], w: &[f32], b: &[f32], gy: &[f32]) {
        let dz = sizes(&d);
        let [c_in, c_out, k, _, _, h_in, w_in, h_out, w_out] = dz;
        let (xn, yn, wn) = (c_in * h_in * w_in, c_out * h_out * w_out, c_out * c_in * k * k);
        let (x, w, b, gy) = (&x[..2 * xn], &w[..wn], &b[..c_out], &gy[..2 * yn]);
        let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
        let (mut host, mut chip) = ([0.0f32; 2 * 32 * 64 * 4], [0.0f32; 2 * 32 * 64 * 4]);
        forward(&d, x, Src::Vals(w), Src::Vals(b), &mut host[..2 * yn]);
        for (xs, ys) in x.chunks_exact(xn).zip(chip[..2 * yn].chunks_exact_mut(yn)) {
            plain::forward(&dz, xs, Src::Vals(w), Src::Vals(b), ys);
        }
        assert!(same(&host, &chip), "outputs, {c_in} → {c_out}");
        let (mut gw_host, mut gw_chip) = ([0.0f32; 32 * 400], [0.0f32; 32 * 400]);
        let (mut gx_host, mut gx_chip) = ([0.0f32; 2 * 1024], [0.0f32; 2 * 1024]);
        backward(&d, 1, x, w, gy, &mut gw_host[..wn]);
        backward(&d, 0, x, w, gy, &mut gx_host[..2 * xn]);
        for ((xs, gys), gxs) in x
            .chunks_exact(xn)
            .zip(gy.chunks_exact(yn))
            .zip(gx_chip[..2 * xn].chunks_exact_mut(xn))
        {
            plain::weight_grad(&dz, xs, gys, &mut gw_chip[..wn]);
            plain::input_grad(&dz, w, gys, gxs);
        }
        assert!(same(&gw_host, &gw_chip), "weight gradient, {c_in} → {c_out}");
        assert!(same(&gx_host, &gx_chip), "input gradient, {c_in} → {c_out}");
        assert!(gw_host.iter().any(|&v| v != 0.0) && gx_host.iter().any(|&v| v != 0.0));
    }
    let x = values::<{ 2 * 256 * 4 }>(3);
    let w = values::<{ 32 * 400 }>(5);
    let b = values::<32>(7);
    let gy = values::<{ 2 * 32 * 64 * 4 }>(11);
    check(dims(1, 16, 5, 1, 2, 16, 16), &x, &w, &b, &gy);
    check(dims(16, 32, 5, 1, 2, 8, 8), &x, &w, &b, &gy);
    // the best recipe's `fast` network: a 3 × 3 second layer
    check(dims(16, 32, 3, 1, 1, 8, 8), &x, &w, &b, &gy);
}

#[test]
fn transpose_matches_the_definition() {
    // whole blocks, edges on either side or both, strides wider than the
    // rows, and nothing at all
    let src = values::<{ 40 * 37 }>(41);
    for (rows, cols) in [(16, 24), (20, 32), (7, 5), (19, 13), (8, 3), (3, 8), (0, 9), (9, 0)] {
        let (src_stride, dst_stride) = (cols + 3, rows + 2);
        let mut dst = [f32::NAN; 40 * 37];
        transpose(&src, src_stride, &mut dst, dst_stride, rows, cols);
        for j in 0..cols {
            for i in 0..rows {
                let (got, want) = (dst[j * dst_stride + i], src[i * src_stride + j]);
                assert_eq!(got.to_bits(), want.to_bits(), "{rows} x {cols}: ({i}, {j})");
            }
            // nothing written past a row of `dst`
            assert!(dst[j * dst_stride + rows].is_nan(), "{rows} x {cols}: past row {j}");
        }
    }
}
