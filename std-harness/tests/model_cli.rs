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
