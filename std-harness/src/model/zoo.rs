//! The networks a model file can name: every architecture the experiments
//! train, matched by the form the model prints (`Linear(256,128) -> Tanh ->
//! …`), so that a file is only ever loaded into the Rust type it describes.

use std::fmt::Display;

use flambeau::{InferenceFootprint, Linear, Model, Network, Node, Sequential, Shape, Strictness};

use super::{ModelFile, model_error};
use crate::error::Result;
use crate::experiments::{ae_vs_pca, autoencoder, checkerboard, conv1d, conv2d, usps_mlp};

/// Rows per inference batch.
const BATCH: usize = 64;

/// A loaded model, behind its concrete type.
pub trait Predictor {
    /// The architecture as the model prints it.
    fn architecture(&self) -> String;
    /// Elements of one input row.
    fn input_len(&self) -> usize;
    /// Elements of one output row.
    fn output_len(&self) -> usize;
    /// Parameters.
    fn params(&self) -> usize;
    /// Scalars of inference RAM at batch 1 with the weights read in place (flash).
    fn flash_arena(&self) -> usize;
    /// Runs the model on any number of rows (`input_len` each); returns their outputs.
    ///
    /// # Errors
    /// [`crate::error::Error::Model`] for rows of the wrong length or non-finite values.
    fn predict(&self, rows: &[f32]) -> Result<Vec<f32>>;
}

struct Loaded<M> {
    model: M,
    file: ModelFile,
    strictness: Strictness,
    /// The architecture as the file (or `--arch`) names it.
    named: String,
}

impl<M: Model + Display> Predictor for Loaded<M> {
    fn architecture(&self) -> String {
        with_dropout_of(&self.model.to_string(), &self.named)
    }

    fn input_len(&self) -> usize {
        <M::Input as Shape>::SIZE
    }

    fn output_len(&self) -> usize {
        <M::Output as Shape>::SIZE
    }

    fn params(&self) -> usize {
        InferenceFootprint::<M, 1>::PARAMS
    }

    fn flash_arena(&self) -> usize {
        InferenceFootprint::<M, 1>::FLASH_ARENA
    }

    fn predict(&self, rows: &[f32]) -> Result<Vec<f32>> {
        let (n_in, n_out) = (self.input_len().max(1), self.output_len());
        if !rows.len().is_multiple_of(n_in) {
            return Err(model_error(
                &self.file.path,
                format!("{} input values are not whole rows of {n_in}", rows.len()),
            ));
        }
        let mut tape = vec![Node::EMPTY; InferenceFootprint::<M, BATCH>::NODES];
        let mut arena = vec![0.0f32; InferenceFootprint::<M, BATCH>::ARENA];
        let mut net = Network::<f32, M, BATCH>::new(&self.model, &mut tape, &mut arena)
            .map_err(|e| model_error(&self.file.path, e.to_string()))?;
        net.graph_mut()
            .load_safetensors_with(&self.file.bytes, self.strictness)
            .map_err(|e| model_error(&self.file.path, e.to_string()))?;
        let mut out = Vec::with_capacity(rows.len() / n_in * n_out);
        for (i, chunk) in rows.chunks(BATCH * n_in).enumerate() {
            let y = net
                .predict(chunk)
                .map_err(|e| model_error(&self.file.path, format!("input rows from {}: {e}", i * BATCH)))?;
            out.extend_from_slice(y);
        }
        Ok(out)
    }
}

/// One known architecture: its printed form and how to load a file into it.
struct Candidate {
    name: String,
    load: fn(ModelFile, Strictness, String) -> Result<Box<dyn Predictor>>,
}

fn candidate<M: Model + Default + Display + 'static>() -> Candidate {
    fn load<M: Model + Default + Display + 'static>(
        file: ModelFile,
        s: Strictness,
        named: String,
    ) -> Result<Box<dyn Predictor>> {
        let loaded = Loaded {
            model: M::default(),
            file,
            strictness: s,
            named,
        };
        // Load once now, so a mismatched file fails before any input is read.
        loaded.predict(&[])?;
        Ok(Box::new(loaded))
    }
    Candidate {
        name: M::default().to_string(),
        load: load::<M>,
    }
}

fn candidates() -> Vec<Candidate> {
    vec![
        candidate::<usps_mlp::CeNet>(),
        candidate::<usps_mlp::MseNet>(),
        candidate::<usps_mlp::DropNet>(),
        candidate::<conv1d::ReportNet>(),
        candidate::<conv1d::SmallNet>(),
        candidate::<conv1d::DeepNet>(),
        candidate::<conv2d::LeNet>(),
        candidate::<conv2d::FastNet>(),
        candidate::<checkerboard::Net>(),
        candidate::<Sequential<(Linear<2, 1>,)>>(),
        candidate::<autoencoder::Shallow<8>>(),
        candidate::<autoencoder::Shallow<16>>(),
        candidate::<autoencoder::Shallow<32>>(),
        candidate::<autoencoder::Shallow<64>>(),
        candidate::<autoencoder::Shallow<128>>(),
        candidate::<autoencoder::Deep<8>>(),
        candidate::<ae_vs_pca::PcaPipeline<8>>(),
        candidate::<ae_vs_pca::PcaDecoder<8>>(),
        candidate::<flambeau::TiedAutoEncoder<256, 8>>(),
        candidate::<flambeau::TiedLinearAutoEncoder<256, 8>>(),
        candidate::<flambeau::TiedLinearReluAutoEncoder<256, 8>>(),
        candidate::<autoencoder::Deep<16>>(),
        candidate::<ae_vs_pca::PcaPipeline<16>>(),
        candidate::<ae_vs_pca::PcaDecoder<16>>(),
        candidate::<flambeau::TiedAutoEncoder<256, 16>>(),
        candidate::<flambeau::TiedLinearAutoEncoder<256, 16>>(),
        candidate::<flambeau::TiedLinearReluAutoEncoder<256, 16>>(),
        candidate::<autoencoder::Deep<32>>(),
        candidate::<ae_vs_pca::PcaPipeline<32>>(),
        candidate::<ae_vs_pca::PcaDecoder<32>>(),
        candidate::<flambeau::TiedAutoEncoder<256, 32>>(),
        candidate::<flambeau::TiedLinearAutoEncoder<256, 32>>(),
        candidate::<flambeau::TiedLinearReluAutoEncoder<256, 32>>(),
        candidate::<autoencoder::Deep<64>>(),
        candidate::<ae_vs_pca::PcaPipeline<64>>(),
        candidate::<ae_vs_pca::PcaDecoder<64>>(),
        candidate::<flambeau::TiedAutoEncoder<256, 64>>(),
        candidate::<flambeau::TiedLinearAutoEncoder<256, 64>>(),
        candidate::<flambeau::TiedLinearReluAutoEncoder<256, 64>>(),
        candidate::<autoencoder::Deep<128>>(),
        candidate::<ae_vs_pca::PcaPipeline<128>>(),
        candidate::<ae_vs_pca::PcaDecoder<128>>(),
        candidate::<flambeau::TiedAutoEncoder<256, 128>>(),
        candidate::<flambeau::TiedLinearAutoEncoder<256, 128>>(),
        candidate::<flambeau::TiedLinearReluAutoEncoder<256, 128>>(),
    ]
}

/// The architectures a model file can name.
pub fn known() -> Vec<String> {
    candidates().into_iter().map(|c| c.name).collect()
}

/// Compares architectures ignoring blanks and dropout probabilities
/// (dropout is the identity at inference, so any `p` loads the same).
fn same(a: &str, b: &str) -> bool {
    let plain = |s: &str| -> String {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        s.split("->")
            .map(|layer| {
                if layer.starts_with("Dropout(") {
                    "Dropout"
                } else {
                    layer
                }
            })
            .collect::<Vec<_>>()
            .join("->")
    };
    plain(a) == plain(b)
}

/// Whether this harness builds the network `architecture` names (blanks
/// and dropout probabilities aside), so that [`load`] can load a file of it.
pub fn builds(architecture: &str) -> bool {
    candidates().iter().any(|c| same(&c.name, architecture))
}

/// `model` (a network as it prints itself) with the dropout probability of
/// each `Dropout` layer taken from `named`, the same network as a file names
/// it (the network is built with the default `p`, which inference ignores).
/// A layer of `named` that is not a valid `Dropout(p=…)` leaves `model`'s.
fn with_dropout_of(model: &str, named: &str) -> String {
    let named: Vec<&str> = named.split("->").map(str::trim).collect();
    let layers: Vec<&str> = model.split("->").map(str::trim).collect();
    if named.len() != layers.len() {
        return model.to_owned();
    }
    layers
        .iter()
        .zip(&named)
        .map(|(&layer, &given)| {
            let p = given
                .strip_prefix("Dropout(p=")
                .and_then(|rest| rest.strip_suffix(')'))
                .and_then(|p| p.trim().parse::<f32>().ok())
                .and_then(|p| flambeau::Dropout::new(p).ok());
            match p {
                Some(d) if layer.starts_with("Dropout(") => d.to_string(),
                _ => layer.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Loads `file` into the network its architecture (or `arch`) names,
/// checking every tensor by name, shape and dtype.
///
/// # Errors
/// [`crate::error::Error::Model`] for an int8 file (made by `quantize`), an
/// unknown architecture (listing the known ones, on one line, control
/// characters escaped) or a file that does not fit it (naming the tensor).
pub fn load(file: ModelFile, arch: Option<&str>, strictness: Strictness) -> Result<Box<dyn Predictor>> {
    if file.meta.contains_key(INT8_KEY) {
        return Err(model_error(
            &file.path,
            "is an int8 model (its metadata names a quantization scheme; `flambeau quantize` makes them): \
             this command runs f32 models; `flambeau export` writes an int8 model's firmware folder \
             (README, \"Int8 networks\")",
        ));
    }
    let wanted = file.architecture(arch)?.to_owned();
    match candidates().into_iter().find(|c| same(&c.name, &wanted)) {
        Some(c) => (c.load)(file, strictness, wanted),
        None => Err(model_error(
            &file.path,
            format!(
                "architecture '{}' is none this harness builds; known: {}",
                wanted.escape_debug(),
                known().join(" | ")
            ),
        )),
    }
}

/// The metadata key of an int8 file, naming its quantization scheme.
const INT8_KEY: &str = "quantization";
