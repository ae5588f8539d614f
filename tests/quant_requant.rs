//! Requantisation against an exact i128 reference and the real product.

use flambeau::{Error, QuantizedMultiplier, saturating_rounding_doubling_high_mul};
use proptest::prelude::*;

/// The exact rational `x · M · 2^(shift − 31)`, rounded as TFLite does
/// (high multiply half up, then the shift half away from zero), in i128.
fn reference(x: i32, m: QuantizedMultiplier) -> i32 {
    let left = m.shift.max(0);
    let right = (-m.shift).max(0);
    let xs = x.saturating_mul(1 << left);
    if xs == i32::MIN && m.multiplier == i32::MIN {
        return i32::MAX;
    }
    let ab = i128::from(xs) * i128::from(m.multiplier);
    let high = (ab + (1 << 30)).div_euclid(1 << 31); // floor(ab / 2^31 + 1/2)
    let d = 1i128 << right;
    let q = high.div_euclid(d);
    let r = high.rem_euclid(d);
    // half away from zero
    let up = if high >= 0 { 2 * r >= d } else { 2 * r > d };
    (q + i128::from(up)) as i32
}

#[test]
fn known_values() {
    let half = QuantizedMultiplier::from_real(0.5).unwrap();
    assert_eq!(
        half,
        QuantizedMultiplier {
            multiplier: 1 << 30,
            shift: 0
        }
    );
    assert_eq!(half.apply(3), 2); // 1.5 → 2 (half away from zero in the high multiply)
    assert_eq!(half.apply(-3), -1); // -1.5 → -1 (half up)
    let quarter = QuantizedMultiplier::from_real(0.25).unwrap();
    assert_eq!(
        quarter,
        QuantizedMultiplier {
            multiplier: 1 << 30,
            shift: -1
        }
    );
    assert_eq!(quarter.apply(6), 2); // 1.5 → 2
    assert_eq!(quarter.apply(-6), -2); // -1.5 → -2 (shift: half away from zero)
    assert_eq!(QuantizedMultiplier::from_real(0.0).unwrap().apply(12345), 0);
    assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
}

#[test]
fn bad_multipliers_are_errors() {
    assert!(matches!(
        QuantizedMultiplier::from_real(f64::NAN),
        Err(Error::InvalidScale { .. })
    ));
    assert!(matches!(
        QuantizedMultiplier::from_real(-1.0),
        Err(Error::InvalidScale { .. })
    ));
    let e = QuantizedMultiplier::checked(5, 0, 3).unwrap_err();
    assert_eq!(
        e,
        Error::QuantParamOutOfRange {
            what: "multiplier",
            index: 3,
            value: 5,
            min: 1 << 30,
            max: i32::MAX as i64
        }
    );
    assert!(QuantizedMultiplier::checked(1 << 30, 31, 0).is_err());
    assert!(QuantizedMultiplier::checked(1 << 30, -31, 0).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn apply_matches_the_i128_reference(x in any::<i32>(), m in (1i32 << 30).., shift in -31i32..=0) {
        let qm = QuantizedMultiplier { multiplier: m, shift };
        prop_assert_eq!(qm.apply(x), reference(x, qm));
    }

    #[test]
    fn apply_is_the_rounded_real_product(x in -(1i32 << 24)..(1 << 24), real in 1e-6f64..0.999) {
        let qm = QuantizedMultiplier::from_real(real).unwrap();
        prop_assert!((qm.to_real() - real).abs() <= real * 1e-9);
        let exact = f64::from(x) * qm.to_real();
        // two roundings (high multiply, then shift): at most ½ + ½·2^shift
        let bound = 0.5 + 0.5 * libm::exp2(f64::from(qm.shift.min(0))) + 1e-9;
        prop_assert!((f64::from(qm.apply(x)) - exact).abs() <= bound, "{} vs {}", qm.apply(x), exact);
    }

    #[test]
    fn ties_round_as_tflite(k in -1000i32..1000, shift in -20i32..=-1) {
        // x = (2k+1) · 2^(right−1) with M = 2^30 (real ½ · 2^shift): the product is an exact tie.
        let right = -shift;
        let qm = QuantizedMultiplier { multiplier: 1 << 30, shift };
        let x = (2 * k + 1) * (1 << right);
        let v = f64::from(x) * qm.to_real(); // k + ½
        let away = if v >= 0.0 { v.ceil() } else { v.floor() };
        prop_assert_eq!(f64::from(qm.apply(x)), away);
        prop_assert_eq!(qm.apply(x), reference(x, qm));
    }

    #[test]
    fn saturates_at_int8_limits(x in any::<i32>(), real in 1e-3f64..4.0, zp in -128i32..=127) {
        let qm = QuantizedMultiplier::from_real(real).unwrap();
        let y = qm.apply(x).saturating_add(zp).clamp(-128, 127);
        let exact = (f64::from(x) * qm.to_real()).round() + f64::from(zp);
        if exact >= 127.5 { prop_assert_eq!(y, 127); }
        if exact <= -128.5 { prop_assert_eq!(y, -128); }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn quantise_round_trip_within_half_a_step(lo in -10.0f32..0.0, width in 0.01f32..20.0, t in 0.0f32..1.0) {
        let p = flambeau::QuantParams::from_min_max(lo, lo + width).unwrap();
        let (min, max) = (lo.min(0.0), (lo + width).max(0.0));
        let r = min + t * (max - min);
        let back = p.dequantize(p.quantize(r));
        prop_assert!((back - r).abs() <= 0.5 * p.scale * (1.0 + 1e-4), "{} -> {}", r, back);
    }

    #[test]
    fn codes_round_trip_exactly(q in any::<i8>(), scale in 1e-4f32..10.0, zp in -128i32..=127) {
        let p = flambeau::QuantParams::new(scale, zp, "x").unwrap();
        prop_assert_eq!(p.quantize(p.dequantize(q)), q);
    }
}
