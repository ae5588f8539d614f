use super::*;

/// Builds a buffer from a header string and `data_len` zero bytes.
fn buffer(header: &str, data_len: usize) -> [u8; 512] {
    let mut b = [0u8; 512];
    b[..8].copy_from_slice(&(header.len() as u64).to_le_bytes());
    b[8..8 + header.len()].copy_from_slice(header.as_bytes());
    let _ = data_len;
    b
}

fn parse_prefix<'a>(b: &'a [u8], header: &str, data_len: usize) -> Res<SafeTensors<'a>> {
    SafeTensors::parse(&b[..8 + header.len() + data_len])
}

#[test]
fn parses_two_tensors_and_metadata() {
    let h = r#"{"__metadata__":{"format":"pt"},"0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"0.bias":{"dtype":"F64","shape":[2],"data_offsets":[24,40]}}"#;
    let b = buffer(h, 40);
    let st = parse_prefix(&b, h, 40).unwrap();
    assert_eq!(st.len(), 2);
    let w = st.get("0.weight").unwrap();
    assert_eq!(w.shape(), &[2, 3]);
    assert_eq!(w.len(), 6);
    assert_eq!(st.get("0.bias").unwrap().dtype, Dtype::F64);
    assert!(st.get("1.weight").is_none());
}

#[test]
fn rejects_truncations_at_every_length() {
    let h = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    let b = buffer(h, 8);
    let full = 8 + h.len() + 8;
    assert!(SafeTensors::parse(&b[..full]).is_ok());
    for n in 0..full {
        assert!(SafeTensors::parse(&b[..n]).is_err(), "accepted {n} of {full} bytes");
    }
    assert!(SafeTensors::parse(&b[..full + 1]).is_err(), "accepted a trailing byte");
}

#[test]
fn rejects_bad_entries() {
    let cases = [
        r#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#,
        r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
        r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
        r#"{"a":{"dtype":"F32","shape":[2]}}"#,
        r#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
        r#"{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}}"#,
        r#"{"a":{"dtype":"F32","shape":[18446744073709551615,2],"data_offsets":[0,8]}}"#,
        r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,
        r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x"#,
        r#"["a"]"#,
    ];
    for h in cases {
        let b = buffer(h, 8);
        assert!(parse_prefix(&b, h, 8).is_err(), "accepted {h}");
    }
}

#[test]
fn rejects_huge_header_length() {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        SafeTensors::parse(&b).unwrap_err(),
        SafetensorsError::HeaderTooLarge {
            len: u64::MAX,
            limit: HEADER_MAX
        }
    );
}

#[test]
fn empty_file_is_valid() {
    let h = "{}";
    let b = buffer(h, 0);
    assert!(parse_prefix(&b, h, 0).unwrap().is_empty());
}
