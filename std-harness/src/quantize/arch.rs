//! The f32 model a `quantize` run starts from: its layers (parsed from the
//! architecture string), its weights, and a plain forward pass that records
//! every activation for calibration.

use flambeau::SafeTensors;

use crate::error::{CoreContext, Result, setting};

/// One layer of the architecture notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// `Linear(in,out)`.
    Linear {
        /// Inputs.
        inputs: usize,
        /// Outputs.
        outputs: usize,
    },
    /// `Tanh`.
    Tanh,
    /// `Sigmoid`.
    Sigmoid,
    /// `ReLU`.
    ReLU,
}

/// The USPS MLP of the report, assumed when neither the file nor `--arch` names one.
pub const USPS_MLP: &str = "Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)";

/// Parses `Linear(256,128) -> Tanh -> …`.
///
/// # Errors
/// A setting error naming the layer that is not understood or does not chain.
pub fn parse(arch: &str) -> Result<Vec<Spec>> {
    let mut specs = Vec::new();
    for part in arch.split("->").map(str::trim) {
        let spec = match part {
            "Tanh" => Spec::Tanh,
            "Sigmoid" => Spec::Sigmoid,
            "ReLU" => Spec::ReLU,
            _ => {
                let inner = part.strip_prefix("Linear(").and_then(|s| s.strip_suffix(')'));
                let dims: Vec<usize> = inner
                    .map(|s| s.split(',').filter_map(|d| d.trim().parse().ok()).collect())
                    .unwrap_or_default();
                match dims[..] {
                    [inputs, outputs] => Spec::Linear { inputs, outputs },
                    _ => {
                        return Err(setting(
                            "--arch",
                            format!("layer `{part}` is not Linear(in,out), Tanh, Sigmoid or ReLU"),
                        ));
                    }
                }
            }
        };
        specs.push(spec);
    }
    let mut width = None;
    for s in &specs {
        if let Spec::Linear { inputs, outputs } = *s {
            if width.is_some_and(|w| w != inputs) {
                return Err(setting(
                    "--arch",
                    format!(
                        "Linear({inputs},{outputs}) follows a layer of {} outputs",
                        width.unwrap_or(0)
                    ),
                ));
            }
            width = Some(outputs);
        }
    }
    Ok(specs)
}

/// The f32 weights of every `Linear`, by layer index.
#[derive(Debug, Clone)]
pub struct F32Model {
    /// The layers.
    pub specs: Vec<Spec>,
    /// `(weight [out][in], bias [out])` of each layer (empty for activations).
    pub params: Vec<(Vec<f32>, Vec<f32>)>,
}

impl F32Model {
    /// Reads the weights `{i}.weight` and `{i}.bias` of each `Linear`.
    ///
    /// # Errors
    /// A core error naming the missing or mis-shaped tensor.
    pub fn read(file: &SafeTensors<'_>, specs: Vec<Spec>) -> Result<Self> {
        let mut params = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let (w, b) = match *s {
                Spec::Linear { inputs, outputs } => (
                    tensor(file, &format!("{i}.weight"), inputs * outputs)?,
                    tensor(file, &format!("{i}.bias"), outputs)?,
                ),
                _ => (Vec::new(), Vec::new()),
            };
            params.push((w, b));
        }
        Ok(F32Model { specs, params })
    }

    /// Inputs of the first layer.
    pub fn inputs(&self) -> usize {
        self.specs
            .iter()
            .find_map(|s| match *s {
                Spec::Linear { inputs, .. } => Some(inputs),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// Runs one sample; returns the activation after each layer (the last is the output).
    pub fn forward(&self, x: &[f32]) -> Vec<Vec<f32>> {
        let mut acts: Vec<Vec<f32>> = Vec::with_capacity(self.specs.len());
        for (s, (w, b)) in self.specs.iter().zip(&self.params) {
            let input = acts.last().map_or(x, Vec::as_slice);
            let out = match *s {
                Spec::Linear { inputs, .. } => w
                    .chunks_exact(inputs)
                    .zip(b)
                    .map(|(row, &b)| row.iter().zip(input).map(|(w, x)| w * x).sum::<f32>() + b)
                    .collect(),
                Spec::Tanh => input.iter().map(|v| v.tanh()).collect(),
                Spec::Sigmoid => input.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect(),
                Spec::ReLU => input.iter().map(|v| v.max(0.0)).collect(),
            };
            acts.push(out);
        }
        acts
    }
}

fn tensor(file: &SafeTensors<'_>, name: &str, len: usize) -> Result<Vec<f32>> {
    let t = file
        .get(name)
        .ok_or(flambeau::SafetensorsError::Missing {
            name: flambeau::TensorName::new(name),
        })
        .map_err(flambeau::Error::from)
        .context(|| "reading the f32 model".to_owned())?;
    if t.len() != len {
        return Err(setting(
            "--model",
            format!("tensor {name} holds {} values, the architecture needs {len}", t.len()),
        ));
    }
    Ok(t.values::<f32>().collect())
}
