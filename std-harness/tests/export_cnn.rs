//! Exporting the experiments' CNNs (f32 1-D and 2-D, int8 1-D) for the
//! firmware template: the architecture strings they print parse, the
//! generated type is the experiment's, and conv files that disagree with
//! the architecture are refused, naming the tensor and both shapes,
//! before anything is written.

use std::path::Path;
use std::process::{Command, Output};

use flambeau::{InferenceFootprint, Model, Network, Node, Rng, SafeTensors};
use flambeau_harness::experiments::conv1d::SmallNet;
use flambeau_harness::experiments::conv2d::FastNet;
use flambeau_harness::export::chain::Dims;
use flambeau_harness::export::{
    ExportError, Layer, firmware_model_int8_shaped, firmware_model_shaped, parse_architecture, shaped,
};

/// The weights of a randomly initialised `M`, with `metadata`, as the core saves them.
fn weights<M: Model + Default>(metadata: &[(&str, &str)]) -> Vec<u8> {
    let model = M::default();
    let (mut tape, mut arena) = (
        vec![Node::EMPTY; InferenceFootprint::<M, 1>::NODES],
        vec![0.0f32; InferenceFootprint::<M, 1>::ARENA],
    );
    let mut net = Network::<f32, M, 1>::new(&model, &mut tape, &mut arena).unwrap();
    net.graph_mut().init_params(&mut Rng::new(5));
    let mut bytes = vec![0u8; net.graph().safetensors_len_with(metadata, &[])];
    net.graph().save_safetensors_with(&mut bytes, metadata, &[]).unwrap();
    bytes
}

fn inputs(rows: usize) -> Vec<f32> {
    (0..rows * 256).map(|i| ((i * 37) % 255) as f32 / 255.0).collect()
}

#[test]
fn the_experiments_cnns_parse_as_they_print() {
    let small = parse_architecture(&SmallNet::default().to_string()).unwrap();
    assert_eq!(
        small,
        [
            Layer::Conv1d {
                in_channels: 1,
                out_channels: 32,
                kernel: 3,
                stride: 1
            },
            Layer::MaxPool1d { kernel: 2, stride: 2 },
            Layer::Flatten,
            Layer::Linear {
                inputs: 4064,
                outputs: 10
            },
        ]
    );
    let fast = parse_architecture(&FastNet::default().to_string()).unwrap();
    assert_eq!(fast.len(), 10);
    assert_eq!(
        fast[3],
        Layer::Conv2d {
            in_channels: 16,
            out_channels: 32,
            kernel: 3,
            stride: 1,
            padding: 1
        }
    );
    // PyTorch's spelling of the same layers.
    let torch = parse_architecture("Conv2d(1,4,kernel_size=3,stride=2) -> AvgPool2d(2) -> Flatten -> Linear(36,2)");
    assert_eq!(torch.unwrap()[1], Layer::AvgPool2d { kernel: 2, stride: 2 });
}

#[test]
fn input_shapes_come_from_the_metadata_or_the_chain() {
    let arch = SmallNet::default().to_string();
    for shape in [Some(&[256][..]), Some(&[1, 256][..]), None] {
        let steps = shaped(&arch, shape).unwrap();
        assert_eq!(steps[0].input, Dims::Seq(1, 256), "{shape:?}");
        assert_eq!(steps[2].output, Dims::Flat(4064));
    }
    let fast = FastNet::default().to_string();
    for shape in [Some(&[256][..]), Some(&[1, 16, 16][..]), None] {
        assert_eq!(
            shaped(&fast, shape).unwrap()[0].input,
            Dims::Image(1, 16, 16),
            "{shape:?}"
        );
    }
    let e = shaped(&fast, Some(&[250])).unwrap_err();
    assert!(matches!(e, ExportError::InputShape { .. }), "{e}");
    assert!(e.to_string().contains("250"), "{e}");
}

#[test]
fn the_generated_types_are_the_experiments_networks() {
    let small = firmware_model_shaped(
        &SmallNet::default().to_string(),
        Some(&[256]),
        &weights::<SmallNet>(&[]),
        &inputs(2),
        None,
        0.0,
    )
    .unwrap();
    let rs = &small.model_rs;
    assert!(
        rs.contains(
            "pub type Model = Sequential<(Conv1d<1, 32, 3, 256, 254>, MaxPool1d<2, 2, 127>, Flatten<4064>, Linear<4064, 10>)>;"
        ),
        "{rs}"
    );
    assert!(
        rs.contains("Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new()))"),
        "{rs}"
    );
    assert!(
        rs.contains("pub const INPUTS: usize = 256;") && rs.contains("(shape [1, 256])"),
        "{rs}"
    );
    let fast = firmware_model_shaped(
        &FastNet::default().to_string(),
        Some(&[256]),
        &weights::<FastNet>(&[]),
        &inputs(1),
        None,
        0.0,
    )
    .unwrap();
    assert!(
        fast.model_rs.contains(
            "Conv2d<1, 16, 5, 16, 16, 16, 16, 1, 2>, ReLU, MaxPool2d<2, 2, 8, 8>, Conv2d<16, 32, 3, 8, 8, 8, 8, 1, 1>"
        ),
        "{}",
        fast.model_rs
    );
    assert!(
        fast.model_rs
            .contains("use flambeau::{Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential};")
    );
}

#[test]
fn conv_files_that_disagree_with_the_architecture_are_refused() {
    let bytes = weights::<SmallNet>(&[]);
    let arch = "Conv1d(1,16,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(2032,10)";
    let e = firmware_model_shaped(arch, Some(&[256]), &bytes, &inputs(1), None, 0.0).unwrap_err();
    assert_eq!(
        e,
        ExportError::Shape {
            name: "0.weight".into(),
            dtype: "F32".into(),
            wanted: "F32".into(),
            got: vec![32, 1, 3],
            expected: vec![16, 1, 3],
        }
    );
    assert!(
        e.to_string()
            .contains("\"0.weight\" is F32 [32, 1, 3], the architecture needs F32 [16, 1, 3]"),
        "{e}"
    );
    let unknown = "Conv1d(1,32,k=3) -> BatchNorm1d(32) -> Flatten -> Linear(8128,10)";
    let e = firmware_model_shaped(unknown, Some(&[256]), &bytes, &inputs(1), None, 0.0).unwrap_err();
    assert!(matches!(e, ExportError::UnknownLayer { index: 1, .. }), "{e}");
    assert!(e.to_string().contains("BatchNorm1d(32)"), "{e}");
    let wide = "Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4000,10)";
    let e = firmware_model_shaped(wide, Some(&[256]), &bytes, &inputs(1), None, 0.0).unwrap_err();
    assert!(matches!(e, ExportError::Fit { index: 3, .. }), "{e}");
    assert!(e.to_string().contains("4000") && e.to_string().contains("4064"), "{e}");
    let e = parse_architecture("Conv1d(1,32,k=3,padding=1) -> Flatten").unwrap_err();
    assert!(matches!(e, ExportError::UnknownLayer { index: 0, .. }), "{e}");
}

#[test]
fn an_int8_1d_cnn_is_exported_with_the_int8_cnn_types() {
    use flambeau_harness::quantize::{arch, int8_file};
    let text = SmallNet::default().to_string();
    let f32_bytes = weights::<SmallNet>(&[]);
    let st = SafeTensors::parse(&f32_bytes).unwrap();
    let model = arch::F32Model::read(&st, arch::parse(&text).unwrap()).unwrap();
    let ranges = [
        (-1.0, 1.0),
        (-2.0, 2.0),
        (-2.0, 2.0),
        (-2.0, 2.0),
        (-2.0, 2.0),
        (-5.0, 5.0),
    ];
    let int8 = int8_file(&model, &ranges, &text, "test ranges").unwrap();
    let codes: Vec<i8> = (0..256).map(|i| (i % 256) as u8 as i8).collect();
    let files = firmware_model_int8_shaped(&text, None, &int8, &codes, Some(&[0i8; 10])).unwrap();
    let rs = &files.model_rs;
    assert!(
        rs.contains(
            "pub type Model<'a> = (QConv1d<'a, 1, 32, 3, 256, 254>, QMaxPool1d<32, 254, 2, 2, 127>, \
             QFlatten<4064>, QLinear<'a, 4064, 10>);"
        ),
        "{rs}"
    );
    assert!(
        rs.contains("use flambeau::{QConv1d, QFlatten, QLinear, QMaxPool1d};"),
        "{rs}"
    );
    // A layer the int8 CNN has no form for is named.
    let e = firmware_model_int8_shaped(
        "Conv1d(1,32,k=3) -> AvgPool1d(2,2) -> Flatten -> Linear(4064,10)",
        None,
        &int8,
        &codes,
        None,
    )
    .unwrap_err();
    assert!(matches!(e, ExportError::NotInt8 { index: 1, .. }), "{e}");
}

fn flambeau(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(args)
        .env_remove("FLAMBEAU_DATA")
        .output()
        .unwrap()
}

#[test]
fn export_of_a_cnn_file_writes_the_folder_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let arch = SmallNet::default().to_string();
    let meta = [
        ("architecture", arch.as_str()),
        ("input", "usps"),
        ("input_shape", "[256]"),
    ];
    let file = dir.path().join("model.safetensors");
    std::fs::write(&file, weights::<SmallNet>(&meta)).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let out = dir.path().join("model");
    let o = flambeau(&[
        "export",
        "--model",
        &path(&file),
        "--out",
        &path(&out),
        "--vectors",
        "2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rs = std::fs::read_to_string(out.join("model.rs")).unwrap();
    assert!(rs.contains("Conv1d<1, 32, 3, 256, 254>"), "{rs}");
    let vectors = std::fs::read(out.join("test_vectors.safetensors")).unwrap();
    let st = SafeTensors::parse(&vectors).unwrap();
    assert_eq!(st.get("outputs").map(|t| t.shape().to_vec()), Some(vec![2, 10]));
    for (bad_arch, word) in [
        (
            "Conv1d(1,8,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(1016,10)",
            "0.weight",
        ),
        (
            "Conv1d(1,32,k=3) -> LayerNorm(32) -> Flatten -> Linear(8128,10)",
            "LayerNorm(32)",
        ),
    ] {
        let bad = dir.path().join("bad");
        let o = flambeau(&[
            "export",
            "--model",
            &path(&file),
            "--arch",
            bad_arch,
            "--out",
            &path(&bad),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(word), "{stderr}");
        assert!(!bad.exists(), "nothing is written on error");
    }
}

#[test]
fn shapes_too_large_for_a_number_or_a_model_are_refused() {
    use flambeau_harness::export::chain::{MAX_VALUES, input_dims, steps};
    assert_eq!(Dims::Seq(1 << 40, 1 << 40).checked_size(), None);
    assert_eq!(Dims::Seq(1 << 40, 1 << 40).size(), usize::MAX, "saturates, never wraps");
    assert_eq!(Dims::Image(2, 3, 4).checked_size(), Some(24));
    let conv = parse_architecture("Conv1d(1,4,k=3) -> Flatten -> Linear(8,2)").unwrap();
    // An input whose size wraps.
    let e = input_dims(&conv, Some(&[1, usize::MAX / 2 + 2])).unwrap_err();
    assert!(matches!(e, ExportError::TooLarge { .. }), "{e}");
    let e = input_dims(&conv, Some(&[1, 1 << 40, 1 << 40])).unwrap_err();
    assert!(matches!(e, ExportError::TooLarge { .. }), "{e}");
    let e = input_dims(&conv, Some(&[1, 0])).unwrap_err();
    assert!(matches!(e, ExportError::InputShape { .. }), "{e}");
    let e = steps(&conv, Dims::Seq(1, MAX_VALUES + 1)).unwrap_err();
    assert!(matches!(e, ExportError::TooLarge { .. }), "{e}");
    // A layer whose output is too large: named, with its position.
    let wide = parse_architecture(&format!("Linear(4,{})", usize::MAX)).unwrap();
    let e = shaped(&format!("Linear(4,{})", usize::MAX), None).unwrap_err();
    assert!(e.to_string().contains("layer 0 Linear(4,"), "{e}");
    assert_eq!(wide.len(), 1);
    let e = shaped(
        "Conv2d(1,4,k=1,padding=18446744073709551615) -> Flatten -> Linear(8,2)",
        Some(&[1, 4, 4]),
    )
    .unwrap_err();
    assert!(matches!(e, ExportError::TooLarge { .. }), "{e}");
    let e = shaped("Conv2d(1,1000000,k=1) -> Flatten -> Linear(8,2)", Some(&[1, 64, 64])).unwrap_err();
    assert!(
        e.to_string()
            .contains("layer 0 Conv2d(1,1000000,k=1) gives 4096000000 values"),
        "{e}"
    );
}

#[test]
fn input_shape_flag_shapes_a_file_without_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let arch = SmallNet::default().to_string();
    let file = dir.path().join("state_dict.safetensors");
    std::fs::write(&file, weights::<SmallNet>(&[])).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let export = |out: &Path, shape: &str| {
        flambeau(&[
            "export",
            "--model",
            &path(&file),
            "--arch",
            &arch,
            "--input-shape",
            shape,
            "--out",
            &path(out),
            "--vectors",
            "1",
        ])
    };
    let out = dir.path().join("model");
    let o = export(&out, "1,256");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rs = std::fs::read_to_string(out.join("model.rs")).unwrap();
    assert!(rs.contains("Conv1d<1, 32, 3, 256, 254>"), "{rs}");
    for (shape, word) in [
        ("1,300", "4064"),
        ("1,x", "--input-shape"),
        ("0,256", "--input-shape"),
        (
            "1,1152921504606847232",
            "--input-shape: '1,1152921504606847232' is more than the 4194304 values",
        ),
        ("4294967296,4294967296,16", "--input-shape"),
        // Within the bound, but the first layer's output is not.
        (
            "1,4194304",
            "Conv1d(1,32,k=3) gives 134217664 values per sample, above the 4194304",
        ),
    ] {
        let bad = dir.path().join("bad");
        let o = export(&bad, shape);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{shape}: {stderr}");
        assert!(stderr.contains(word), "{shape}: {stderr}");
        assert!(!bad.exists(), "nothing is written on error");
    }
    // 16 vectors of an input whose size wraps a 64-bit product: still the shape's error.
    let bad = dir.path().join("bad");
    let o = flambeau(&[
        "export",
        "--model",
        &path(&file),
        "--arch",
        &arch,
        "--input-shape",
        "1,1152921504606847232",
        "--out",
        &path(&bad),
        "--vectors",
        "16",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--input-shape"), "{stderr}");
    assert!(!bad.exists());
}
