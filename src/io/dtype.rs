//! The element types of safetensors files, and their conversion to the
//! graph's float type.
//!
//! A file may hold any of the format's dtypes: a PyTorch checkpoint often
//! carries an `I64` buffer (`num_batches_tracked`) or `F16`/`BF16` weights.
//! The reader parses every one of them (so sizes and offsets are checked
//! whatever the dtype); a model's parameters load from the float dtypes,
//! converted to the graph's type; the integer dtypes serve quantised models.

/// Element type of a safetensors tensor.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// IEEE 754 single precision, little-endian (`"F32"`).
    F32,
    /// IEEE 754 double precision, little-endian (`"F64"`).
    F64,
    /// IEEE 754 half precision (`"F16"`).
    F16,
    /// bfloat16: the top half of an `f32` (`"BF16"`).
    BF16,
    /// 8-bit float, 4 exponent and 3 mantissa bits, no infinities (`"F8_E4M3"`).
    F8E4M3,
    /// 8-bit float, 5 exponent and 2 mantissa bits (`"F8_E5M2"`).
    F8E5M2,
    /// Signed 8-bit integer (`"I8"`).
    I8,
    /// Signed 16-bit integer (`"I16"`).
    I16,
    /// Signed 32-bit integer (`"I32"`).
    I32,
    /// Signed 64-bit integer (`"I64"`).
    I64,
    /// Unsigned 8-bit integer (`"U8"`).
    U8,
    /// Unsigned 16-bit integer (`"U16"`).
    U16,
    /// Unsigned 32-bit integer (`"U32"`).
    U32,
    /// Unsigned 64-bit integer (`"U64"`).
    U64,
    /// One byte, 0 or 1 (`"BOOL"`).
    Bool,
}

/// Every dtype, in the order [`Dtype::from_name`] tries them.
const ALL: [Dtype; 15] = [
    Dtype::F32,
    Dtype::F64,
    Dtype::F16,
    Dtype::BF16,
    Dtype::F8E4M3,
    Dtype::F8E5M2,
    Dtype::I8,
    Dtype::I16,
    Dtype::I32,
    Dtype::I64,
    Dtype::U8,
    Dtype::U16,
    Dtype::U32,
    Dtype::U64,
    Dtype::Bool,
];

impl Dtype {
    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            Dtype::F64 | Dtype::I64 | Dtype::U64 => 8,
            Dtype::F32 | Dtype::I32 | Dtype::U32 => 4,
            Dtype::F16 | Dtype::BF16 | Dtype::I16 | Dtype::U16 => 2,
            Dtype::F8E4M3 | Dtype::F8E5M2 | Dtype::I8 | Dtype::U8 | Dtype::Bool => 1,
        }
    }

    /// The name safetensors uses in its header.
    pub const fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::F8E4M3 => "F8_E4M3",
            Dtype::F8E5M2 => "F8_E5M2",
            Dtype::I8 => "I8",
            Dtype::I16 => "I16",
            Dtype::I32 => "I32",
            Dtype::I64 => "I64",
            Dtype::U8 => "U8",
            Dtype::U16 => "U16",
            Dtype::U32 => "U32",
            Dtype::U64 => "U64",
            Dtype::Bool => "BOOL",
        }
    }

    /// The dtype safetensors calls `name`, if any.
    pub fn from_name(name: &str) -> Option<Dtype> {
        ALL.into_iter().find(|d| d.name() == name)
    }

    /// Whether the dtype is a floating-point type (a parameter can load from it).
    pub const fn is_float(self) -> bool {
        matches!(
            self,
            Dtype::F32 | Dtype::F64 | Dtype::F16 | Dtype::BF16 | Dtype::F8E4M3 | Dtype::F8E5M2
        )
    }

    /// Decodes one little-endian element of this dtype from exactly
    /// [`Dtype::size`] bytes, exactly (every value of every dtype but the
    /// 64-bit integers beyond 2^53 is an `f64`). `None` for another length.
    pub fn decode(self, b: &[u8]) -> Option<f64> {
        Some(match self {
            Dtype::F32 => f64::from(f32::from_le_bytes(b.try_into().ok()?)),
            Dtype::F64 => f64::from_le_bytes(b.try_into().ok()?),
            Dtype::F16 => f16_to_f64(u16::from_le_bytes(b.try_into().ok()?)),
            Dtype::BF16 => {
                let bits = u16::from_le_bytes(b.try_into().ok()?);
                f64::from(f32::from_bits(u32::from(bits) << 16))
            }
            Dtype::F8E4M3 => f8e4m3_to_f64(u8::from_le_bytes(b.try_into().ok()?)),
            Dtype::F8E5M2 => f16_to_f64(u16::from(u8::from_le_bytes(b.try_into().ok()?)) << 8),
            Dtype::I8 => f64::from(i8::from_le_bytes(b.try_into().ok()?)),
            Dtype::I16 => f64::from(i16::from_le_bytes(b.try_into().ok()?)),
            Dtype::I32 => f64::from(i32::from_le_bytes(b.try_into().ok()?)),
            Dtype::I64 => i64::from_le_bytes(b.try_into().ok()?) as f64,
            Dtype::U8 | Dtype::Bool => f64::from(u8::from_le_bytes(b.try_into().ok()?)),
            Dtype::U16 => f64::from(u16::from_le_bytes(b.try_into().ok()?)),
            Dtype::U32 => f64::from(u32::from_le_bytes(b.try_into().ok()?)),
            Dtype::U64 => u64::from_le_bytes(b.try_into().ok()?) as f64,
        })
    }
}

impl core::fmt::Display for Dtype {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// An IEEE 754 half as `f64` (exact: every half is a double).
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let man = f64::from(h & 0x3ff);
    match exp {
        0 => sign * man * pow2(-24),
        0x1f if man == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        _ => sign * (1.0 + man / 1024.0) * pow2(exp - 15),
    }
}

/// An `F8_E4M3` (the "FN" variant: no infinities, `S.1111.111` is NaN) as `f64`.
fn f8e4m3_to_f64(b: u8) -> f64 {
    let sign = if b & 0x80 == 0 { 1.0 } else { -1.0 };
    let exp = i32::from((b >> 3) & 0xf);
    let man = f64::from(b & 0x7);
    match exp {
        0 => sign * man * pow2(-9),
        0xf if b & 0x7 == 0x7 => f64::NAN,
        _ => sign * (1.0 + man / 8.0) * pow2(exp - 7),
    }
}

/// `2^e` for the small exponents above, exactly.
fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + i64::from(e)) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sizes() {
        for d in ALL {
            assert_eq!(Dtype::from_name(d.name()), Some(d));
            assert_eq!(d.decode(&[0u8; 8][..d.size()]), Some(0.0));
            assert_eq!(d.decode(&[0u8; 9][..d.size() + 1]), None);
        }
        assert_eq!(Dtype::from_name("F12"), None);
    }

    #[test]
    fn half_floats_decode_exactly() {
        // 1.0, -2.0, the smallest subnormal, the largest finite, infinity.
        let cases: [(u16, f64); 5] = [
            (0x3c00, 1.0),
            (0xc000, -2.0),
            (0x0001, 5.960464477539063e-8),
            (0x7bff, 65504.0),
            (0x7c00, f64::INFINITY),
        ];
        for (bits, want) in cases {
            assert_eq!(Dtype::F16.decode(&bits.to_le_bytes()), Some(want), "{bits:#x}");
        }
        assert!(Dtype::F16.decode(&0x7e00u16.to_le_bytes()).unwrap().is_nan());
        // bfloat16 1.5 = 0x3fc0; F8_E5M2 1.0 = 0x3c; F8_E4M3 1.0 = 0x38, 448 = 0x7e.
        assert_eq!(Dtype::BF16.decode(&0x3fc0u16.to_le_bytes()), Some(1.5));
        assert_eq!(Dtype::F8E5M2.decode(&[0x3c]), Some(1.0));
        assert_eq!(Dtype::F8E4M3.decode(&[0x38]), Some(1.0));
        assert_eq!(Dtype::F8E4M3.decode(&[0x7e]), Some(448.0));
        assert!(Dtype::F8E4M3.decode(&[0x7f]).unwrap().is_nan());
    }

    #[test]
    fn integers_decode() {
        assert_eq!(Dtype::I8.decode(&[0xff]), Some(-1.0));
        assert_eq!(Dtype::I32.decode(&(-7i32).to_le_bytes()), Some(-7.0));
        assert_eq!(Dtype::I64.decode(&(1i64 << 40).to_le_bytes()), Some(1099511627776.0));
        assert_eq!(Dtype::U16.decode(&[0xff, 0xff]), Some(65535.0));
    }
}
