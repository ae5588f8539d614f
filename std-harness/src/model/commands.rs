//! `inspect`, `predict` and `evaluate`: using a trained model file from the
//! command line alone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use flambeau::Strictness;

use super::input::{Invert, Mapping, Rows, read_rows};
use super::meta::{self, key};
use super::zoo::{self, Predictor};
use super::{ModelFile, model_error};
use crate::console::Console;
use crate::data::{load_usps, usps_dir};
use crate::error::{Result, setting};
use crate::metrics::{argmax_rows, confusion};
use crate::output::{Artifacts, Kind, RESULTS, Staging, WRITTEN_BY, check_file_target, check_target, write_atomic};
use crate::plot;

/// Flags shared by the commands that load a model.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// The model file (safetensors, as the experiments write it or PyTorch's `save_file`).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The architecture, for files without metadata (e.g. "Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)").
    #[arg(long)]
    pub arch: Option<String>,
    /// Ignore tensors the model does not have (PyTorch's `strict=False`); missing ones are still errors.
    #[arg(long)]
    pub non_strict: bool,
}

impl ModelArgs {
    /// Opens the file, loads it into the network it names and checks what
    /// its metadata says of the inputs and outputs against that network
    /// ([`meta::check`]).
    ///
    /// # Errors
    /// [`crate::error::Error::Model`] naming the file and the problem (for
    /// the metadata, the key).
    pub fn load(&self) -> Result<(ModelFile, Box<dyn Predictor>)> {
        let file = ModelFile::open(&self.model)?;
        let net = zoo::load(file.clone(), self.arch.as_deref(), self.strictness())?;
        meta::check(&file.meta, &net.architecture(), net.input_len(), net.output_len())
            .map_err(|(k, problem)| model_error(&self.model, format!("metadata {k}: {problem}")))?;
        Ok((file, net))
    }
}

/// What `inspect` prints: tensors, dtypes, shapes, metadata, parameter
/// count and the footprint on a chip (when the architecture is known).
///
/// # Errors
/// [`crate::error::Error::Model`] for an unreadable or malformed file.
pub fn inspect(path: &Path, arch: Option<&str>) -> Result<String> {
    let file = ModelFile::open(path)?;
    let st = file.tensors()?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} bytes, {} tensors",
        path.display(),
        file.bytes.len(),
        st.len()
    );
    let mut total = 0usize;
    for (name, view) in st.iter() {
        total += view.len();
        let _ = writeln!(
            out,
            "  {:<24} {:<5} {:?}",
            name.to_string(),
            view.dtype.name(),
            view.shape()
        );
    }
    let _ = writeln!(out, "elements: {total}");
    if file.meta.is_empty() {
        let _ = writeln!(out, "metadata: none");
    } else {
        let _ = writeln!(out, "metadata:");
        for (k, v) in &file.meta {
            let _ = writeln!(out, "  {k}: {v}");
        }
    }
    match file.architecture(arch).map(str::to_owned) {
        Ok(_) => match zoo::load(file, arch, Strictness::Strict) {
            Ok(net) => {
                let _ = writeln!(out, "network: {}", net.architecture());
                let _ = writeln!(
                    out,
                    "parameters: {} ({} bytes as f32 in flash)\ninference RAM at batch 1, weights read in place: {} bytes",
                    net.params(),
                    net.params() * 4,
                    net.flash_arena() * 4
                );
            }
            Err(e) => {
                let _ = writeln!(out, "network: cannot load: {e}");
            }
        },
        Err(_) => {
            let _ = writeln!(out, "network: unknown (no architecture in the metadata; give --arch)");
        }
    }
    Ok(out)
}

/// Softmax of one row (for logits).
fn softmax(row: &[f32]) -> Vec<f32> {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = row.iter().map(|&v| (v - max).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Class probabilities of one output row, as the metadata's `output` says.
fn probabilities(file: &ModelFile, row: &[f32]) -> Vec<f32> {
    match file.meta.get(key::OUTPUT).map(String::as_str) {
        // A reconstruction's values are pixels, not class scores.
        Some("probabilities" | "reconstruction") => row.to_vec(),
        Some("probability") => row.iter().flat_map(|&p| [1.0 - p, p]).collect(),
        _ => softmax(row),
    }
}

/// Runs the model on `inputs`; prints a line per row (class and
/// probabilities), or writes them as CSV to `out`. `out` is checked
/// first, before anything is read: it must not be the model nor an input.
///
/// # Errors
/// Output, model, input and write errors, each naming the file.
pub fn predict(
    args: &ModelArgs,
    inputs: &[PathBuf],
    invert: Invert,
    out: Option<&Path>,
    console: &Console,
) -> Result<()> {
    if let Some(out) = out {
        let read: Vec<&Path> = std::iter::once(args.model.as_path())
            .chain(inputs.iter().map(PathBuf::as_path))
            .collect();
        check_file_target(out, &read)?;
    }
    let (file, net) = args.load()?;
    let pixels = match file.meta.get(key::INPUT).map(String::as_str) {
        Some("points") => None,
        _ => Some(file.pixel_map()?),
    };
    let map = Mapping {
        len: net.input_len(),
        pixels,
        invert,
    };
    let Rows { sources, values } = read_rows(inputs, map)?;
    let outputs = net.predict(&values)?;
    drop(values);
    let width = net.output_len().max(1);
    let output = file.meta.get(key::OUTPUT).map(String::as_str);
    let probability = output == Some("probability");
    // One score against ±1 targets (the points experiments' `Linear(2,1)`):
    // class 1 on the positive side, as their accuracy counts it; the score
    // itself is shown, since it is no probability.
    let score = output == Some("score");
    let mut csv = String::new();
    if out.is_some() {
        csv.push_str("input,class");
        if score {
            csv.push_str(",score");
        } else {
            for c in 0..width.max(if probability { 2 } else { 0 }) {
                let _ = write!(csv, ",p{c}");
            }
        }
        csv.push('\n');
    }
    for (source, y) in sources.iter().zip(outputs.chunks_exact(width)) {
        let (class, shown, label) = if score {
            let v = y.first().copied().unwrap_or(0.0);
            (usize::from(v > 0.0), vec![format!("{v:.4}")], "score")
        } else {
            let p = probabilities(&file, y);
            let class = argmax_rows(&p, p.len()).first().copied().unwrap_or(0);
            (class, p.iter().map(|v| format!("{v:.4}")).collect(), "p")
        };
        if out.is_some() {
            let _ = writeln!(csv, "{},{class},{}", source.replace(',', ";"), shown.join(","));
        } else {
            console.say(&format!("{source}: class {class} ({label} = {})", shown.join(" ")));
        }
    }
    if let Some(out) = out {
        write_atomic(out, csv.as_bytes())?;
        console.say(&format!("{} predictions written to {}", sources.len(), out.display()));
    }
    Ok(())
}

/// Refuses an output folder that holds a file or folder the command reads
/// (replacing the folder would delete it).
fn holds_none_of(out: &Path, read: &[&Path]) -> Result<()> {
    let Ok(folder) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    for path in read {
        if std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(&folder)) {
            return Err(crate::error::Error::Output {
                path: out.to_path_buf(),
                problem: format!(
                    "holds {}, which this command reads and replacing the folder would delete; choose another --out",
                    path.display()
                ),
            });
        }
    }
    Ok(())
}

/// Evaluates a USPS model on the canonical test set: accuracy, loss,
/// per-class scores, a confusion matrix picture and a CSV of every image's
/// prediction and outputs, written to `out` with a `results.json` of the
/// figures (marking the folder as an evaluation's, see [`Kind`]). `out` is
/// checked first, before anything is read.
///
/// # Errors
/// Output, model, data and write errors.
pub fn evaluate(args: &ModelArgs, data: &Path, out: &Path, console: &Console) -> Result<()> {
    check_target(out, Kind::Evaluate)?;
    holds_none_of(out, &[&args.model, &usps_dir(data)])?;
    let (file, net) = args.load()?;
    if file.meta.get(key::INPUT).is_some_and(|i| i != "usps") || net.input_len() != 256 {
        return Err(model_error(&args.model, "evaluate runs USPS models (256 pixel inputs)"));
    }
    let (_, test) = load_usps(&usps_dir(data))?;
    let (scale, offset) = file.pixel_map()?;
    let x: Vec<f32> = test.features.iter().map(|&p| p * 255.0 * scale + offset).collect();
    let outputs = net.predict(&x)?;
    let width = net.output_len().max(1);
    let truth: Vec<usize> = test.labels.iter().map(|&l| usize::from(l)).collect();
    let mut artifacts = Artifacts::new();
    let mut results = serde_json::Map::new();
    results.insert(WRITTEN_BY.into(), Kind::Evaluate.name().into());
    results.insert("model".into(), args.model.display().to_string().into());
    results.insert("test_images".into(), truth.len().into());
    let mut report = String::new();
    if width == 10 {
        let probs: Vec<Vec<f32>> = outputs.chunks_exact(width).map(|y| probabilities(&file, y)).collect();
        let predicted: Vec<usize> = probs.iter().map(|p| argmax_rows(p, 10)[0]).collect();
        let correct = predicted.iter().zip(&truth).filter(|(p, t)| p == t).count();
        let loss = probs
            .iter()
            .zip(&truth)
            .map(|(p, &t)| -f64::from(p.get(t).copied().unwrap_or(0.0).max(1e-12)).ln())
            .sum::<f64>()
            / truth.len().max(1) as f64;
        let acc = correct as f64 / truth.len().max(1) as f64;
        results.insert("correct".into(), correct.into());
        results.insert("accuracy".into(), acc.into());
        results.insert("cross_entropy".into(), loss.into());
        let _ = writeln!(report, "{}: {} test images", args.model.display(), truth.len());
        let _ = writeln!(
            report,
            "accuracy {:.2} % ({correct}/{}), cross-entropy {loss:.4}",
            100.0 * acc,
            truth.len()
        );
        let matrix = confusion(&predicted, &truth, 10);
        let _ = writeln!(report, "class  images  recall  precision");
        for c in 0..10 {
            let row: usize = matrix[c].iter().sum();
            let col: usize = matrix.iter().map(|r| r[c]).sum();
            let hit = matrix[c][c];
            let share = |n: usize, d: usize| if d == 0 { 0.0 } else { 100.0 * n as f64 / d as f64 };
            let _ = writeln!(
                report,
                "{c:>5}  {row:>6}  {:>5.1} %  {:>6.1} %",
                share(hit, row),
                share(hit, col)
            );
        }
        let mut csv = String::from("index,label,predicted");
        (0..10).for_each(|c| {
            let _ = write!(csv, ",out{c}");
        });
        csv.push('\n');
        for (i, ((y, p), t)) in outputs.chunks_exact(10).zip(&predicted).zip(&truth).enumerate() {
            let ys: Vec<String> = y.iter().map(|v| v.to_string()).collect();
            let _ = writeln!(csv, "{i},{t},{p},{}", ys.join(","));
        }
        artifacts.add("predictions.csv", csv.into_bytes());
        let title = format!("{}: test accuracy {:.2} %", args.model.display(), 100.0 * acc);
        plot::confusion("confusion.png", &title, &matrix)?.save(&mut artifacts, "confusion.png")?;
    } else if width == 256 {
        let mse = outputs
            .iter()
            .zip(&x)
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum::<f64>()
            / x.len().max(1) as f64;
        results.insert("reconstruction_mse".into(), mse.into());
        let _ = writeln!(
            report,
            "{}: {} test images, reconstruction MSE per pixel {mse:.5}",
            args.model.display(),
            truth.len()
        );
    } else {
        return Err(model_error(
            &args.model,
            format!("{width} outputs: neither 10 classes nor a 256-pixel reconstruction"),
        ));
    }
    artifacts.add("evaluation.txt", report.clone().into_bytes());
    artifacts.add_json(RESULTS, &results)?;
    artifacts.commit(out, Kind::Evaluate)?;
    console.say(report.trim_end());
    console.say(&format!("written to {}", out.display()));
    Ok(())
}

/// Rows of test vectors `export` writes by default.
pub const EXPORT_VECTORS: usize = 8;

/// Most rows of test vectors `export` writes (`--vectors`): far more than a
/// chip's flash holds beside a model.
pub const EXPORT_VECTORS_MAX: usize = 4096;

/// Most test input values `export` writes (rows × inputs of one row).
pub const EXPORT_VALUES_MAX: usize = 1 << 22;

/// The files of the template's model folder, as `export` writes them.
pub const MODEL_FILES: [&str; 3] = ["model.rs", "weights.safetensors", "test_vectors.safetensors"];

/// The input values of `vectors` rows of `width` inputs, checked against
/// [`EXPORT_VECTORS_MAX`] and [`EXPORT_VALUES_MAX`].
///
/// # Errors
/// [`crate::error::Error::Setting`] naming `--vectors` and the bound.
fn test_values(vectors: usize, width: usize) -> Result<usize> {
    if vectors == 0 {
        return Err(setting(
            "--vectors",
            format!(
                "0 test vectors leave the chip nothing to check (the template's build refuses an empty `inputs`); give 1 to {EXPORT_VECTORS_MAX}"
            ),
        ));
    }
    if vectors > EXPORT_VECTORS_MAX {
        return Err(setting(
            "--vectors",
            format!("{vectors} is above the {EXPORT_VECTORS_MAX} test vectors an export writes"),
        ));
    }
    vectors
        .checked_mul(width)
        .filter(|&n| n <= EXPORT_VALUES_MAX)
        .ok_or_else(|| {
            setting(
                "--vectors",
                format!(
                    "{vectors} test vectors of {width} inputs are above the {EXPORT_VALUES_MAX} input values an export writes; give fewer"
                ),
            )
        })
}

impl ModelArgs {
    /// How unexpected tensors are treated (`--non-strict`).
    fn strictness(&self) -> Strictness {
        if self.non_strict {
            Strictness::IgnoreUnexpected
        } else {
            Strictness::Strict
        }
    }
}

/// Writes the firmware template's model folder (`model.rs`,
/// `weights.safetensors`, `test_vectors.safetensors`) for a model file:
/// the architecture (metadata or `--arch`) is checked against the weights
/// before anything is written; the test inputs are seeded random rows in
/// the model's input range, with the host's outputs as the reference when
/// this harness builds the architecture (a file it builds but cannot load,
/// e.g. with NaN weights, is refused with the loader's error). F64, F16
/// and BF16 tensors are converted to F32 first, as the loader converts them
/// (a value beyond f32's range is refused as an infinite one): the folder's
/// weights are always F32 (an int8 file's stay as they are). With
/// `--non-strict`, tensors no layer reads are left out of the weights.
/// The folder is written whole into a staging folder beside `out`, then
/// renamed into place.
///
/// # Errors
/// Model and export errors naming the file; `--vectors` out of range;
/// write errors.
pub fn export(
    args: &ModelArgs,
    out: &Path,
    vectors: usize,
    seed: u64,
    shape: Option<&str>,
    console: &Console,
) -> Result<()> {
    test_values(vectors, 0)?;
    let file = ModelFile::open(&args.model)?;
    let given = file.architecture(args.arch.as_deref())?.to_owned();
    let precision = crate::export::precision(&file.bytes).map_err(|e| model_error(&args.model, e.to_string()))?;
    let strictness = args.strictness();
    let shape = input_shape(&file, shape)?;
    if precision == crate::export::Precision::Int8 {
        let weights = match strictness {
            Strictness::Strict => file.bytes.clone(),
            Strictness::IgnoreUnexpected => left_out(&file, &given, shape.as_deref(), &file.bytes, console)?,
        };
        let (made, reference) = export_int8(&file, &given, shape.as_deref(), &weights, vectors, seed)?;
        write_model_folder(out, &made)?;
        let with = if reference {
            "with the host's int8 outputs"
        } else {
            "without reference outputs (this harness has no int8 type of the architecture; the template's build computes them)"
        };
        console.say(&format!(
            "{given} (int8): model.rs, weights.safetensors and {vectors} test vectors {with} written to {}",
            out.display()
        ));
        return Ok(());
    }
    // F64, F16 and BF16 weights become F32 as the loader converts them, so
    // the firmware's weights, the reference outputs and the checks of
    // non-finite values all see what predict would compute with.
    let file = ModelFile {
        bytes: crate::export::f32_weights(&file.bytes).map_err(|e| model_error(&args.model, e.to_string()))?,
        ..file
    };
    // Dropout is the identity at inference: the firmware leaves it out.
    let (arch, weights) = crate::export::without_dropout_with(&given, &file.bytes, strictness)
        .map_err(|e| model_error(&args.model, e.to_string()))?;
    let weights = match strictness {
        Strictness::Strict => weights,
        Strictness::IgnoreUnexpected => left_out(&file, &arch, shape.as_deref(), &weights, console)?,
    };
    let width =
        crate::export::input_width(&arch, shape.as_deref()).map_err(|e| model_error(&args.model, e.to_string()))?;
    let values = test_values(vectors, width)?;
    let mut rng = flambeau::Rng::new(seed);
    let pixels = file
        .pixel_map()
        .ok()
        .filter(|_| file.meta.get(key::INPUT).is_some_and(|i| i == "usps"));
    let inputs: Vec<f32> = (0..values)
        .map(|_| match pixels {
            Some((scale, offset)) => (rng.below(256) as f32) * scale + offset,
            None => rng.uniform_in(-1.0, 1.0) as f32,
        })
        .collect();
    // A network this harness builds must load: its loader's error (NaN
    // weights, a tensor that does not fit) refuses the file, as predict does.
    let reference = if zoo::builds(&given) {
        Some(zoo::load(file.clone(), args.arch.as_deref(), strictness)?.predict(&inputs)?)
    } else {
        None
    };
    let made =
        crate::export::firmware_model_shaped(&arch, shape.as_deref(), &weights, &inputs, reference.as_deref(), 1e-5)
            .map_err(|e| model_error(&args.model, e.to_string()))?;
    write_model_folder(out, &made)?;
    let with = if reference.is_some() {
        "with the host's reference outputs"
    } else {
        "without reference outputs (this harness does not build the architecture; the template's build computes them)"
    };
    console.say(&format!(
        "{arch}: model.rs, weights.safetensors and {vectors} test vectors {with} written to {}",
        out.display()
    ));
    Ok(())
}

/// `weights` without the tensors no layer of `arch` reads (`--non-strict`),
/// saying which were left out.
fn left_out(
    file: &ModelFile,
    arch: &str,
    shape: Option<&[usize]>,
    weights: &[u8],
    console: &Console,
) -> Result<Vec<u8>> {
    let (kept, dropped) =
        crate::export::without_unused(arch, shape, weights).map_err(|e| model_error(&file.path, e.to_string()))?;
    if !dropped.is_empty() {
        let names: Vec<String> = dropped.iter().map(|n| format!("{n:?}")).collect();
        console.say(&format!(
            "{}: --non-strict: left out {} tensor(s) no layer reads: {}",
            file.path.display(),
            dropped.len(),
            names.join(", ")
        ));
    }
    Ok(kept)
}

/// Writes the three files of the template's model folder `out`, whole: into
/// a staging folder beside it, renamed into place (an existing `out` is
/// replaced only when it holds nothing but those files).
fn write_model_folder(out: &Path, made: &crate::export::FirmwareModel) -> Result<()> {
    let staging = Staging::begin_files(out, &MODEL_FILES)?;
    let mut files = Artifacts::new();
    for (name, bytes) in
        MODEL_FILES
            .into_iter()
            .zip([made.model_rs.as_bytes(), &made.weights[..], &made.test_vectors[..]])
    {
        files.add(name, bytes.to_vec());
    }
    files.write_into(staging.path())?;
    staging.commit()
}

/// The model folder of an int8 model file (its `quantization` metadata
/// names the core's scheme) with `weights` (the file's, or without the
/// tensors no layer reads): the test inputs are seeded random int8 codes,
/// with the host's int8 outputs as the reference when this harness has the
/// architecture's int8 type (the USPS MLP, the conv1d CNNs; the second value
/// says so); else the template's build computes them with the same code.
fn export_int8(
    file: &ModelFile,
    arch: &str,
    shape: Option<&[usize]>,
    weights: &[u8],
    vectors: usize,
    seed: u64,
) -> Result<(crate::export::FirmwareModel, bool)> {
    let steps = crate::export::shaped(arch, shape).map_err(|e| model_error(&file.path, e.to_string()))?;
    let width = steps.first().map_or(0, |s| s.input.size());
    let values = test_values(vectors, width)?;
    let mut rng = flambeau::Rng::new(seed);
    let inputs: Vec<i8> = (0..values).map(|_| (rng.below(256) as i32 - 128) as i8).collect();
    let reference = int8_reference(arch, weights, &inputs).map_err(|e| model_error(&file.path, e.to_string()))?;
    let made = crate::export::firmware_model_int8_shaped(arch, shape, weights, &inputs, reference.as_deref())
        .map_err(|e| model_error(&file.path, e.to_string()))?;
    Ok((made, reference.is_some()))
}

/// The host's int8 outputs for rows of input codes, when this harness has
/// the int8 type of `arch` (the USPS MLP, the `conv1d` experiment's CNNs):
/// the same code the firmware runs.
fn int8_reference(arch: &str, bytes: &[u8], inputs: &[i8]) -> std::result::Result<Option<Vec<i8>>, flambeau::Error> {
    use crate::quantize::cnn::{Cnn, QDeepNet, QReportNet, QSmallNet};
    if arch.replace(' ', "") == crate::quantize::arch::USPS_MLP.replace(' ', "") {
        return int8_outputs::<crate::quantize::QMlp>(bytes, inputs).map(Some);
    }
    match Cnn::of(arch) {
        Some(Cnn::Report) => int8_outputs::<QReportNet>(bytes, inputs).map(Some),
        Some(Cnn::Small) => int8_outputs::<QSmallNet>(bytes, inputs).map(Some),
        Some(Cnn::Deep) => int8_outputs::<QDeepNet>(bytes, inputs).map(Some),
        None => Ok(None),
    }
}

/// The int8 outputs of the chain `L` in the int8 file `bytes` for rows of input codes.
fn int8_outputs<'a, L: flambeau::QChainLoad<'a>>(
    bytes: &'a [u8],
    inputs: &[i8],
) -> std::result::Result<Vec<i8>, flambeau::Error> {
    type Fp<L> = flambeau::QFootprint<L>;
    let (mut act, mut wide) = (vec![0i8; Fp::<L>::ACT], vec![0i16; Fp::<L>::WIDE]);
    let mut net = flambeau::QNetwork::<L>::from_safetensors(bytes, &mut act, &mut wide)?;
    let mut outputs = Vec::new();
    for row in inputs.chunks_exact(L::IN.max(1)) {
        outputs.extend_from_slice(net.predict(row)?);
    }
    Ok(outputs)
}

/// The input's shape: `given` (`--input-shape`, sizes separated by commas)
/// if any, else the model file's `input_shape` metadata (`[256]`), if any;
/// at most [`crate::export::chain::MAX_VALUES`] values in all.
fn input_shape(file: &ModelFile, given: Option<&str>) -> Result<Option<Vec<usize>>> {
    let (text, from) = match given {
        Some(text) => (text, "--input-shape"),
        None => match file.meta.get(key::INPUT_SHAPE) {
            Some(text) => (text.as_str(), "metadata input_shape"),
            None => return Ok(None),
        },
    };
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(trimmed);
    let sizes = inner
        .split(',')
        .map(|v| v.trim().parse::<usize>().ok().filter(|&v| v > 0))
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            model_error(
                &file.path,
                format!("{from}: '{text}' is not a list of positive sizes such as 1,16,16 or [256]"),
            )
        })?;
    let max = crate::export::chain::MAX_VALUES;
    if sizes
        .iter()
        .try_fold(1usize, |n, &v| n.checked_mul(v))
        .is_none_or(|n| n > max)
    {
        return Err(model_error(
            &file.path,
            format!("{from}: '{text}' is more than the {max} values one input may have"),
        ));
    }
    Ok(Some(sizes))
}
