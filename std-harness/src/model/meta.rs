//! What a model file says about itself: the safetensors `__metadata__`
//! every model the harness writes carries (strings, as the format requires;
//! PyTorch's loader ignores them).
//!
//! | key | example | meaning |
//! | --- | --- | --- |
//! | `architecture` | `Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)` | the model as it prints itself |
//! | `input` | `usps` | what a row is: `usps` (16x16 grey pixels, row-major), `points` (x, y) or `codes` (PCA codes) |
//! | `input_shape` | `[256]` | elements of one input row |
//! | `input_scale`, `input_offset` | `0.00784313725490196`, `-1` | a pixel byte `p` (0 = background) enters as `p * scale + offset` |
//! | `output` | `logits` | `logits`, `probabilities`, `probability` (one sigmoid output) or `reconstruction` |
//! | `classes` | `10` | classes of a classifier |
//! | `loss`, `recipe`, `seed`, `experiment`, `variant` | `cross-entropy`, `best`, `1`, … | how it was trained |
//! | `epoch`, `metric`, `score_train`, `score_valid`, `score_test` | `57`, `accuracy`, `0.99`, … | the chosen epoch and its scores |
//! | `flambeau_version` | `0.1.0` | the harness that wrote it |

use std::collections::BTreeMap;

use crate::experiments::RunResult;

/// Keys of the metadata.
pub mod key {
    /// The model as it prints itself.
    pub const ARCHITECTURE: &str = "architecture";
    /// `usps` or `points`.
    pub const INPUT: &str = "input";
    /// Elements of one input row, as `[n]`.
    pub const INPUT_SHAPE: &str = "input_shape";
    /// Multiplier of a raw pixel byte.
    pub const INPUT_SCALE: &str = "input_scale";
    /// Added to a scaled pixel byte.
    pub const INPUT_OFFSET: &str = "input_offset";
    /// What the outputs are.
    pub const OUTPUT: &str = "output";
    /// Classes of a classifier.
    pub const CLASSES: &str = "classes";
    /// The harness version.
    pub const VERSION: &str = "flambeau_version";
}

/// What a model's input rows are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    /// USPS images: 256 pixel bytes, entering as `p * scale + offset`.
    Usps {
        /// Whether pixels are mapped to `[-1, 1]` (else `[0, 1]`).
        centred: bool,
    },
    /// Points of the plane (x, y), as generated.
    Points,
    /// Codes of `len` values (a decoder fed PCA codes).
    Codes {
        /// Values of a code.
        len: usize,
    },
}

impl Input {
    /// `(scale, offset)` of a pixel byte, for image inputs.
    pub fn pixel_map(self) -> Option<(f64, f64)> {
        match self {
            Input::Usps { centred: true } => Some((2.0 / 255.0, -1.0)),
            Input::Usps { centred: false } => Some((1.0 / 255.0, 0.0)),
            Input::Points | Input::Codes { .. } => None,
        }
    }
}

/// What a model's outputs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Class scores before softmax.
    Logits,
    /// Class probabilities (sigmoid or softmax outputs).
    Probabilities,
    /// One sigmoid output: the probability of class 1.
    Probability,
    /// A reconstructed input.
    Reconstruction,
    /// Scores compared with ±1 targets.
    Score,
}

impl Output {
    /// A classifier's outputs: probabilities when its last layer is a
    /// sigmoid or a softmax, logits otherwise.
    pub fn of_classifier(architecture: &str) -> Self {
        let last = architecture.rsplit("->").next().unwrap_or("").trim();
        if last == "Sigmoid" || last == "Softmax" {
            Output::Probabilities
        } else {
            Output::Logits
        }
    }

    /// The metadata value.
    pub fn name(self) -> &'static str {
        match self {
            Output::Logits => "logits",
            Output::Probabilities => "probabilities",
            Output::Probability => "probability",
            Output::Reconstruction => "reconstruction",
            Output::Score => "score",
        }
    }
}

/// The metadata of a trained model, built from its run.
///
/// `architecture` is the model's own printed form; the rest comes from the
/// run's result.
pub fn of_run(
    architecture: &str,
    result: &RunResult,
    seed: u64,
    (input, output): (Input, Output),
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_owned(), v);
    };
    put(key::ARCHITECTURE, architecture.to_owned());
    put(key::VERSION, env!("CARGO_PKG_VERSION").to_owned());
    match input {
        Input::Usps { .. } => {
            put(key::INPUT, "usps".to_owned());
            put(key::INPUT_SHAPE, "[256]".to_owned());
        }
        Input::Points => {
            put(key::INPUT, "points".to_owned());
            put(key::INPUT_SHAPE, "[2]".to_owned());
        }
        Input::Codes { len } => {
            put(key::INPUT, "codes".to_owned());
            put(key::INPUT_SHAPE, format!("[{len}]"));
        }
    }
    if let Some((scale, offset)) = input.pixel_map() {
        put(key::INPUT_SCALE, scale.to_string());
        put(key::INPUT_OFFSET, offset.to_string());
    }
    put(key::OUTPUT, output.name().to_owned());
    if matches!(output, Output::Logits | Output::Probabilities) {
        put(key::CLASSES, "10".to_owned());
    }
    put("experiment", result.experiment.clone());
    put("variant", result.variant.clone());
    put("model", result.model.clone());
    put("recipe", result.recipe.name().to_owned());
    put("seed", seed.to_string());
    put("settings", result.settings.clone());
    put("command", result.command.clone());
    put("epoch", result.best_epoch.to_string());
    put("metric", result.metric.name().to_owned());
    put("score_train", result.score.train.to_string());
    put("score_valid", result.score.valid.to_string());
    put("score_test", result.score.test.to_string());
    m
}

/// Checks what the metadata says of the inputs and outputs (`input`,
/// `input_shape`, `output`, `classes`) against the network loaded from the
/// file: `architecture` as it prints itself, taking rows of `input_len`
/// values and giving rows of `output_len`. Absent keys (a PyTorch
/// `state_dict`) are not checked.
///
/// # Errors
/// `(key, problem)` for the first key the network contradicts.
pub fn check(
    meta: &BTreeMap<String, String>,
    architecture: &str,
    input_len: usize,
    output_len: usize,
) -> Result<(), (&'static str, String)> {
    let last = architecture.rsplit("->").next().unwrap_or("").trim();
    let ends_in = |names: &[&str]| names.iter().any(|n| last == *n || last.starts_with(&format!("{n}(")));
    let network = format!("the network ({architecture}) takes {input_len} values and gives {output_len}");
    if let Some(input) = meta.get(key::INPUT) {
        let wanted = match input.as_str() {
            "usps" => Some(256),
            "points" => Some(2),
            "codes" => None,
            other => {
                return Err((
                    key::INPUT,
                    format!("'{}' is none of usps, points, codes", other.escape_debug()),
                ));
            }
        };
        if wanted.is_some_and(|n| n != input_len) {
            return Err((
                key::INPUT,
                format!("'{input}' means rows of {} values, but {network}", wanted.unwrap_or(0)),
            ));
        }
    }
    if let Some(shape) = meta.get(key::INPUT_SHAPE) {
        let inner = shape.trim().trim_start_matches('[').trim_end_matches(']');
        let size = inner
            .split(',')
            .map(|v| v.trim().parse::<usize>().ok())
            .try_fold(1usize, |acc, v| acc.checked_mul(v?));
        if size != Some(input_len) {
            return Err((
                key::INPUT_SHAPE,
                format!(
                    "'{}' does not describe rows of {input_len} values: {network}",
                    shape.escape_debug()
                ),
            ));
        }
    }
    let output = meta.get(key::OUTPUT).map(String::as_str);
    if let Some(output) = output {
        let squashed = ends_in(&["Sigmoid", "Softmax"]);
        let fits = match output {
            "logits" => output_len >= 2 && !squashed,
            "probabilities" => output_len >= 2 && squashed,
            "probability" => output_len == 1 && ends_in(&["Sigmoid"]),
            "score" => output_len == 1 && !squashed,
            // A decoder fed codes gives back the image they code.
            "reconstruction" => output_len == input_len || meta.get(key::INPUT).is_some_and(|i| i == "codes"),
            other => {
                return Err((
                    key::OUTPUT,
                    format!(
                        "'{}' is none of logits, probabilities, probability, score, reconstruction",
                        other.escape_debug()
                    ),
                ));
            }
        };
        if !fits {
            let means = match output {
                "logits" => "class scores before a softmax (2 or more outputs, no final Sigmoid or Softmax)",
                "probabilities" => "class probabilities (2 or more outputs after a final Sigmoid or Softmax)",
                "probability" => "one sigmoid output",
                "score" => "one output, no final Sigmoid or Softmax",
                _ => "a reconstruction of the input (as many outputs as inputs, but for codes)",
            };
            return Err((key::OUTPUT, format!("'{output}' means {means}, but {network}")));
        }
    }
    if let Some(classes) = meta.get(key::CLASSES) {
        let wanted = match output {
            Some("probability" | "score") => 2,
            Some("reconstruction") => {
                return Err((key::CLASSES, "a reconstruction has no classes".to_owned()));
            }
            _ => output_len,
        };
        if classes.trim().parse::<usize>().ok() != Some(wanted) {
            return Err((
                key::CLASSES,
                format!("'{}', but {network}, so {wanted} classes", classes.escape_debug()),
            ));
        }
    }
    Ok(())
}
