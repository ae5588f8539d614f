//! Using a trained model from the command line: `inspect`, `predict` on
//! pictures, IDX and CSV rows, `evaluate` on the USPS test set, strict and
//! non-strict loading, files without metadata, and `--init-from`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flambeau::{CrossEntropyLoss, Footprint, InferenceFootprint, Network, Node, Rng, TensorData, TensorOut, Trainer};
use flambeau_harness::data::{load_usps, usps_dir};
use flambeau_harness::experiments::usps_mlp::CeNet;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

fn flambeau(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(args)
        .env_remove("FLAMBEAU_DATA")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const ARCH: &str = "Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)";

/// A randomly initialised USPS MLP written with `metadata` and `extra` tensors.
fn model_file(metadata: &[(&str, &str)], extra: &[TensorOut<'_>]) -> Vec<u8> {
    type Fp = Footprint<CeNet, CrossEntropyLoss, 1>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net =
        Trainer::<f32, CeNet, CrossEntropyLoss, 1>::new(CeNet::default(), CrossEntropyLoss, &mut tape, &mut arena)
            .unwrap();
    net.init(&mut Rng::new(11));
    let mut out = vec![0u8; net.graph().safetensors_len_with(metadata, extra)];
    net.graph().save_safetensors_with(&mut out, metadata, extra).unwrap();
    out
}

const META: [(&str, &str); 5] = [
    ("architecture", ARCH),
    ("input", "usps"),
    ("input_scale", "0.00784313725490196"),
    ("input_offset", "-1"),
    ("output", "logits"),
];

/// The test set's classes as the library computes them from the same file.
fn direct_classes(bytes: &[u8], x: &[f32]) -> Vec<usize> {
    type Ifp = InferenceFootprint<CeNet, 1>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; Ifp::NODES], vec![0.0f32; Ifp::FLASH_ARENA]);
    let mut net = Network::<f32, CeNet, 1>::from_safetensors(&CeNet::default(), &mut tape, &mut arena, bytes).unwrap();
    x.chunks_exact(256)
        .map(|row| {
            let mut c = [0usize];
            net.classify(row, &mut c).unwrap();
            c[0]
        })
        .collect()
}

#[test]
fn inspect_evaluate_and_predict_agree_with_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    let bytes = model_file(&META, &[]);
    std::fs::write(&file, &bytes).unwrap();
    let f = file.to_str().unwrap();

    let o = flambeau(&["inspect", f]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("0.weight") && t.contains("[128, 256]"), "{t}");
    assert!(t.contains("parameters: 41802"), "{t}");
    assert!(t.contains(&format!("architecture: {ARCH}")), "{t}");

    let (_, test) = load_usps(&usps_dir(&data())).unwrap();
    let x: Vec<f32> = test.features.iter().map(|&p| p * 2.0 - 1.0).collect();
    let classes = direct_classes(&bytes, &x);
    let correct = classes
        .iter()
        .zip(&test.labels)
        .filter(|&(&c, &l)| c == usize::from(l))
        .count();
    let out = dir.path().join("eval");
    let o = flambeau(&[
        "--data",
        data().to_str().unwrap(),
        "evaluate",
        "--model",
        f,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("({correct}/2007)")),
        "{} vs {correct}",
        text(&o)
    );
    let csv = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2008);
    assert!(out.join("confusion.png").is_file());

    // The first test image as a 32x32 dark-on-white PGM, a 16x16 PNG and a CSV row of bytes.
    let img: Vec<u8> = test.features[..256]
        .iter()
        .map(|&p| (p * 255.0).round() as u8)
        .collect();
    let mut pgm = b"P5\n32 32\n255\n".to_vec();
    for r in 0..32 {
        pgm.extend((0..32).map(|c| 255 - img[(r / 2) * 16 + c / 2]));
    }
    std::fs::write(dir.path().join("digit.pgm"), pgm).unwrap();
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, 16, 16);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header().unwrap().write_image_data(&img).unwrap();
    }
    std::fs::write(dir.path().join("digit.png"), png_bytes).unwrap();
    let row: Vec<String> = img.iter().map(u8::to_string).collect();
    std::fs::write(dir.path().join("digit.csv"), row.join(",") + "\n").unwrap();
    let inputs = ["digit.pgm", "digit.png", "digit.csv"].map(|n| dir.path().join(n).to_str().unwrap().to_owned());
    let csv_out = dir.path().join("pred.csv");
    let mut args = vec!["predict", "--model", f, "--out", csv_out.to_str().unwrap()];
    args.extend(inputs.iter().map(String::as_str));
    let o = flambeau(&args);
    assert!(o.status.success(), "{}", text(&o));
    let pred = std::fs::read_to_string(&csv_out).unwrap();
    let got: Vec<&str> = pred.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    let want = classes[0].to_string();
    assert_eq!(got, [want.as_str(); 3], "{pred}");
}

#[test]
fn strictness_and_files_without_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let extra = [TensorOut::new("bn.num_batches_tracked", &[1], TensorData::I32(&[3])).unwrap()];
    let strict = dir.path().join("extra.safetensors");
    std::fs::write(&strict, model_file(&META, &extra)).unwrap();
    let s = strict.to_str().unwrap();
    let o = flambeau(&["inspect", s]);
    assert!(
        text(&o).contains("unexpected tensor \"bn.num_batches_tracked\""),
        "{}",
        text(&o)
    );
    let csv = dir.path().join("row.csv");
    std::fs::write(&csv, vec!["0"; 256].join(",")).unwrap();
    let c = csv.to_str().unwrap();
    let o = flambeau(&["predict", "--model", s, c]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("unexpected tensor \"bn.num_batches_tracked\""),
        "{}",
        text(&o)
    );
    let o = flambeau(&["predict", "--model", s, "--non-strict", c]);
    assert!(o.status.success(), "{}", text(&o));

    let bare = dir.path().join("bare.safetensors");
    std::fs::write(&bare, model_file(&[], &[])).unwrap();
    let b = bare.to_str().unwrap();
    let o = flambeau(&["predict", "--model", b, c]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no architecture in its metadata"), "{}", text(&o));
    let o = flambeau(&["predict", "--model", b, "--arch", ARCH, c]);
    assert!(o.status.success(), "{}", text(&o));
    let o = flambeau(&["predict", "--model", b, "--arch", "Linear(256,10)", c]);
    assert!(
        text(&o).contains("architecture 'Linear(256,10)' is none this harness builds"),
        "{}",
        text(&o)
    );
}

#[test]
fn init_from_checks_the_architecture_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usps.safetensors");
    std::fs::write(&file, model_file(&META, &[])).unwrap();
    let out = dir.path().join("run");
    let o = flambeau(&[
        "checkerboard",
        "--init-from",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "holds '{ARCH}', this run trains 'Linear(2,16) -> Tanh -> Linear(16,1) -> Sigmoid'"
        )),
        "{}",
        text(&o)
    );
    assert!(!out.join("results.json").exists());
}

#[test]
fn init_from_resumes_from_the_weights_of_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "--quiet",
            "checkerboard",
            "--epochs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = flambeau(&args);
        assert!(o.status.success(), "{}", text(&o));
    };
    run(&a, &[]);
    let first = a.join("model.safetensors");
    run(&b, &["--init-from", first.to_str().unwrap()]);
    let results = std::fs::read_to_string(b.join("results.json")).unwrap();
    assert!(results.contains("--init-from"), "{results}");
    // Starting from trained weights, the first epoch's validation loss is the trained model's or better.
    let loss = |dir: &Path| -> f64 {
        let csv = std::fs::read_to_string(dir.join("curves.csv")).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == "valid_loss").unwrap();
        csv.lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(col)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(loss(&b) < loss(&a), "{} vs {}", loss(&b), loss(&a));
}

#[test]
fn the_pca_encoder_file_holds_the_whole_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("avp");
    let d = data();
    let o = flambeau(&[
        "--quiet",
        "--data",
        d.to_str().unwrap(),
        "ae-vs-pca",
        "--codes",
        "16",
        "--epochs",
        "1",
        "--train-size",
        "300",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let runs = results["runs"].as_array().unwrap();
    let run = runs
        .iter()
        .find(|r| r["variant"].as_str().unwrap().contains("PCA encoder"))
        .unwrap();
    let want = run["score"]["test"].as_f64().unwrap();
    let model = out.join("model-16-pca-encoder.safetensors");
    let o = flambeau(&["inspect", model.to_str().unwrap()]);
    assert!(
        text(&o).contains("network: Linear(256,16) -> Linear(16,256) -> Sigmoid"),
        "{}",
        text(&o)
    );
    let ev = dir.path().join("ev");
    let o = flambeau(&[
        "--data",
        d.to_str().unwrap(),
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--out",
        ev.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("reconstruction MSE per pixel {want:.5}")),
        "{} vs {want}",
        text(&o)
    );
    // `predict` writes the reconstructions themselves (4 decimals), not a softmax over the pixels.
    let csv = dir.path().join("reconstructions.csv");
    let images = usps_dir(&d).join("usps-t10k-images-idx3-ubyte.gz");
    let o = flambeau(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        images.to_str().unwrap(),
        "--invert",
        "no",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (_, test) = load_usps(&usps_dir(&d)).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let values: Vec<f64> = text
        .lines()
        .skip(1)
        .flat_map(|l| {
            l.split(',')
                .skip(2)
                .map(|v| v.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(values.len(), test.features.len());
    let mse = values
        .iter()
        .zip(&test.features)
        .map(|(y, &x)| (y - f64::from(x)).powi(2))
        .sum::<f64>()
        / values.len() as f64;
    assert!((mse - want).abs() < 1e-4, "{mse} vs {want}");
}

#[test]
fn export_writes_the_template_folder_from_a_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    std::fs::write(&file, model_file(&META, &[])).unwrap();
    let out = dir.path().join("model");
    let o = flambeau(&[
        "export",
        "--model",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--vectors",
        "3",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let rs = std::fs::read_to_string(out.join("model.rs")).unwrap();
    assert!(
        rs.contains(&format!("pub const ARCHITECTURE: &str = \"{ARCH}\";")),
        "{rs}"
    );
    assert_eq!(
        std::fs::read(out.join("weights.safetensors")).unwrap(),
        std::fs::read(&file).unwrap()
    );
    let vectors = std::fs::read(out.join("test_vectors.safetensors")).unwrap();
    let st = flambeau::SafeTensors::parse(&vectors).unwrap();
    let x: Vec<f32> = st.get("inputs").unwrap().values::<f32>().collect();
    let y: Vec<f32> = st.get("outputs").unwrap().values::<f32>().collect();
    assert_eq!((x.len(), y.len()), (3 * 256, 3 * 10));
    // The reference outputs are the library's own.
    type Ifp = InferenceFootprint<CeNet, 1>;
    let bytes = std::fs::read(&file).unwrap();
    let (mut tape, mut arena) = (vec![Node::EMPTY; Ifp::NODES], vec![0.0f32; Ifp::FLASH_ARENA]);
    let mut net = Network::<f32, CeNet, 1>::from_safetensors(&CeNet::default(), &mut tape, &mut arena, &bytes).unwrap();
    for (row, want) in x.chunks_exact(256).zip(y.chunks_exact(10)) {
        assert_eq!(net.predict(row).unwrap(), want);
    }
    // A model file whose tensors do not fit the stated architecture writes nothing.
    let bad = dir.path().join("bad");
    let o = flambeau(&[
        "export",
        "--model",
        file.to_str().unwrap(),
        "--arch",
        "Linear(256,64) -> Tanh -> Linear(64,10)",
        "--out",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!bad.exists());
}

/// `flambeau export --model model --out out` with `flags`.
fn export(model: &Path, out: &Path, flags: &[&str]) -> Output {
    let mut args = vec![
        "export",
        "--model",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    flambeau(&args)
}

/// A safetensors file of `tensors` `(name, shape, data)` with `metadata`.
fn tensors_file(metadata: &[(&str, &str)], tensors: &[(&str, &[usize], TensorData<'_>)]) -> Vec<u8> {
    let out: Vec<TensorOut<'_>> = tensors
        .iter()
        .map(|&(name, shape, data)| TensorOut::new(name, shape, data).unwrap())
        .collect();
    let mut bytes = vec![0u8; flambeau::safetensors_len(metadata, out.iter().cloned())];
    let n = flambeau::write_safetensors(&mut bytes, metadata, out.iter().cloned()).unwrap();
    bytes.truncate(n);
    bytes
}

/// A safetensors file of F32 tensors `(name, shape, values)` with `metadata`.
fn f32_file(metadata: &[(&str, &str)], tensors: &[(&str, &[usize], &[f32])]) -> Vec<u8> {
    let data: Vec<_> = tensors.iter().map(|&(n, s, v)| (n, s, TensorData::F32(v))).collect();
    tensors_file(metadata, &data)
}

/// The rows of the `inputs` tensor of an exported folder's test vectors.
fn vector_rows(out: &Path) -> usize {
    let bytes = std::fs::read(out.join("test_vectors.safetensors")).unwrap();
    let st = flambeau::SafeTensors::parse(&bytes).unwrap();
    st.get("inputs").unwrap().shape()[0]
}

#[test]
fn export_bounds_its_test_vectors_and_writes_as_many_as_it_says() {
    use flambeau_harness::model::commands::EXPORT_VECTORS_MAX;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    std::fs::write(&file, model_file(&META, &[])).unwrap();
    let out = dir.path().join("model");
    let above = (EXPORT_VECTORS_MAX + 1).to_string();
    for (vectors, word) in [
        ("0", format!("give 1 to {EXPORT_VECTORS_MAX}")),
        (above.as_str(), format!("above the {EXPORT_VECTORS_MAX} test vectors")),
        ("100000000000", format!("above the {EXPORT_VECTORS_MAX} test vectors")),
        (
            "18446744073709551615",
            format!("above the {EXPORT_VECTORS_MAX} test vectors"),
        ),
    ] {
        let o = export(&file, &out, &["--vectors", vectors]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{vectors}: {}", text(&o));
        assert!(stderr.starts_with("error: --vectors: "), "{vectors}: {stderr}");
        assert!(stderr.contains(&word), "{vectors}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!out.exists(), "nothing is written on error");
    }
    let help = text(&flambeau(&["export", "--help"]));
    assert!(help.contains(&format!("1 to {EXPORT_VECTORS_MAX}")), "{help}");
    // The bound itself, and one: the report and the file agree.
    for vectors in [EXPORT_VECTORS_MAX, 1] {
        let o = export(&file, &out, &["--vectors", &vectors.to_string()]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains(&format!(" {vectors} test vectors ")), "{}", text(&o));
        assert_eq!(vector_rows(&out), vectors);
    }
}

#[test]
fn export_refuses_layers_of_size_zero_as_predict_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zero.safetensors");
    std::fs::write(
        &file,
        f32_file(
            &[("architecture", "Linear(0,0)")],
            &[("0.weight", &[0, 0], &[]), ("0.bias", &[0], &[])],
        ),
    )
    .unwrap();
    let out = dir.path().join("model");
    let o = export(&file, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr.contains("layer 0 \"Linear(0,0)\" has a size of 0"), "{stderr}");
    assert!(!out.exists());
    let rows = dir.path().join("rows.csv");
    std::fs::write(&rows, "1,2\n").unwrap();
    let o = flambeau(&["predict", "--model", file.to_str().unwrap(), rows.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("'Linear(0,0)' is none this harness builds"),
        "{}",
        text(&o)
    );
}

/// The USPS MLP with [`META`] written to `dir/name`.
fn write_model(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, model_file(&META, &[])).unwrap();
    path
}

/// Runs `args`, expecting exit status 1 and an error containing `needle`.
fn refused(args: &[&str], needle: &str) {
    let o = flambeau(args);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
    assert!(text(&o).contains(needle), "{args:?}: {needle:?} not in {}", text(&o));
}

#[test]
fn evaluate_replaces_only_an_evaluation_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = data();
    let d = d.to_str().unwrap();
    // A training run's folder, holding a USPS model.
    let run = dir.path().join("run");
    let o = flambeau(&[
        "--quiet",
        "checkerboard",
        "--epochs",
        "1",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let model = write_model(&run, "model.safetensors");
    let before: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let (m, r) = (model.to_str().unwrap(), run.to_str().unwrap());
    refused(
        &["--data", d, "evaluate", "--model", m, "--out", r],
        "is a training run's folder, and an evaluation replaces only an evaluation's folder",
    );
    let after: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(before, after, "the run is untouched");
    assert_eq!(std::fs::read(&model).unwrap(), model_file(&META, &[]));

    // An evaluation's folder is replaced by the next evaluation, and by nothing else.
    let ev = dir.path().join("ev");
    let e = ev.to_str().unwrap();
    for _ in 0..2 {
        let o = flambeau(&["--quiet", "--data", d, "evaluate", "--model", m, "--out", e]);
        assert!(o.status.success(), "{}", text(&o));
    }
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ev.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["written_by"], "evaluate");
    assert_eq!(results["test_images"], 2007);
    refused(
        &["checkerboard", "--epochs", "1", "--out", e],
        "is an evaluation's folder, and a training run replaces only a training run's folder",
    );
    // Nor is a folder replaced that holds the model being evaluated.
    let inside = write_model(&ev, "model.safetensors");
    refused(
        &["--data", d, "evaluate", "--model", inside.to_str().unwrap(), "--out", e],
        "which this command reads and replacing the folder would delete",
    );
    assert!(inside.is_file());
}

#[test]
fn out_is_checked_before_the_model_and_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let under = file.join("x");
    let u = under.to_str().unwrap();
    refused(
        &[
            "--data",
            "/nonexistent",
            "evaluate",
            "--model",
            "/nonexistent.safetensors",
            "--out",
            u,
        ],
        "file/x: is under",
    );
    refused(
        &["predict", "--model", "/nonexistent.safetensors", "rows.csv", "--out", u],
        "file/x: is under",
    );
}

#[test]
fn export_refuses_non_finite_weights_and_says_why_it_has_no_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    let rows = dir.path().join("rows.csv");
    std::fs::write(&rows, "1,2\n").unwrap();
    // `Linear(2,1)` is a network this harness builds: its loader refuses the
    // file, for export as for predict.
    for bad in [f32::NAN, f32::INFINITY] {
        let file = dir.path().join("bad.safetensors");
        std::fs::write(
            &file,
            f32_file(
                &[("architecture", "Linear(2,1)")],
                &[("0.weight", &[1, 2], &[0.5, bad]), ("0.bias", &[1], &[0.0])],
            ),
        )
        .unwrap();
        let o = export(&file, &out, &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            stderr.contains("\"0.weight\"") && stderr.contains("NaN or infinite"),
            "{stderr}"
        );
        assert!(!out.exists());
        let o = flambeau(&["predict", "--model", file.to_str().unwrap(), rows.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    }
    // An architecture this harness does not build has no host reference: it
    // is exported without one, saying so, but not with a NaN weight.
    let arch = [("architecture", "Linear(2,3)")];
    let file = dir.path().join("other.safetensors");
    let bias = [0.0f32; 3];
    std::fs::write(
        &file,
        f32_file(&arch, &[("0.weight", &[3, 2], &[0.5; 6]), ("0.bias", &[3], &bias)]),
    )
    .unwrap();
    let o = export(&file, &out, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("without reference outputs (this harness does not build the architecture"),
        "{}",
        text(&o)
    );
    let nan = [0.5, 0.5, f32::NAN, 0.5, 0.5, 0.5];
    std::fs::write(
        &file,
        f32_file(&arch, &[("0.weight", &[3, 2], &nan), ("0.bias", &[3], &bias)]),
    )
    .unwrap();
    let o = export(&file, &dir.path().join("nan"), &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr.contains("tensor \"0.weight\" holds a non-finite value (NaN) at element 2"),
        "{stderr}"
    );
    assert!(!dir.path().join("nan").exists());
}

#[test]
fn export_non_strict_leaves_out_the_tensors_no_layer_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    let extra = [TensorOut::new("bn.num_batches_tracked", &[1], TensorData::I32(&[3])).unwrap()];
    std::fs::write(&file, model_file(&META, &extra)).unwrap();
    let out = dir.path().join("model");
    let o = export(&file, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("bn.num_batches_tracked"), "{}", text(&o));
    assert!(!out.exists());
    let o = export(&file, &out, &["--non-strict"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("left out 1 tensor(s) no layer reads: \"bn.num_batches_tracked\""),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("with the host's reference outputs"), "{}", text(&o));
    let weights = std::fs::read(out.join("weights.safetensors")).unwrap();
    let st = flambeau::SafeTensors::parse(&weights).unwrap();
    assert!(st.get("bn.num_batches_tracked").is_none());
    assert_eq!(st.len(), 6);
    assert_eq!(
        st.metadata_value("architecture").map(|v| v.to_string()),
        Some(ARCH.to_owned()),
        "the metadata is kept"
    );
    // The same weights as the strict file's.
    let plain = model_file(&META, &[]);
    let plain = flambeau::SafeTensors::parse(&plain).unwrap();
    for (name, view) in plain.iter() {
        assert_eq!(st.get(&name.to_string()).unwrap().data, view.data, "{name}");
    }
}

#[test]
fn predict_never_writes_over_the_model_or_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), "m.safetensors");
    let rows = dir.path().join("rows.csv");
    std::fs::write(&rows, vec!["0"; 256].join(",") + "\n").unwrap();
    let (m, r) = (model.to_str().unwrap(), rows.to_str().unwrap());
    refused(
        &["predict", "--model", m, r, "--out", m],
        "is a file this command reads",
    );
    refused(
        &["predict", "--model", m, r, "--out", r],
        "is a file this command reads",
    );
    // The same file under another name.
    let alias = dir.path().join("sub/../m.safetensors");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    refused(
        &["predict", "--model", m, r, "--out", alias.to_str().unwrap()],
        "is a file this command reads",
    );
    assert_eq!(std::fs::read(&model).unwrap(), model_file(&META, &[]));
    assert_eq!(std::fs::read_to_string(&rows).unwrap(), vec!["0"; 256].join(",") + "\n");
    if std::path::Path::new("/proc/version").is_file() {
        refused(
            &["predict", "--model", m, r, "--out", "/proc/version"],
            "/proc/version: cannot be written: its folder /proc accepts no new file",
        );
    }
}

#[test]
fn export_replaces_its_folder_whole_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    std::fs::write(&file, model_file(&META, &[])).unwrap();
    let out = dir.path().join("model");
    let names = |d: &Path| {
        let mut n: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    };
    // What a killed export left: a staging folder beside the target, a
    // temporary file in it (processes that no longer run: pids above the
    // kernel's maximum).
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("model.rs"), "// an older export").unwrap();
    std::fs::write(out.join(".weights.safetensors.tmp-4294967295"), "half").unwrap();
    std::fs::create_dir(dir.path().join(".model.staging-4294967295-0")).unwrap();
    std::fs::write(dir.path().join(".model.staging-4294967295-0/model.rs"), "half").unwrap();
    let o = export(&file, &out, &["--vectors", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        names(&out),
        ["model.rs", "test_vectors.safetensors", "weights.safetensors"]
    );
    assert_eq!(names(dir.path()), ["model", "model.safetensors"]);
    assert_eq!(vector_rows(&out), 2);
    // A folder holding anything else is not replaced, nor written into.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = export(&file, &out, &["--vectors", "3"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("holds other files than model.rs"), "{}", text(&o));
    assert_eq!(vector_rows(&out), 2);
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    assert_eq!(names(dir.path()), ["model", "model.safetensors"]);
}

#[test]
fn metadata_that_contradicts_the_network_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("rows.csv");
    std::fs::write(&rows, vec!["0"; 256].join(",") + "\n").unwrap();
    let r = rows.to_str().unwrap();
    let cases: [(&str, &str, &str); 6] = [
        ("input_scale", "1e38", "map pixel 255 to no finite number"),
        (
            "output",
            "probability",
            "metadata output: 'probability' means one sigmoid output, but the network",
        ),
        (
            "output",
            "probabilities",
            "metadata output: 'probabilities' means class probabilities",
        ),
        (
            "output",
            "reconstruction",
            "metadata output: 'reconstruction' means a reconstruction",
        ),
        (
            "input",
            "points",
            "metadata input: 'points' means rows of 2 values, but the network",
        ),
        (
            "input_shape",
            "[2]",
            "metadata input_shape: '[2]' does not describe rows of 256 values",
        ),
    ];
    for (key, value, needle) in cases {
        let mut meta: Vec<(&str, &str)> = META.iter().copied().filter(|(k, _)| *k != key).collect();
        meta.push((key, value));
        let file = dir.path().join(format!("{key}-{value}.safetensors"));
        std::fs::write(&file, model_file(&meta, &[])).unwrap();
        refused(&["predict", "--model", file.to_str().unwrap(), r], needle);
    }
}

#[test]
fn csv_rows_are_never_dropped_and_bad_cells_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), "m.safetensors");
    let m = model.to_str().unwrap();
    let row = |first: &str| {
        let mut cells = vec!["7".to_owned(); 256];
        cells[5] = first.to_owned();
        cells.join(",") + "\n"
    };
    let csv = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // A byte order mark before the first data row: the row is kept.
    let bom = csv("bom.csv", format!("\u{feff}{}{}", row("1"), row("2")));
    let o = flambeau(&["predict", "--model", m, &bom]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("bom.csv:1: class") && text(&o).contains("bom.csv:2: class"),
        "{}",
        text(&o)
    );
    // A header of names only is skipped.
    let header = (0..256).map(|i| format!("p{i}")).collect::<Vec<_>>().join(",") + "\n";
    let named = csv("named.csv", format!("{header}{}", row("1")));
    let o = flambeau(&["predict", "--model", m, &named]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("named.csv:2: class"), "{}", text(&o));
    let cases = [
        (
            "typo.csv",
            format!("{}{}", row("1x"), row("2")),
            "typo.csv: line 1, column 6: '1x' is not a number",
        ),
        ("one.csv", row("x"), "one.csv: line 1, column 6: 'x' is not a number"),
        (
            "late.csv",
            format!("{}{header}", row("1")),
            "late.csv: line 2, column 1: 'p0' is not a number",
        ),
        (
            "nan.csv",
            row("nan"),
            "nan.csv: line 1, column 6: 'nan' is not a finite number",
        ),
        ("big.csv", row("256"), "big.csv: line 1, column 6: 256 is outside 0-255"),
        (
            "neg.csv",
            format!("{header}{}", row("-1")),
            "neg.csv: line 2, column 6: -1 is outside 0-255",
        ),
        ("header.csv", header.clone(), "header.csv: holds no input rows"),
    ];
    for (name, text, needle) in cases {
        let path = csv(name, text);
        refused(&["predict", "--model", m, &path], needle);
    }
}

/// Runs the binary with `args` under an address-space cap of `mib` MiB
/// (`prlimit --as`, where there is one), killed after 60 s: an abort
/// shows as a signal, a hang as a kill, instead of exit status 1.
fn capped(mib: u64, args: &[&str]) -> Output {
    let has_prlimit = Command::new("prlimit")
        .args(["--as=1000000000", "true"])
        .status()
        .is_ok_and(|s| s.success());
    let mut cmd = if has_prlimit {
        let mut c = Command::new("prlimit");
        c.arg(format!("--as={}", mib << 20)).arg(env!("CARGO_BIN_EXE_flambeau"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_flambeau"))
    };
    let mut child = cmd
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() > 60 {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Expects exit status 1 and `needle` in the error of a capped run.
fn capped_refusal(mib: u64, args: &[&str], needle: &str) {
    let o = capped(mib, args);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {:?} {}", o.status, text(&o));
    assert!(text(&o).contains(needle), "{args:?}: {needle:?} not in {}", text(&o));
}

#[test]
fn predict_memory_is_bounded_by_named_caps() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), "m.safetensors");
    let m = model.to_str().unwrap();
    // 4 000 000 images of 1x1 pixel: within the IDX loader's cap, but 256 values each once made 16x16.
    let idx = dir.path().join("tiny.idx.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for d in [0x0803u32, 4_000_000, 1, 1] {
        gz.write_all(&d.to_be_bytes()).unwrap();
    }
    gz.write_all(&vec![0u8; 4_000_000]).unwrap();
    std::fs::write(&idx, gz.finish().unwrap()).unwrap();
    capped_refusal(
        1024,
        &["predict", "--model", m, idx.to_str().unwrap()],
        "1024000000 input values with the rows before it, more than the 16777216 predict takes in one run (VALUES_MAX)",
    );
    // A PNG of 8192x8192 grey pixels, refused on its header.
    let png_path = dir.path().join("big.png");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&png_path).unwrap());
        let mut enc = png::Encoder::new(file, 8192, 8192);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().unwrap().into_stream_writer().unwrap();
        let line = vec![0u8; 8192];
        for _ in 0..8192 {
            writer.write_all(&line).unwrap();
        }
        writer.finish().unwrap();
    }
    capped_refusal(
        512,
        &["predict", "--model", m, png_path.to_str().unwrap()],
        "8192x8192 pixels, more than the 16777216 a picture may have (PIXELS_MAX)",
    );
    // A sparse 700 MB CSV file and PGM picture, refused on their size.
    for name in ["sparse.csv", "sparse.pgm"] {
        let path = dir.path().join(name);
        std::fs::File::create(&path).unwrap().set_len(700 << 20).unwrap();
        capped_refusal(
            512,
            &["predict", "--model", m, path.to_str().unwrap()],
            &format!("{name}: 734003200 bytes, more than the 268435456 bytes the loaders open"),
        );
    }
}

#[test]
fn fifos_are_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_model(dir.path(), "m.safetensors");
    let m = model.to_str().unwrap();
    for name in ["f.csv", "f.png", "f.pgm", "f.idx"] {
        let fifo = dir.path().join(name);
        if !Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
            return;
        }
        capped_refusal(
            1024,
            &["predict", "--model", m, fifo.to_str().unwrap()],
            &format!("{name}: is a FIFO (named pipe), not a regular file"),
        );
    }
    let recipe = dir.path().join("recipe.json");
    Command::new("mkfifo").arg(&recipe).status().unwrap();
    capped_refusal(
        1024,
        &[
            "checkerboard",
            "--recipe-file",
            recipe.to_str().unwrap(),
            "--out",
            dir.path().join("run").to_str().unwrap(),
        ],
        "--recipe-file: ",
    );
    let o = capped(1024, &["checkerboard", "--recipe-file", recipe.to_str().unwrap()]);
    assert!(
        text(&o).contains("recipe.json: is a FIFO (named pipe), not a regular file"),
        "{}",
        text(&o)
    );
}

/// `bytes` (a safetensors buffer) with every F32 tensor's values stored as
/// `retype` gives them (a dtype and its little-endian bytes), metadata and
/// order kept.
fn retyped(bytes: &[u8], retype: impl Fn(&[f32]) -> (flambeau::Dtype, Vec<u8>)) -> Vec<u8> {
    let st = flambeau::SafeTensors::parse(bytes).unwrap();
    let meta: Vec<(String, String)> = st.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let data: Vec<(String, Vec<usize>, flambeau::Dtype, Vec<u8>)> = st
        .iter()
        .map(|(name, view)| {
            let values: Vec<f32> = view.values::<f32>().collect();
            let (dtype, bytes) = retype(&values);
            (name.to_string(), view.shape().to_vec(), dtype, bytes)
        })
        .collect();
    let out: Vec<TensorOut<'_>> = data
        .iter()
        .map(|(name, shape, dtype, bytes)| TensorOut::new(name, shape, TensorData::Bytes(*dtype, bytes)).unwrap())
        .collect();
    let mut file = vec![0u8; flambeau::safetensors_len(&meta, out.iter().cloned())];
    let n = flambeau::write_safetensors(&mut file, &meta, out.iter().cloned()).unwrap();
    file.truncate(n);
    file
}

/// A safetensors file of F64 tensors `(name, shape, values)` with `metadata`.
fn f64_file(metadata: &[(&str, &str)], tensors: &[(&str, &[usize], &[f64])]) -> Vec<u8> {
    let data: Vec<_> = tensors.iter().map(|&(n, s, v)| (n, s, TensorData::F64(v))).collect();
    tensors_file(metadata, &data)
}

#[test]
fn export_converts_f64_and_bf16_weights_to_f32_as_the_loader_does() {
    use flambeau::Dtype;
    let dir = tempfile::tempdir().unwrap();
    let f32_bytes = model_file(&META, &[]);
    // F64: every f32 widened exactly; by hand, back to the same f32.
    let f64_bytes = retyped(&f32_bytes, |v| {
        (Dtype::F64, v.iter().flat_map(|&x| f64::from(x).to_le_bytes()).collect())
    });
    // BF16: the high half of each f32's bits; by hand, those bits and 16 zeros.
    let bf16_bytes = retyped(&f32_bytes, |v| {
        let halves = v.iter().map(|x| (x.to_bits() >> 16) as u16);
        (Dtype::BF16, halves.flat_map(u16::to_le_bytes).collect())
    });
    let bf16_by_hand = retyped(&bf16_bytes, |v| {
        (
            Dtype::F32,
            v.iter()
                .flat_map(|x| f32::from_bits(x.to_bits() & 0xffff_0000).to_le_bytes())
                .collect(),
        )
    });
    let by_hand = |bytes: &[u8]| {
        let st = flambeau::SafeTensors::parse(bytes).unwrap();
        let meta: Vec<(String, String)> = st.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = st
            .iter()
            .map(|(name, view)| {
                let values = view
                    .data
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().unwrap()) as f32);
                (name.to_string(), view.shape().to_vec(), values.collect())
            })
            .collect();
        let tensors: Vec<(&str, &[usize], &[f32])> = tensors
            .iter()
            .map(|(n, s, v)| (n.as_str(), s.as_slice(), v.as_slice()))
            .collect();
        f32_file(&meta, &tensors)
    };
    let f64_by_hand = by_hand(&f64_bytes);
    assert_eq!(f64_by_hand, f32_bytes, "the F64 copy holds the f32 values exactly");
    for (name, bytes, expected) in [("f64", &f64_bytes, &f64_by_hand), ("bf16", &bf16_bytes, &bf16_by_hand)] {
        let file = dir.path().join(format!("{name}.safetensors"));
        std::fs::write(&file, bytes).unwrap();
        let out = dir.path().join(name);
        let o = export(&file, &out, &["--vectors", "4"]);
        assert!(o.status.success(), "{name}: {}", text(&o));
        assert!(
            text(&o).contains("with the host's reference outputs"),
            "{name}: {}",
            text(&o)
        );
        let weights = std::fs::read(out.join("weights.safetensors")).unwrap();
        assert_eq!(
            &weights, expected,
            "{name}: the weights converted to F32, metadata kept"
        );
        // The same folder as the F32 file converted by hand gives: the
        // reference outputs come from the converted weights.
        let plain = dir.path().join(format!("{name}-by-hand.safetensors"));
        std::fs::write(&plain, expected).unwrap();
        let plain_out = dir.path().join(format!("{name}-by-hand"));
        let o = export(&plain, &plain_out, &["--vectors", "4"]);
        assert!(o.status.success(), "{name}: {}", text(&o));
        for f in ["model.rs", "weights.safetensors", "test_vectors.safetensors"] {
            assert_eq!(
                std::fs::read(out.join(f)).unwrap(),
                std::fs::read(plain_out.join(f)).unwrap(),
                "{name}: {f}"
            );
        }
    }
}

#[test]
fn export_refuses_f64_weights_beyond_f32_as_predict_does() {
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("rows.csv");
    std::fs::write(&rows, "1,2\n").unwrap();
    // `Linear(2,1)` is a network this harness builds: the same refusal as predict's.
    let file = dir.path().join("big.safetensors");
    std::fs::write(
        &file,
        f64_file(
            &[("architecture", "Linear(2,1)")],
            &[("0.weight", &[1, 2], &[0.5, 1e300]), ("0.bias", &[1], &[0.0])],
        ),
    )
    .unwrap();
    let out = dir.path().join("model");
    let o = export(&file, &out, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr.contains("tensor \"0.weight\": element 1 is NaN or infinite"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!out.exists());
    let o = flambeau(&["predict", "--model", file.to_str().unwrap(), rows.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        stderr,
        "export refuses it as predict does"
    );
    // A tensor no layer reads is ignored with --non-strict, whatever it holds, as predict ignores it.
    let extra = f64_file(
        &[("architecture", "Linear(2,1)")],
        &[
            ("0.weight", &[1, 2], &[0.5, 0.25]),
            ("0.bias", &[1], &[0.0]),
            ("bn.running_var", &[1], &[1e300]),
        ],
    );
    std::fs::write(&file, extra).unwrap();
    let o = flambeau(&[
        "predict",
        "--model",
        file.to_str().unwrap(),
        "--non-strict",
        rows.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = export(&file, &out, &["--non-strict"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("left out 1 tensor(s) no layer reads: \"bn.running_var\""),
        "{}",
        text(&o)
    );
    let weights = std::fs::read(out.join("weights.safetensors")).unwrap();
    let st = flambeau::SafeTensors::parse(&weights).unwrap();
    assert_eq!(st.len(), 2);
    assert!(st.iter().all(|(_, v)| v.dtype == flambeau::Dtype::F32));
    std::fs::remove_dir_all(&out).unwrap();
    // An architecture this harness does not build: export's own check names it.
    let arch = [("architecture", "Linear(2,3)")];
    let bias = [0.0f64; 3];
    for (bad, shown) in [(-1e39, "-inf"), (f64::NAN, "NaN")] {
        let weight = [0.5, 0.5, bad, 0.5, 0.5, 0.5];
        std::fs::write(
            &file,
            f64_file(&arch, &[("0.weight", &[3, 2], &weight), ("0.bias", &[3], &bias)]),
        )
        .unwrap();
        let o = export(&file, &out, &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            stderr.contains(&format!(
                "tensor \"0.weight\" holds a non-finite value ({shown}) at element 2"
            )),
            "{stderr}"
        );
        assert!(!out.exists());
    }
    // In range, it is exported, as F32.
    let weight = [0.5, 0.5, 1e38, 0.5, 0.5, 0.5];
    std::fs::write(
        &file,
        f64_file(&arch, &[("0.weight", &[3, 2], &weight), ("0.bias", &[3], &bias)]),
    )
    .unwrap();
    let o = export(&file, &out, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let weights = std::fs::read(out.join("weights.safetensors")).unwrap();
    let st = flambeau::SafeTensors::parse(&weights).unwrap();
    let w = st.get("0.weight").unwrap();
    assert_eq!(w.dtype, flambeau::Dtype::F32);
    assert_eq!(w.values::<f32>().nth(2), Some(1e38f32));
}

/// An architecture the harness does not build is refused on one line, its
/// control characters escaped, whatever bytes the metadata holds.
#[test]
fn an_unknown_architecture_is_one_line_with_control_bytes_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ctrl.safetensors");
    let meta = [("architecture", "Linear(256,128)\n\u{1b}[31m -> Tanh\0"), META[1]];
    std::fs::write(&file, model_file(&meta, &[])).unwrap();
    let rows = dir.path().join("rows.csv");
    std::fs::write(&rows, vec!["0"; 256].join(",") + "\n").unwrap();
    let o = flambeau(&["predict", "--model", file.to_str().unwrap(), rows.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(r"architecture 'Linear(256,128)\n\u{1b}[31m -> Tanh\0' is none this harness builds"),
        "{stderr}"
    );
    assert!(!stderr.contains(['\u{1b}', '\0']), "{stderr:?}");
}

/// `inspect` shows the dropout probability the file records, not the default one.
#[test]
fn inspect_shows_the_dropout_probability_of_the_file() {
    use flambeau::Sequential;
    use flambeau_harness::experiments::usps_mlp::DropNet;
    type Fp = Footprint<DropNet, CrossEntropyLoss, 1>;
    let arch = "Linear(256,128) -> Tanh -> Dropout(p=0.2) -> Linear(128,64) -> Tanh -> Dropout(p=0.2) -> Linear(64,10)";
    let d = flambeau::Dropout::new(0.2).unwrap();
    let model: DropNet = Sequential::new((
        Default::default(),
        Default::default(),
        d,
        Default::default(),
        Default::default(),
        d,
        Default::default(),
    ));
    assert_eq!(model.to_string(), arch);
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net =
        Trainer::<f32, DropNet, CrossEntropyLoss, 1>::new(model, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut Rng::new(5));
    let meta = [("architecture", arch)];
    let mut bytes = vec![0u8; net.graph().safetensors_len_with(&meta, &[])];
    net.graph().save_safetensors_with(&mut bytes, &meta, &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("drop.safetensors");
    std::fs::write(&file, bytes).unwrap();
    let o = flambeau(&["inspect", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("network: {arch}\n")), "{}", text(&o));
}

/// A closed standard output is not an error for `inspect`, as for `predict`.
#[test]
fn inspect_into_a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.safetensors");
    std::fs::write(&file, model_file(&META, &[])).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .arg("inspect")
        .arg(&file)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A one-score model of the points experiments (`Linear(2,1)` against ±1
/// targets): the class is the score's side, 1 when positive, as the
/// experiments' accuracy counts it, and the score itself is shown.
#[test]
fn a_score_model_classifies_by_the_score_sign() {
    let dir = tempfile::tempdir().unwrap();
    let meta = [
        ("architecture", "Linear(2,1)"),
        ("input", "points"),
        ("output", "score"),
    ];
    let model = dir.path().join("score.safetensors");
    std::fs::write(
        &model,
        f32_file(&meta, &[("0.weight", &[1, 2], &[2.0, 0.0]), ("0.bias", &[1], &[-1.0])]),
    )
    .unwrap();
    let rows = dir.path().join("points.csv");
    std::fs::write(&rows, "x,y\n1.5,0\n-3,7\n0.25,-1\n").unwrap();
    let out = dir.path().join("p.csv");
    let o = flambeau(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        rows.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.first(), Some(&"input,class,score"), "{csv}");
    let classes: Vec<&str> = lines.iter().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(classes, ["1", "0", "0"], "{csv}");
    let scores: Vec<f32> = lines
        .iter()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(scores, [2.0, -7.0, -0.5], "{csv}");
}
