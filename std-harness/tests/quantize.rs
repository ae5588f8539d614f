//! `flambeau quantize` end to end on USPS: a briefly trained MLP keeps its
//! test accuracy in int8, the file it writes is the documented layout, and
//! bad settings are refused with their reason.

use std::path::{Path, PathBuf};

use flambeau::{QNetwork, QUANTIZATION_SCHEME, SafeTensors};
use flambeau_harness::console::Console;
use flambeau_harness::experiments::usps_mlp::{self, MlpLoss};
use flambeau_harness::experiments::{Ctx, Recipe, RunArgs};
use flambeau_harness::quantize::{self, Calibration, QMlp, QuantizeArgs};

fn ctx(out: &Path) -> Ctx {
    Ctx {
        data: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        console: Console::new(true),
        max_epochs: None,
        out_root: out.to_path_buf(),
    }
}

fn args(model: PathBuf, out: PathBuf, calibration: Calibration) -> QuantizeArgs {
    QuantizeArgs {
        model,
        out,
        calibration,
        percentile: 99.99,
        arch: None,
        unit_pixels: false,
    }
}

#[test]
fn a_trained_mlp_keeps_its_accuracy_in_int8() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let run = RunArgs {
        epochs: Some(3),
        train_size: Some(2000),
        out: Some(dir.path().join("mlp")),
        ..RunArgs::of(Recipe::Best)
    };
    usps_mlp::run(&ctx, &run, MlpLoss::Ce).unwrap();
    let model = dir.path().join("mlp/model.safetensors");
    for calibration in [Calibration::Minmax, Calibration::Percentile] {
        let out = dir.path().join("int8.safetensors");
        let q = quantize::run(&ctx, &args(model.clone(), out.clone(), calibration)).unwrap();
        assert_eq!(q.images, 2007);
        assert!(q.f32_accuracy > 80.0, "{q:?}");
        assert!((q.int8_accuracy - q.f32_accuracy).abs() <= 0.5, "{q:?}");
        assert!(q.agree >= 1967, "{q:?}"); // 98 % of the test images
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(bytes.len(), q.file_bytes);
        let file = SafeTensors::parse(&bytes).unwrap();
        assert!(file.metadata_value("quantization").unwrap().eq_str(QUANTIZATION_SCHEME));
        assert!(
            file.metadata_value("architecture")
                .unwrap()
                .eq_str(quantize::arch::USPS_MLP)
        );
        assert_eq!(file.get("0.weight").unwrap().shape(), &[128, 256]);
        let (mut act, mut wide) = ([0i8; 300], [0i16; 256]);
        let net = QNetwork::<QMlp>::from_safetensors(&bytes, &mut act, &mut wide).unwrap();
        assert_eq!(net.to_string(), quantize::arch::USPS_MLP);
    }
}

#[test]
fn architectures_parse_and_bad_ones_are_named() {
    use quantize::arch::{Spec, parse};
    assert_eq!(
        parse("Linear(4,3) -> ReLU -> Linear(3,2) -> Sigmoid").unwrap(),
        [
            Spec::Linear { inputs: 4, outputs: 3 },
            Spec::ReLU,
            Spec::Linear { inputs: 3, outputs: 2 },
            Spec::Sigmoid
        ]
    );
    let e = parse("Linear(4,3) -> Conv9d").unwrap_err().to_string();
    assert!(e.contains("Conv9d"), "{e}");
    let e = parse("Linear(4,3) -> Linear(5,2)").unwrap_err().to_string();
    assert!(e.contains("Linear(5,2) follows a layer of 3 outputs"), "{e}");
}

#[test]
fn bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let missing = args(
        dir.path().join("none.safetensors"),
        dir.path().join("o"),
        Calibration::Minmax,
    );
    let e = quantize::run(&ctx, &missing).unwrap_err().to_string();
    assert!(e.contains("none.safetensors"), "{e}");
    let bad = QuantizeArgs {
        percentile: 20.0,
        ..missing
    };
    let e = quantize::run(&ctx, &bad).unwrap_err().to_string();
    assert!(e.contains("--percentile"), "{e}");
}

#[test]
fn cnn_architectures_parse_and_bad_ones_are_named() {
    use quantize::arch::{Spec, parse};
    let specs = parse("Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10)").unwrap();
    assert_eq!(
        specs,
        [
            Spec::Conv1d {
                cin: 1,
                cout: 32,
                k: 3,
                stride: 1,
                length: 256
            },
            Spec::MaxPool1d {
                k: 2,
                stride: 2,
                channels: 32,
                length: 254
            },
            Spec::Flatten,
            Spec::Linear {
                inputs: 4064,
                outputs: 10
            }
        ]
    );
    let e = parse("Conv1d(1,32,k=3) -> Flatten -> Linear(100,10)")
        .unwrap_err()
        .to_string();
    assert!(e.contains("Linear(100,10) follows a layer of 8128 outputs"), "{e}");
    let e = parse("MaxPool1d(2,2) -> Flatten").unwrap_err().to_string();
    assert!(e.contains("needs a Conv1d before it"), "{e}");
    let e = parse("Conv1d(1,4,k=300)").unwrap_err().to_string();
    assert!(e.contains("does not fit an input of 256 positions"), "{e}");
    let e = parse("Conv1d(1,4,k=3) -> Conv1d(2,4,k=3)").unwrap_err().to_string();
    assert!(e.contains("follows a layer of 4 channels"), "{e}");
}

/// The `conv1d` experiment's small network, briefly trained, quantised with
/// both calibrations: the int8 model stays within a point of the f32 one,
/// agrees with it on nearly every test image, and the file loads into the
/// int8 chain the firmware runs.
#[test]
fn a_trained_1d_cnn_keeps_its_accuracy_in_int8() {
    use flambeau_harness::experiments::conv1d::{self, Arch};
    use flambeau_harness::quantize::cnn::{Cnn, QSmallNet};
    use quantize::arch::{F32Model, parse};
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let run = RunArgs {
        epochs: Some(2),
        train_size: Some(3000),
        out: Some(dir.path().join("cnn")),
        ..RunArgs::of(Recipe::Best)
    };
    conv1d::run(&ctx, &run, Some(Arch::Small)).unwrap();
    let model = dir.path().join("cnn/model.safetensors");
    let f32_bytes = std::fs::read(&model).unwrap();
    let arch = "Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10)";

    // The quantiser's own f32 forward (what calibration sees) classifies as the core does.
    let (_, test_x, _) = quantize::pixels(&ctx, false).unwrap();
    let some = &test_x[..300 * 256];
    let file = SafeTensors::parse(&f32_bytes).unwrap();
    let f32_model = F32Model::read(&file, parse(arch).unwrap()).unwrap();
    let core = Cnn::Small.f32_classes(&f32_bytes, some).unwrap();
    for (i, (x, &c)) in some.chunks_exact(256).zip(&core).enumerate() {
        let out = f32_model.forward(x).pop().unwrap();
        let best = (0..10).fold(0, |b, j| if out[j] > out[b] { j } else { b });
        assert_eq!(best, c, "image {i}: {out:?}");
    }

    for calibration in [Calibration::Minmax, Calibration::Percentile] {
        let out = dir.path().join("cnn-int8.safetensors");
        let q = quantize::run(&ctx, &args(model.clone(), out.clone(), calibration)).unwrap();
        assert_eq!(q.images, 2007);
        assert!(q.f32_accuracy > 80.0, "{q:?}");
        assert!(
            (q.int8_accuracy - q.f32_accuracy).abs() <= 1.0,
            "{calibration:?}: {q:?}"
        );
        assert!(q.agree >= 1947, "{calibration:?}: {q:?}"); // 97 % of the test images
        let bytes = std::fs::read(&out).unwrap();
        let file = SafeTensors::parse(&bytes).unwrap();
        assert!(file.metadata_value("architecture").unwrap().eq_str(arch));
        assert!(file.metadata_value("input_shape").unwrap().eq_str("[256]"));
        assert_eq!(file.get("0.weight").unwrap().shape(), &[32, 1, 3]);
        assert_eq!(file.get("3.weight").unwrap().shape(), &[10, 4064]);
        assert!(file.get("1.weight").is_none(), "MaxPool1d has no tensors");
        let (mut act, mut wide) = (vec![0i8; 2 * 8128 + 10], vec![0i16; 4064]);
        let net = QNetwork::<QSmallNet>::from_safetensors(&bytes, &mut act, &mut wide).unwrap();
        assert_eq!(net.to_string(), arch);
        // The outputs the firmware compares with: 10 codes an image, their argmax the class.
        let r = Cnn::Small.int8_classes(&bytes, some).unwrap();
        assert_eq!(
            (r.outputs.len(), r.codes.len(), r.classes.len()),
            (3000, 300 * 256, 300)
        );
        for (o, &c) in r.outputs.chunks_exact(10).zip(&r.classes) {
            assert!(o.iter().all(|&v| v <= o[c]));
        }
    }
}

/// One tensor of a hand-built model file.
struct Tensor {
    name: String,
    shape: Vec<usize>,
    dtype: flambeau::Dtype,
    bytes: Vec<u8>,
}

/// The tensors of a randomly initialised f32 USPS MLP (`0.`, `2.`, `4.`).
fn mlp_tensors() -> Vec<Tensor> {
    let mut rng = flambeau::Rng::new(3);
    let mut tensors = Vec::new();
    for (layer, inputs, outputs) in [(0, 256, 128), (2, 128, 64), (4, 64, 10)] {
        let bound = 1.0 / (inputs as f64).sqrt();
        for (field, shape) in [("weight", vec![outputs, inputs]), ("bias", vec![outputs])] {
            let n: usize = shape.iter().product();
            let bytes = (0..n)
                .flat_map(|_| (rng.uniform_in(-bound, bound) as f32).to_le_bytes())
                .collect();
            tensors.push(Tensor {
                name: format!("{layer}.{field}"),
                shape,
                dtype: flambeau::Dtype::F32,
                bytes,
            });
        }
    }
    tensors
}

/// The metadata the harness writes for a USPS MLP with pixels in `[-1, 1]`.
const MLP_META: [(&str, &str); 4] = [
    ("architecture", quantize::arch::USPS_MLP),
    ("input", "usps"),
    ("input_scale", "0.00784313725490196"),
    ("input_offset", "-1"),
];

fn write_model(path: &Path, tensors: &[Tensor], meta: &[(&str, &str)]) {
    use flambeau::{TensorData, TensorOut, safetensors_len, write_safetensors};
    let outs: Vec<TensorOut<'_>> = tensors
        .iter()
        .map(|t| TensorOut::new(&t.name, &t.shape, TensorData::Bytes(t.dtype, &t.bytes)).unwrap())
        .collect();
    let mut bytes = vec![0u8; safetensors_len(meta, outs.iter().cloned())];
    write_safetensors(&mut bytes, meta, outs.iter().cloned()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A refusal case: its name, the file's tensors and metadata, what the error says.
type Case = (
    &'static str,
    Vec<Tensor>,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

/// A file `predict` refuses is refused by `quantize` too, through the same
/// loader, naming the file and the tensor or field, before anything is
/// written.
#[test]
fn a_model_predict_refuses_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let edit = |f: &dyn Fn(&mut Vec<Tensor>)| {
        let mut t = mlp_tensors();
        f(&mut t);
        t
    };
    let cases: Vec<Case> = vec![
        (
            "transposed",
            edit(&|t| t[0].shape = vec![256, 128]),
            MLP_META.to_vec(),
            "the file holds [256, 128]",
        ),
        (
            "extra",
            edit(&|t| {
                t.push(Tensor {
                    name: "bn.num_batches_tracked".into(),
                    shape: vec![1],
                    dtype: flambeau::Dtype::I32,
                    bytes: 3i32.to_le_bytes().to_vec(),
                })
            }),
            MLP_META.to_vec(),
            "unexpected tensor \"bn.num_batches_tracked\"",
        ),
        (
            "int8-weights",
            edit(&|t| {
                t[0].dtype = flambeau::Dtype::I8;
                t[0].bytes = vec![1u8; 128 * 256];
            }),
            MLP_META.to_vec(),
            "tensor \"0.weight\" is I8",
        ),
        (
            "nan",
            edit(&|t| t[3].bytes[..4].copy_from_slice(&f32::NAN.to_le_bytes())),
            MLP_META.to_vec(),
            "tensor \"2.bias\": element 0 is NaN",
        ),
        (
            "offset-nan",
            mlp_tensors(),
            vec![MLP_META[0], MLP_META[1], MLP_META[2], ("input_offset", "nan")],
            "metadata input_offset: 'nan' is not a finite number",
        ),
        (
            "huge-scale",
            mlp_tensors(),
            vec![MLP_META[0], MLP_META[1], ("input_scale", "1e38"), MLP_META[3]],
            "map pixel 255 to no finite number",
        ),
        (
            "points",
            mlp_tensors(),
            vec![MLP_META[0], ("input", "points")],
            "metadata input 'points': quantize calibrates and evaluates USPS models",
        ),
    ];
    for (name, tensors, meta, needle) in cases {
        let model = dir.path().join(format!("{name}.safetensors"));
        write_model(&model, &tensors, &meta);
        let out = dir.path().join(format!("{name}-int8.safetensors"));
        let e = quantize::run(&ctx, &args(model.clone(), out.clone(), Calibration::Minmax))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&model.display().to_string()) && e.contains(needle),
            "{name}: {e}"
        );
        assert!(!out.exists(), "{name}: {} was written", out.display());
    }
}

/// An architecture read from the file is named as the file's, not as `--arch`.
#[test]
fn an_architecture_error_names_where_the_architecture_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let model = dir.path().join("m.safetensors");
    write_model(&model, &mlp_tensors(), &[("architecture", "Linear(256,10)\n")]);
    let out = dir.path().join("o.safetensors");
    let e = quantize::run(&ctx, &args(model.clone(), out.clone(), Calibration::Minmax))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{}: metadata architecture 'Linear(256,10)\\n'",
            model.display()
        )),
        "{e}"
    );
    assert!(!e.contains("--arch") && !e.contains('\n'), "{e}");
    let given = QuantizeArgs {
        arch: Some("Linear(256,10)".into()),
        ..args(model, out, Calibration::Minmax)
    };
    let e = quantize::run(&ctx, &given).unwrap_err().to_string();
    assert!(e.starts_with("--arch: 'Linear(256,10)'"), "{e}");
}

/// `--out` is checked before any data is read, as a training run's is.
#[test]
fn out_is_checked_before_the_data_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = Ctx {
        data: dir.path().join("no-data-here"),
        ..ctx(dir.path())
    };
    let model = dir.path().join("m.safetensors");
    write_model(&model, &mlp_tensors(), &MLP_META);
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    for (out, needle) in [
        (file.join("int8.safetensors"), "which is a file, not a folder"),
        (dir.path().to_path_buf(), "is a folder, not a regular file"),
        (dir.path().join("none/int8.safetensors"), "does not exist"),
        (model.clone(), "is a file this command reads"),
    ] {
        let e = quantize::run(&ctx, &args(model.clone(), out.clone(), Calibration::Minmax))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&out.display().to_string()) && e.contains(needle), "{e}");
    }
}

/// A FIFO given as the model is named as such, not read (which would wait for a writer forever).
#[test]
fn a_fifo_as_the_model_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.safetensors");
    if !std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        return;
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .arg("quantize")
        .arg("--model")
        .arg(&fifo)
        .arg("--out")
        .arg(dir.path().join("o.safetensors"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("quantize is still reading the FIFO after 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is a FIFO (named pipe), not a regular file"),
        "{stderr}"
    );
}

/// An F64 file loads as `predict` loads it (converted), so it quantises;
/// `predict` then names the int8 file it wrote as an int8 model and says
/// what takes it.
#[test]
fn an_f64_model_quantizes_and_predict_names_the_int8_file() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let mut tensors = mlp_tensors();
    for t in &mut tensors {
        t.dtype = flambeau::Dtype::F64;
        t.bytes = t
            .bytes
            .chunks_exact(4)
            .flat_map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])).to_le_bytes())
            .collect();
    }
    let model = dir.path().join("f64.safetensors");
    write_model(&model, &tensors, &MLP_META);
    // The metadata is read decoded: `-\u003e` in the header is the `->` of the architecture.
    let bytes = std::fs::read(&model).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header = String::from_utf8(bytes[8..8 + n].to_vec())
        .unwrap()
        .trim_end()
        .replace("->", "-\\u003e");
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    let mut escaped = (header.len() as u64).to_le_bytes().to_vec();
    escaped.extend(header.as_bytes());
    escaped.extend(&bytes[8 + n..]);
    std::fs::write(&model, escaped).unwrap();
    let out = dir.path().join("int8.safetensors");
    let q = quantize::run(&ctx, &args(model, out.clone(), Calibration::Minmax)).unwrap();
    assert_eq!(q.images, 2007);
    assert!(out.is_file());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .arg("predict")
        .arg("--model")
        .arg(&out)
        .arg(dir.path().join("rows.csv"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is an int8 model")
            && stderr.contains("flambeau quantize")
            && stderr.contains("flambeau export"),
        "{stderr}"
    );
}

/// A layer that cannot be quantised is named by its tensors.
#[test]
fn a_layer_that_cannot_be_quantised_is_named_by_its_tensors() {
    use quantize::arch::{F32Model, USPS_MLP, parse};
    let specs = parse(USPS_MLP).unwrap();
    let shapes = [(128, 256), (0, 0), (64, 128), (0, 0), (10, 64)];
    let mut params: Vec<(Vec<f32>, Vec<f32>)> =
        shapes.iter().map(|&(o, i)| (vec![0.01; o * i], vec![0.0; o])).collect();
    params[2].0[5] = f32::NAN;
    let model = F32Model { specs, params };
    let ranges = vec![(-1.0, 1.0); 6];
    let e = quantize::int8_file(&model, &ranges, USPS_MLP, "minmax")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("quantising tensors 2.weight and 2.bias: "), "{e}");
}
