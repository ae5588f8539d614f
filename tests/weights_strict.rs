//! A weight file that loads is the file it claims to be: crafted files with
//! overlapping, shared or missing bytes, duplicate names, bad numbers, deep
//! nesting and wrapping offsets are rejected with a message naming the
//! tensor and the bytes; loading is by name, strict or not, converting
//! F16/BF16/F64 and ignoring what a non-strict load does not need.

use flambeau::{
    CrossEntropyLoss, Dtype, Error, Footprint, Linear, Node, SafeTensors, Sequential, Strictness, Tanh, TensorData,
    TensorOut, Trainer, write_safetensors,
};
use proptest::prelude::*;

/// A buffer from a header and a data section.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

fn parse_err(header: &str, data_len: usize) -> String {
    let b = file(header, &vec![0u8; data_len]);
    match SafeTensors::parse(&b) {
        Ok(_) => panic!("accepted {header}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn overlapping_and_shared_bytes_are_rejected_with_names_and_ranges() {
    // Sizes add up (8 + 8 = 16 bytes) but the bias is read from the weight's bytes.
    let h = r#"{"0.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"x":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#;
    assert_eq!(
        parse_err(h, 16),
        "tensors \"0.weight\" [0, 8) and \"0.bias\" [4, 12) share bytes"
    );
    let shared = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    assert_eq!(
        parse_err(shared, 8),
        "tensors \"a\" [0, 8) and \"b\" [0, 8) share bytes"
    );
}

#[test]
fn holes_and_trailing_bytes_are_rejected() {
    let hole = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#;
    assert_eq!(
        parse_err(hole, 12),
        "bytes [4, 8) of the data section belong to no tensor"
    );
    let tail = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    assert_eq!(
        parse_err(tail, 6),
        "bytes [4, 6) of the data section belong to no tensor"
    );
    let late = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#;
    assert_eq!(
        parse_err(late, 8),
        "bytes [0, 4) of the data section belong to no tensor"
    );
}

#[test]
fn duplicate_names_are_rejected_even_when_escaped() {
    let dup = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#;
    assert_eq!(parse_err(dup, 8), "tensor \"a\" appears twice in the header");
    let meta = r#"{"__metadata__":{},"__metadata__":{}}"#;
    assert!(parse_err(meta, 0).contains("\"__metadata__\" must appear once"));
}

#[test]
fn offsets_beyond_32_bits_do_not_wrap() {
    // 2^32 + 4 would wrap to 4 on a 32-bit target.
    let h = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4294967296,4294967300]}}"#;
    assert_eq!(
        parse_err(h, 4),
        "tensor \"a\": data ends at byte 4294967300, beyond the data section of 4 bytes"
    );
    let h = r#"{"a":{"dtype":"F32","shape":[1073741825],"data_offsets":[0,4]}}"#;
    assert_eq!(
        parse_err(h, 4),
        "tensor \"a\": its shape and dtype need 4294967300 bytes, data_offsets [0, 4] span 4"
    );
}

#[test]
fn bad_numbers_and_structures_are_named() {
    let cases = [
        (
            r#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
            "tensor \"a\": a dimension is negative",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#,
            "tensor \"a\": a dimension is not an integer",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8e0]}}"#,
            "tensor \"a\": an offset is not an integer",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}"#,
            "tensor \"a\": a dimension does not fit in 64 bits",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2]}}"#,
            "tensor \"a\": \"data_offsets\" is missing",
        ),
        (
            r#"{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            "tensor \"a\": \"dtype\" is given twice",
        ),
        (
            r#"{"a":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}"#,
            "tensor \"a\": unknown dtype",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#,
            "tensor \"a\": \"shape\" has the wrong JSON type",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
            "tensor \"a\": \"data_offsets\" is not [begin, end] with begin <= end",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}}"#,
            "tensor \"a\": more than 8 dimensions",
        ),
        (r#"{"a":[1,2]}"#, "tensor \"a\": the entry is not an object"),
        (r#"["a"]"#, "header byte 0: the header is not a JSON object"),
        (
            r#"{"__metadata__":{"k":1}}"#,
            "header byte 16: \"__metadata__\" must appear once, as an object of strings",
        ),
    ];
    for (h, want) in cases {
        assert_eq!(parse_err(h, 8), want, "{h}");
    }
    let deep = format!(r#"{{"__x":{}1{}}}"#, "[".repeat(40), "]".repeat(40));
    let err = parse_err(&deep, 0);
    assert!(err.ends_with("JSON nested deeper than the limit of 16 levels"), "{err}");
}

type Mlp = Sequential<(Linear<3, 2>, Tanh, Linear<2, 1>)>;
type Fp = Footprint<Mlp, CrossEntropyLoss, 1>;
const MLP: Mlp = Sequential((Linear::new(), Tanh, Linear::new()));
const SHAPES: [(&str, &[usize]); 4] = [
    ("0.weight", &[2, 3]),
    ("0.bias", &[2]),
    ("2.weight", &[1, 2]),
    ("2.bias", &[1]),
];

/// The four parameters as raw tensors of `dtype` (values 1, 2, 3, … encoded by `enc`), plus `extra`.
fn model_file(dtype: Dtype, enc: fn(f32) -> Vec<u8>, extra: &[TensorOut<'_>]) -> Vec<u8> {
    let mut raw: Vec<Vec<u8>> = Vec::new();
    let mut k = 0.0;
    for (_, shape) in SHAPES {
        let n: usize = shape.iter().product();
        raw.push(
            (0..n)
                .flat_map(|_| {
                    k += 1.0;
                    enc(k / 8.0)
                })
                .collect(),
        );
    }
    let tensors: Vec<TensorOut<'_>> = SHAPES
        .iter()
        .zip(&raw)
        .map(|((name, shape), bytes)| TensorOut::new(name, shape, TensorData::Bytes(dtype, bytes)).unwrap())
        .chain(extra.iter().cloned())
        .collect();
    let meta = [("architecture", "Linear(3,2) -> Tanh -> Linear(2,1)")];
    let len = flambeau::safetensors_len(&meta, tensors.iter().cloned());
    let mut out = vec![0u8; len];
    assert_eq!(
        write_safetensors(&mut out, &meta, tensors.iter().cloned()).unwrap(),
        len
    );
    out
}

fn load_with(bytes: &[u8], s: Strictness) -> Result<Vec<f32>, Error> {
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net = Trainer::<f32, Mlp, CrossEntropyLoss, 1>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena)?;
    net.graph_mut().load_safetensors_with(bytes, s)?;
    Ok(net.graph().params().to_vec())
}

#[test]
fn half_precision_and_f64_files_load_converted() {
    let want: Vec<f32> = (1..=11).map(|k| k as f32 / 8.0).collect();
    let f16 = |v: f32| {
        // k/8 for k <= 11 is exact in half precision: sign 0, exponent and 10 mantissa bits.
        let bits = v.to_bits();
        let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
        (((exp as u16) << 10) | ((bits >> 13) & 0x3ff) as u16)
            .to_le_bytes()
            .to_vec()
    };
    let bf16 = |v: f32| ((v.to_bits() >> 16) as u16).to_le_bytes().to_vec();
    let f64le = |v: f32| f64::from(v).to_le_bytes().to_vec();
    for (dtype, enc) in [
        (Dtype::F16, f16 as fn(f32) -> Vec<u8>),
        (Dtype::BF16, bf16),
        (Dtype::F64, f64le),
    ] {
        let bytes = model_file(dtype, enc, &[]);
        assert_eq!(load_with(&bytes, Strictness::Strict).unwrap(), want, "{dtype}");
    }
}

#[test]
fn strict_loading_names_unexpected_tensors_and_non_strict_ignores_them() {
    let f32le = |v: f32| v.to_le_bytes().to_vec();
    let steps = [7i64.to_le_bytes(), 0i64.to_le_bytes()].concat();
    let extra = [
        TensorOut::new("1.num_batches_tracked", &[], TensorData::Bytes(Dtype::I64, &steps[..8])).unwrap(),
        TensorOut::new("bn.running_mean", &[1], TensorData::F32(&[0.5])).unwrap(),
    ];
    let bytes = model_file(Dtype::F32, f32le, &extra);
    let err = load_with(&bytes, Strictness::Strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        "safetensors: unexpected tensor \"1.num_batches_tracked\" and 1 more (the model has no such parameters)"
    );
    let ok = load_with(&bytes, Strictness::IgnoreUnexpected).unwrap();
    assert_eq!(ok[0], 0.125);
    // The full lists, by name.
    let st = SafeTensors::parse(&bytes).unwrap();
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let net = Trainer::<f32, Mlp, CrossEntropyLoss, 1>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    let unexpected: Vec<String> = net.graph().unexpected_tensors(&st).map(|n| n.to_string()).collect();
    assert_eq!(unexpected, ["1.num_batches_tracked", "bn.running_mean"]);
    assert_eq!(net.graph().missing_tensors(&st).count(), 0);
    assert_eq!(
        st.metadata_value("architecture").unwrap().to_string(),
        "Linear(3,2) -> Tanh -> Linear(2,1)"
    );
}

#[test]
fn an_integer_parameter_is_named_with_its_dtype() {
    let i32le = |v: f32| (v as i32).to_le_bytes().to_vec();
    let bytes = model_file(Dtype::I32, i32le, &[]);
    assert_eq!(
        load_with(&bytes, Strictness::Strict).unwrap_err().to_string(),
        "safetensors: tensor \"0.weight\" is I32: a parameter loads from F32, F64, F16, BF16 or F8 only"
    );
}

#[test]
fn gradients_are_saved_by_name() {
    type Two = Sequential<(Linear<3, 2>, Tanh, Linear<2, 2>)>;
    type TwoFp = Footprint<Two, CrossEntropyLoss, 1>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; TwoFp::NODES], vec![0.0f32; TwoFp::ARENA]);
    let two = Sequential((Linear::new(), Tanh, Linear::new()));
    let mut net = Trainer::<f32, Two, CrossEntropyLoss, 1>::new(two, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut flambeau::Rng::new(3));
    net.set_batch(&[0.5, -1.0, 2.0], &[1.0, 0.0]).unwrap();
    net.compute_grads().unwrap();
    let named: Vec<(String, Vec<f32>)> = net
        .graph()
        .named_parameters()
        .map(|(n, _, g)| (n.to_string(), g.to_vec()))
        .collect();
    assert_eq!(
        named.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    );
    assert!(named.iter().any(|(_, g)| g.iter().any(|&v| v != 0.0)));
    let mut out = vec![0u8; net.graph().gradients_safetensors_len()];
    net.graph().save_gradients_safetensors(&mut out).unwrap();
    let st = SafeTensors::parse(&out).unwrap();
    for (name, grad) in &named {
        let got: Vec<f32> = st.get(name).unwrap().values::<f32>().collect();
        assert_eq!(&got, grad, "{name}");
    }
}

/// An entry of a generated header: name index, dtype, element count, offsets.
fn entries() -> impl Strategy<Value = Vec<(u8, usize, u8, u8, u8)>> {
    prop::collection::vec((0u8..6, 0usize..3, 0u8..4, 0u8..24, 0u8..24), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any header of small entries parses exactly when its tensors tile the
    /// data section (by an independent sort) and its names are unique.
    #[test]
    fn parses_exactly_the_tiling_headers((list, data_len) in (entries(), 0usize..40)) {
        let dtypes = [Dtype::F32, Dtype::F16, Dtype::I8];
        let mut parts = Vec::new();
        let mut spans = Vec::new();
        let mut names = Vec::new();
        for &(name, d, n, a, len) in &list {
            let dtype = dtypes[d];
            let (a, b) = (u64::from(a), u64::from(a) + u64::from(len));
            parts.push(format!(
                r#""t{name}":{{"dtype":"{}","shape":[{n}],"data_offsets":[{a},{b}]}}"#,
                dtype.name()
            ));
            spans.push((a, b, u64::from(n) * dtype.size() as u64));
            names.push(name);
        }
        let header = format!("{{{}}}", parts.join(","));
        let bytes = file(&header, &vec![0u8; data_len]);
        let sizes_ok = spans.iter().all(|&(a, b, need)| b - a == need && b <= data_len as u64);
        let mut sorted: Vec<(u64, u64)> = spans.iter().map(|&(a, b, _)| (a, b)).collect();
        sorted.sort();
        let mut pos = 0;
        let mut tiles = true;
        for (a, b) in sorted {
            tiles &= a == pos;
            pos = b;
        }
        tiles &= pos == data_len as u64;
        let mut uniq = names.clone();
        uniq.sort();
        uniq.dedup();
        let valid = sizes_ok && tiles && uniq.len() == names.len();
        let parsed = SafeTensors::parse(&bytes);
        prop_assert_eq!(parsed.is_ok(), valid, "{} over {} bytes: {:?}", header, data_len, parsed.err());
        if let Ok(st) = parsed {
            let total: usize = st.iter().map(|(_, v)| v.data.len()).sum();
            prop_assert_eq!(total, data_len);
        }
    }

    /// Arbitrary bytes after a valid length prefix never panic, and whatever
    /// parses tiles its data section.
    #[test]
    fn arbitrary_headers_parse_to_tilings_or_fail(header in "[{}\\[\\]\":,0-9a-zF_ ]{0,80}", data_len in 0usize..16) {
        let bytes = file(&header, &vec![0u8; data_len]);
        if let Ok(st) = SafeTensors::parse(&bytes) {
            let total: usize = st.iter().map(|(_, v)| v.data.len()).sum();
            prop_assert_eq!(total, data_len);
        }
    }
}

#[test]
fn values_beyond_the_graphs_float_type_are_refused() {
    // Found by the fuzzer: an F64 1e300 is finite in the file and infinite as f32.
    let huge = |v: f32| if v == 0.125 { 1e300f64 } else { f64::from(v) }.to_le_bytes().to_vec();
    let bytes = model_file(Dtype::F64, huge, &[]);
    assert_eq!(
        load_with(&bytes, Strictness::Strict).unwrap_err().to_string(),
        "safetensors: tensor \"0.weight\": element 0 is NaN or infinite (in the graph's float type)"
    );
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f64; Fp::ARENA]);
    let mut net = Trainer::<f64, Mlp, CrossEntropyLoss, 1>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.graph_mut().load_safetensors(&bytes).unwrap();
    assert_eq!(net.graph().params()[0], 1e300);
}
