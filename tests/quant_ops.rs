//! Each int8 op against its f32 counterpart on random inputs, within the
//! error its "Numerics" line states.

// The references index as the formulas do.
#![allow(clippy::needless_range_loop)]

use flambeau::{
    LutFunction, QConv1d, QLayer, QLinear, QLut, QSoftmax, QuantParams, QuantizedLayer, lut_table, quantize_layer,
};
use proptest::prelude::*;

/// One layer's int8 tensors, as `quantize_layer` writes them.
struct Q {
    w: Vec<u8>,
    b: Vec<u8>,
    ws: Vec<f32>,
    m: Vec<u8>,
    s: Vec<u8>,
}

fn quantize(weight: &[f32], bias: &[f32], input: QuantParams, output: QuantParams) -> Q {
    let out = bias.len();
    let mut q = Q {
        w: vec![0; weight.len()],
        b: vec![0; 4 * out],
        ws: vec![0.0; out],
        m: vec![0; 4 * out],
        s: vec![0; 4 * out],
    };
    let layer = QuantizedLayer {
        weight: &mut q.w,
        bias: &mut q.b,
        weight_scale: &mut q.ws,
        multiplier: &mut q.m,
        shift: &mut q.s,
    };
    quantize_layer(weight, bias, input, output, layer).unwrap();
    q
}

fn range(xs: &[f32]) -> QuantParams {
    let lo = xs.iter().copied().fold(0.0f32, f32::min);
    let hi = xs.iter().copied().fold(0.0f32, f32::max);
    QuantParams::from_min_max(lo, hi).unwrap()
}

fn i32s(b: &[u8]) -> Vec<i32> {
    b.chunks_exact(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Checks int8 outputs `y` against the exact real output of the dequantised
/// operands (`exact`, in output steps): within ¾ step + the multiplier's 2^-31, after clamping.
fn assert_requantised(y: &[i8], exact: &[f64], out: QuantParams, acc_bound: f64) {
    for (&yi, &e) in y.iter().zip(exact) {
        let code = (e / f64::from(out.scale) + f64::from(out.zero_point)).clamp(-128.0, 127.0);
        let tol = 0.75 + acc_bound * 2f64.powi(-30) + 1e-6;
        assert!((f64::from(yi) - code).abs() <= tol, "code {yi}, exact {code}");
    }
}

const IN: usize = 12;
const OUT: usize = 5;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn linear_matches_f32(
        w in prop::collection::vec(-1.0f32..1.0, IN * OUT),
        b in prop::collection::vec(-0.5f32..0.5, OUT),
        x in prop::collection::vec(-2.0f32..3.0, IN),
    ) {
        let y32: Vec<f32> = w.chunks(IN).zip(&b).map(|(r, &b)| r.iter().zip(&x).map(|(w, x)| w * x).sum::<f32>() + b).collect();
        let (pin, pout) = (range(&x), range(&y32));
        let q = quantize(&w, &b, pin, pout);
        let qx: Vec<i8> = x.iter().map(|&v| pin.quantize(v)).collect();
        let layer = QLinear::<IN, OUT>::new(&q.w, &q.b, &q.m, &q.s, pin.zero_point, pout.zero_point).unwrap();
        let mut y = [0i8; OUT];
        layer.forward(&qx, &mut y, &mut [0; IN]);
        // exact real output of the dequantised operands
        let bias = i32s(&q.b);
        let mut exact = vec![];
        let mut acc_max = 0.0f64;
        for o in 0..OUT {
            let acc: i64 = (0..IN).map(|i| i64::from(q.w[o * IN + i] as i8) * i64::from(i32::from(qx[i]) - pin.zero_point)).sum::<i64>() + i64::from(bias[o]);
            acc_max = acc_max.max((acc as f64).abs());
            exact.push(acc as f64 * f64::from(pin.scale) * f64::from(q.ws[o]));
        }
        assert_requantised(&y, &exact, pout, acc_max);
        // against the f32 layer itself: the stated bound of weight, input, bias and output rounding
        for o in 0..OUT {
            let (sw, sx) = (f64::from(q.ws[o]), f64::from(pin.scale));
            let mut bound = 0.75 * f64::from(pout.scale) + 0.5 * sx * sw;
            for i in 0..IN {
                bound += 0.5 * sw * f64::from(x[i].abs()) + 0.5 * sx * f64::from(w[o * IN + i].abs()) + 0.25 * sw * sx;
            }
            let got = f64::from(pout.dequantize(y[o]));
            prop_assert!((got - f64::from(y32[o])).abs() <= bound + 1e-5, "{} vs {} (bound {})", got, y32[o], bound);
        }
        // the folded ReLU clamps at the code of 0
        let relu = layer.with_relu();
        let mut yr = [0i8; OUT];
        relu.forward(&qx, &mut yr, &mut [0; IN]);
        for (a, r) in y.iter().zip(&yr) {
            prop_assert_eq!(*r, (*a).max(pout.zero_point as i8));
        }
    }

    #[test]
    fn conv1d_matches_f32(
        w in prop::collection::vec(-1.0f32..1.0, 3 * 2 * 3),
        b in prop::collection::vec(-0.5f32..0.5, 3),
        x in prop::collection::vec(-1.0f32..2.0, 2 * 9),
    ) {
        // Conv1d(2→3, k=3, stride 2) over length 9: 4 outputs per channel
        let mut y32 = vec![0.0f32; 3 * 4];
        for o in 0..3 { for t in 0..4 {
            y32[o * 4 + t] = b[o] + (0..2).flat_map(|c| (0..3).map(move |k| (c, k))).map(|(c, k)| w[o * 6 + c * 3 + k] * x[c * 9 + t * 2 + k]).sum::<f32>();
        }}
        let (pin, pout) = (range(&x), range(&y32));
        let q = quantize(&w, &b, pin, pout);
        let qx: Vec<i8> = x.iter().map(|&v| pin.quantize(v)).collect();
        let conv = QConv1d::<2, 3, 3, 9, 4, 2>::new(&q.w, &q.b, &q.m, &q.s, pin.zero_point, pout.zero_point).unwrap();
        let mut y = [0i8; 12];
        conv.forward(&qx, &mut y, &mut [0; 18]);
        let bias = i32s(&q.b);
        let mut exact = vec![];
        for o in 0..3 { for t in 0..4 {
            let mut acc = i64::from(bias[o]);
            for c in 0..2 { for k in 0..3 {
                acc += i64::from(q.w[o * 6 + c * 3 + k] as i8) * i64::from(i32::from(qx[c * 9 + t * 2 + k]) - pin.zero_point);
            }}
            exact.push(acc as f64 * f64::from(pin.scale) * f64::from(q.ws[o]));
        }}
        assert_requantised(&y, &exact, pout, 1e5);
    }

    #[test]
    fn lut_within_half_a_step(lo in -8.0f32..-0.1, hi in 0.1f32..8.0, sigmoid in any::<bool>()) {
        let f = if sigmoid { LutFunction::Sigmoid } else { LutFunction::Tanh };
        let (pin, pout) = (QuantParams::from_min_max(lo, hi).unwrap(), f.output_params());
        let table = lut_table(f, pin, pout);
        let lut = QLut::<256>::new(&table, f).unwrap();
        let x: Vec<i8> = (-128..=127).collect();
        let mut y = [0i8; 256];
        lut.forward(&x, &mut y, &mut []);
        for (&xi, &yi) in x.iter().zip(&y) {
            let exact = f.eval(f64::from(pin.scale) * f64::from(i32::from(xi) - pin.zero_point));
            let got = f64::from(pout.dequantize(yi));
            let saturated = yi == 127 && exact > got;
            prop_assert!(saturated || (got - exact).abs() <= 0.5 * f64::from(pout.scale) + 1e-9, "{} vs {}", got, exact);
        }
    }

    #[test]
    fn softmax_within_the_stated_error(x in prop::collection::vec(any::<i8>(), 10), scale in 0.01f32..0.5) {
        let table = QSoftmax::<10>::table(scale);
        let sm = QSoftmax::<10>::new(&table).unwrap();
        let mut y = [0i8; 10];
        sm.forward(&x, &mut y, &mut []);
        let e: Vec<f64> = x.iter().map(|&v| (f64::from(scale) * f64::from(v)).exp()).collect();
        let total: f64 = e.iter().sum();
        let out = QSoftmax::<10>::OUTPUT;
        for (&yi, ei) in y.iter().zip(&e) {
            let p = ei / total;
            let got = f64::from(out.dequantize(yi));
            let tol = 0.5 / 256.0 + 10.0 * 2f64.powi(-17) + 1e-9;
            prop_assert!((yi == 127 && p > got) || (got - p).abs() <= tol, "{} vs {}", got, p);
        }
    }
}

#[test]
fn layers_reject_bad_tensors() {
    let (w, b) = ([0u8; IN * OUT], [0u8; 4 * OUT]);
    let mut m = [0u8; 4 * OUT];
    assert!(QLinear::<IN, OUT>::new(&w[1..], &b, &m, &b, 0, 0).is_err());
    m[..4].copy_from_slice(&5i32.to_le_bytes()); // below 2^30: not a normalised multiplier
    let e = QLinear::<IN, OUT>::new(&w, &b, &m, &b, 0, 0).unwrap_err();
    assert_eq!(e.to_string(), "multiplier[0] = 5 is outside 1073741824..=2147483647");
    assert!(QLinear::<IN, OUT>::new(&w, &b, &b, &b, 0, 300).is_err());
    assert!(QLut::<4>::new(&[0; 255], LutFunction::Tanh).is_err());
    assert!(QSoftmax::<4>::new(&[0; 1000]).is_err());
}
