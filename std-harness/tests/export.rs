//! The firmware template's model folder, from an architecture, weights and test vectors.

use flambeau::{InferenceFootprint, Linear, Network, Node, ReLU, SafeTensors, Sequential, Tanh};
use flambeau_harness::export::{
    ExportError, Layer, Precision, firmware_model, firmware_model_int8, parse_architecture, precision,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn template_model(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../embedded/template/model")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn values(st: &SafeTensors<'_>, name: &str) -> Vec<f32> {
    st.get(name).map(|t| t.values::<f32>().collect()).unwrap_or_default()
}

/// The weights of `Linear(4,8) -> ReLU -> Linear(8,3)` as the core saves them.
fn mlp_weights() -> Vec<u8> {
    type Mlp = Sequential<(Linear<4, 8>, ReLU, Linear<8, 3>)>;
    type Fp = InferenceFootprint<Mlp, 1>;
    let model: Mlp = Sequential::new((Linear::new(), ReLU, Linear::new()));
    let mut tape = vec![Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; Fp::ARENA];
    let net = Network::<f32, Mlp, 1>::new(&model, &mut tape, &mut arena).unwrap();
    let mut bytes = vec![0u8; net.graph().safetensors_len()];
    net.graph().save_safetensors(&mut bytes).unwrap();
    bytes
}

#[test]
fn the_template_example_is_what_export_writes() {
    let weights = template_model("weights.safetensors");
    let vectors = template_model("test_vectors.safetensors");
    let st = SafeTensors::parse(&vectors).unwrap();
    let (inputs, outputs) = (values(&st, "inputs"), values(&st, "outputs"));
    assert_eq!((inputs.len(), outputs.len()), (32, 16));
    let arch = "Linear(2,16) -> Tanh -> Linear(16,1) -> Sigmoid";
    let files = firmware_model(arch, &weights, &inputs, Some(&outputs), 1e-5).unwrap();
    assert_eq!(files.model_rs, String::from_utf8(template_model("model.rs")).unwrap());
    assert_eq!(files.weights, weights);
    assert_eq!(files.test_vectors, vectors);
}

#[test]
fn generated_type_names_every_layer_in_order() {
    let weights = mlp_weights();
    let inputs: Vec<f32> = (0..12).map(|i| i as f32 / 10.0).collect();
    let files = firmware_model("Linear(4,8) -> ReLU -> Linear(8,3)", &weights, &inputs, None, 0.0).unwrap();
    let rs = &files.model_rs;
    assert!(rs.contains("use flambeau::{Linear, ReLU, Sequential};"), "{rs}");
    assert!(
        rs.contains("pub type Model = Sequential<(Linear<4, 8>, ReLU, Linear<8, 3>)>;"),
        "{rs}"
    );
    assert!(
        rs.contains("pub const INPUTS: usize = 4;") && rs.contains("pub const OUTPUTS: usize = 3;"),
        "{rs}"
    );
    assert!(
        rs.contains("Sequential::new((Linear::new(), ReLU, Linear::new()))"),
        "{rs}"
    );
    // What the type prints is the architecture it was made from.
    let model: Sequential<(Linear<4, 8>, ReLU, Linear<8, 3>)> = Sequential::new((Linear::new(), ReLU, Linear::new()));
    assert!(
        rs.contains(&format!("pub const ARCHITECTURE: &str = {:?};", model.to_string())),
        "{rs}"
    );
    // The vectors: 3 rows of 4 inputs, no reference outputs.
    let st = SafeTensors::parse(&files.test_vectors).unwrap();
    assert_eq!(st.get("inputs").unwrap().shape(), &[3, 4]);
    assert_eq!(values(&st, "inputs"), inputs);
    assert!(st.get("outputs").is_none());
}

#[test]
fn architectures_parse_and_chain() {
    let layers = parse_architecture("Linear(2,16) -> Tanh -> Linear(16,1) -> Sigmoid").unwrap();
    assert_eq!(layers[0], Layer::Linear { inputs: 2, outputs: 16 });
    assert_eq!(layers.len(), 4);
    assert_eq!(
        parse_architecture("Linear(2,16) -> Tanh -> Linear(8,1)"),
        Err(ExportError::Chain {
            index: 2,
            inputs: 8,
            previous: 16
        })
    );
    let e = parse_architecture("Linear(2,16) -> BatchNorm1d(16)").unwrap_err();
    assert!(matches!(e, ExportError::UnknownLayer { index: 1, .. }), "{e}");
    assert!(matches!(parse_architecture("Tanh"), Err(ExportError::NoLinear(_))));
    assert!(matches!(
        parse_architecture("Linear(2,x)"),
        Err(ExportError::UnknownLayer { index: 0, .. })
    ));
    // Sizes of 0 are refused where they are read, naming the layer.
    for (arch, index) in [
        ("Linear(0,0)", 0),
        ("Linear(2,16) -> Tanh -> Linear(16,0)", 2),
        ("Conv1d(1,0,k=3) -> Flatten -> Linear(8,2)", 0),
        ("Conv1d(1,4,k=0) -> Flatten -> Linear(8,2)", 0),
        ("Conv2d(1,4,k=3,stride=0) -> Flatten -> Linear(8,2)", 0),
        ("Conv1d(1,4,k=3) -> MaxPool1d(0,2) -> Flatten -> Linear(8,2)", 1),
        ("Conv1d(1,4,k=3) -> AvgPool1d(2,0) -> Flatten -> Linear(8,2)", 1),
    ] {
        let e = parse_architecture(arch).unwrap_err();
        assert!(
            matches!(e, ExportError::ZeroSize { index: i, .. } if i == index),
            "{arch}: {e}"
        );
        assert!(e.to_string().contains("has a size of 0"), "{e}");
    }
    // A padding of 0 is no size.
    assert!(parse_architecture("Conv2d(1,4,k=3,padding=0) -> Flatten -> Linear(8,2)").is_ok());
}

#[test]
fn weights_that_do_not_fit_the_architecture_are_refused() {
    let weights = mlp_weights();
    let inputs = [0.0f32; 4];
    // A wider first layer than the file's.
    let e = firmware_model("Linear(4,9) -> ReLU -> Linear(9,3)", &weights, &inputs, None, 0.0).unwrap_err();
    assert_eq!(
        e,
        ExportError::Shape {
            name: "0.weight".into(),
            dtype: "F32".into(),
            wanted: "F32".into(),
            got: vec![8, 4],
            expected: vec![9, 4]
        }
    );
    assert!(e.to_string().contains("\"0.weight\" is F32 [8, 4]"), "{e}");
    // The layers at other positions: "1.weight" is missing.
    let e = firmware_model("Linear(4,8) -> Linear(8,3)", &weights, &inputs, None, 0.0).unwrap_err();
    assert!(
        matches!(&e, ExportError::Missing { name, index: 1, .. } if name == "1.weight"),
        "{e}"
    );
    // A file with more layers than the architecture.
    let e = firmware_model("Linear(4,8) -> Tanh", &weights, &inputs, None, 0.0).unwrap_err();
    assert_eq!(e, ExportError::Extra("2.weight".into()));
    let e = firmware_model("Linear(4,8) -> Tanh", b"not safetensors", &inputs, None, 0.0).unwrap_err();
    assert!(matches!(e, ExportError::Weights(_)), "{e}");
}

#[test]
fn vectors_must_fill_whole_rows() {
    let weights = mlp_weights();
    let arch = "Linear(4,8) -> ReLU -> Linear(8,3)";
    let e = firmware_model(arch, &weights, &[0.0; 6], None, 0.0).unwrap_err();
    assert_eq!(
        e,
        ExportError::Vectors {
            what: "inputs",
            len: 6,
            rows: 1,
            width: 4
        }
    );
    let e = firmware_model(arch, &weights, &[0.0; 8], Some(&[0.0; 5]), 0.0).unwrap_err();
    assert_eq!(
        e,
        ExportError::Vectors {
            what: "outputs",
            len: 5,
            rows: 2,
            width: 3
        }
    );
    assert!(firmware_model(arch, &weights, &[], None, 0.0).is_err());
    let _ = Tanh; // the layer types the generated files name are the core's
}

/// `mlp_weights` quantised to int8 as `flambeau quantize` writes it.
fn mlp_int8() -> Vec<u8> {
    use flambeau_harness::quantize::{arch, int8_file};
    let arch_text = "Linear(4,8) -> ReLU -> Linear(8,3)";
    let f32_bytes = mlp_weights();
    let st = SafeTensors::parse(&f32_bytes).unwrap();
    let model = arch::F32Model::read(&st, arch::parse(arch_text).unwrap()).unwrap();
    int8_file(
        &model,
        &[(-1.0, 1.0), (-2.0, 2.0), (0.0, 2.0), (-3.0, 3.0)],
        arch_text,
        "test ranges",
    )
    .unwrap()
}

#[test]
fn an_int8_file_is_recognised_and_exported_with_its_int8_types() {
    let int8 = mlp_int8();
    assert_eq!(precision(&int8).unwrap(), Precision::Int8);
    assert_eq!(precision(&mlp_weights()).unwrap(), Precision::F32);
    let codes: Vec<i8> = (0..8).map(|i| (i * 37 - 128) as i8).collect();
    let outputs = [1i8, -2, 3, 4, -5, 6];
    let arch = "Linear(4,8) -> ReLU -> Linear(8,3)";
    let files = firmware_model_int8(arch, &int8, &codes, Some(&outputs)).unwrap();
    assert!(
        files
            .model_rs
            .contains("pub type Model<'a> = (QLinear<'a, 4, 8>, QReLU<8>, QLinear<'a, 8, 3>);"),
        "{}",
        files.model_rs
    );
    assert!(files.model_rs.contains("use flambeau::{QLinear, QReLU};"));
    assert!(
        files
            .model_rs
            .contains(&format!("pub const ARCHITECTURE: &str = {arch:?};"))
    );
    assert_eq!(files.weights, int8, "the int8 file is copied as it is");
    let st = SafeTensors::parse(&files.test_vectors).unwrap();
    let inputs = st.get("inputs").unwrap();
    assert_eq!((inputs.dtype, inputs.shape()), (flambeau::Dtype::I8, &[2, 4][..]));
    assert_eq!(inputs.data, codes.iter().map(|&c| c as u8).collect::<Vec<_>>());
    let out = st.get("outputs").unwrap();
    assert_eq!((out.dtype, out.shape()), (flambeau::Dtype::I8, &[2, 3][..]));
}

#[test]
fn int8_exports_refuse_what_the_int8_layers_cannot_read() {
    let int8 = mlp_int8();
    let codes = [0i8; 4];
    // An f32 file given to the int8 export.
    let e = firmware_model_int8("Linear(4,8) -> ReLU -> Linear(8,3)", &mlp_weights(), &codes, None).unwrap_err();
    assert!(matches!(&e, ExportError::Weights(m) if m.contains("f32")), "{e}");
    // A layer with no int8 form.
    let e = firmware_model_int8("Linear(4,8) -> LogSoftmax", &int8, &codes, None).unwrap_err();
    assert!(matches!(e, ExportError::NotInt8 { index: 1, .. }), "{e}");
    // Widths that do not match the file: the int8 dtype is named.
    let e = firmware_model_int8("Linear(4,9) -> ReLU -> Linear(9,3)", &int8, &codes, None).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"0.weight\" is I8 [8, 4], the architecture needs I8 [9, 4]"),
        "{e}"
    );
    // Fewer layers than the file holds.
    let e = firmware_model_int8("Linear(4,8) -> ReLU", &int8, &codes, None).unwrap_err();
    assert!(matches!(&e, ExportError::Extra(name) if name.starts_with("2.")), "{e}");
    // Outputs that do not fill the rows.
    let e = firmware_model_int8("Linear(4,8) -> ReLU -> Linear(8,3)", &int8, &codes, Some(&[0i8; 2])).unwrap_err();
    assert!(matches!(e, ExportError::Vectors { what: "outputs", .. }), "{e}");
    // Another quantization scheme.
    let meta = [("quantization", "int4")];
    let mut other = vec![0u8; flambeau::safetensors_len(&meta, std::iter::empty())];
    flambeau::write_safetensors(&mut other, &meta, std::iter::empty()).unwrap();
    assert!(matches!(precision(&other), Err(ExportError::Scheme(s)) if s == "int4"));
}

/// `flambeau export --model model --out out` with `flags`.
fn export_cli(model: &Path, out: &Path, flags: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args([
            "export",
            "--model",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(flags)
        .output()
        .unwrap()
}

/// `bytes` (a safetensors buffer) with one more I32 tensor `name`, metadata kept.
fn with_extra(bytes: &[u8], name: &str) -> Vec<u8> {
    use flambeau::{TensorData, TensorOut};
    let st = SafeTensors::parse(bytes).unwrap();
    let meta: Vec<(String, String)> = st.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut tensors: Vec<TensorOut<'_>> = st
        .iter()
        .map(|(n, v)| TensorOut::new(n.raw(), v.shape(), TensorData::Bytes(v.dtype, v.data)).unwrap())
        .collect();
    tensors.push(TensorOut::new(name, &[1], TensorData::I32(&[3])).unwrap());
    let mut out = vec![0u8; flambeau::safetensors_len(&meta, tensors.iter().cloned())];
    let n = flambeau::write_safetensors(&mut out, &meta, tensors.iter().cloned()).unwrap();
    out.truncate(n);
    out
}

#[test]
fn the_int8_export_bounds_its_vectors_and_input_shape() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("int8.safetensors");
    std::fs::write(&file, mlp_int8()).unwrap();
    let out = dir.path().join("model");
    // Its metadata says `input_shape` [256] (`quantize` writes the USPS input); this MLP takes 4.
    for (flags, word) in [
        (["--vectors", "100000000000", "--input-shape", "4"], "--vectors: "),
        (
            ["--vectors", "18446744073709551615", "--input-shape", "4"],
            "--vectors: ",
        ),
        (["--vectors", "0", "--input-shape", "4"], "--vectors: "),
        (
            ["--vectors", "16", "--input-shape", "1,1152921504606847232"],
            "--input-shape: ",
        ),
        (
            ["--vectors", "16", "--input-shape", "4294967296,4294967296"],
            "--input-shape: ",
        ),
    ] {
        let o = export_cli(&file, &out, &flags);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{flags:?}: {stderr}");
        assert!(stderr.contains(word), "{flags:?}: {stderr}");
        assert!(!out.exists(), "nothing is written on error");
    }
    let o = export_cli(&file, &out, &["--vectors", "5", "--input-shape", "4"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let vectors = std::fs::read(out.join("test_vectors.safetensors")).unwrap();
    let st = SafeTensors::parse(&vectors).unwrap();
    assert_eq!(st.get("inputs").unwrap().shape(), [5, 4]);
}

#[test]
fn the_int8_export_leaves_out_unread_tensors_with_non_strict() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("int8.safetensors");
    std::fs::write(&file, with_extra(&mlp_int8(), "calibration.count")).unwrap();
    let out = dir.path().join("model");
    let o = export_cli(&file, &out, &["--input-shape", "4"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("\"calibration.count\" belongs to no layer"), "{stderr}");
    assert!(!out.exists());
    let o = export_cli(&file, &out, &["--input-shape", "4", "--non-strict"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("left out 1 tensor(s)"));
    let weights = std::fs::read(out.join("weights.safetensors")).unwrap();
    assert_eq!(
        weights,
        mlp_int8(),
        "the int8 file as quantize wrote it, metadata included"
    );
    assert_eq!(precision(&weights).unwrap(), Precision::Int8);
}

#[test]
fn non_finite_weights_are_refused() {
    let arch = "Linear(2,1)";
    let weights = |w: [f32; 2]| {
        use flambeau::{TensorData, TensorOut};
        let t = [
            TensorOut::new("0.weight", &[1, 2], TensorData::F32(&w)).unwrap(),
            TensorOut::new("0.bias", &[1], TensorData::F32(&[0.0])).unwrap(),
        ];
        let mut out = vec![0u8; flambeau::safetensors_len(&[], t.iter().cloned())];
        let n = flambeau::write_safetensors(&mut out, &[], t.iter().cloned()).unwrap();
        out.truncate(n);
        out
    };
    assert!(firmware_model(arch, &weights([1.0, 2.0]), &[0.0, 0.0], None, 1e-5).is_ok());
    let e = firmware_model(arch, &weights([1.0, f32::INFINITY]), &[0.0, 0.0], None, 1e-5).unwrap_err();
    assert!(
        matches!(&e, ExportError::NotFinite { name, element: 1, .. } if name == "0.weight"),
        "{e}"
    );
}
