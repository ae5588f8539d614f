//! The f32 model a `quantize` run starts from: its layers (parsed from the
//! architecture string), its weights, and a plain forward pass that records
//! every activation for calibration.
//!
//! A network that starts with a `Conv1d` reads one USPS image as a sequence
//! of [`SEQUENCE`] values in one channel (the `conv1d` experiment's input);
//! data between layers are `[channel][position]`, as PyTorch's.

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
    /// `Conv1d(cin,cout,k=K)` or `Conv1d(cin,cout,k=K,stride=S)` over inputs of `length` positions.
    Conv1d {
        /// Input channels.
        cin: usize,
        /// Output channels.
        cout: usize,
        /// Kernel width.
        k: usize,
        /// Stride.
        stride: usize,
        /// Input positions.
        length: usize,
    },
    /// `MaxPool1d(K,S)` over `channels` channels of `length` positions.
    MaxPool1d {
        /// Window.
        k: usize,
        /// Stride.
        stride: usize,
        /// Channels.
        channels: usize,
        /// Input positions.
        length: usize,
    },
    /// `Flatten`.
    Flatten,
}

/// Values of one input of a network that starts with a `Conv1d`: a USPS
/// image read row after row.
pub const SEQUENCE: usize = 256;

/// The numbers inside `prefix( … )` of `part`, with `k=` and `stride=` labels dropped.
fn numbers(part: &str, prefix: &str) -> Option<Vec<usize>> {
    let inner = part.strip_prefix(prefix)?.strip_prefix('(')?.strip_suffix(')')?;
    inner
        .split(',')
        .map(|d| {
            let d = d.trim();
            let d = d.strip_prefix("k=").or_else(|| d.strip_prefix("stride=")).unwrap_or(d);
            d.parse().ok()
        })
        .collect()
}

/// Output positions of a window `k`, stride `s` over `length` (None when the window does not fit).
fn positions(length: usize, k: usize, s: usize) -> Option<usize> {
    (k >= 1 && s >= 1 && length >= k).then(|| (length - k) / s + 1)
}

/// The USPS MLP of the report, assumed when neither the file nor `--arch` names one.
pub const USPS_MLP: &str = "Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)";

/// Parses `Linear(256,128) -> Tanh -> …`.
///
/// # Errors
/// A setting error naming the layer that is not understood or does not chain.
pub fn parse(arch: &str) -> Result<Vec<Spec>> {
    let bad = |part: &str, why: &str| setting("--arch", format!("layer `{part}` {why}"));
    let mut specs = Vec::new();
    // (channels, positions) of the data between layers; `None` before a first Linear.
    let mut shape: Option<(usize, usize)> = None;
    for (i, part) in arch.split("->").map(str::trim).enumerate() {
        let spec = match part {
            "Tanh" => Spec::Tanh,
            "Sigmoid" => Spec::Sigmoid,
            "ReLU" => Spec::ReLU,
            "Flatten" => Spec::Flatten,
            _ if part.starts_with("Conv1d") => {
                let (cin, cout, k, stride) = match numbers(part, "Conv1d").as_deref() {
                    Some(&[cin, cout, k]) => (cin, cout, k, 1),
                    Some(&[cin, cout, k, stride]) => (cin, cout, k, stride),
                    _ => return Err(bad(part, "is not Conv1d(in,out,k=K[,stride=S])")),
                };
                let (channels, length) = match shape {
                    None if i == 0 && cin >= 1 && SEQUENCE.is_multiple_of(cin) => (cin, SEQUENCE / cin),
                    Some(s) => s,
                    None => return Err(bad(part, "needs a first layer that fixes its input length")),
                };
                if channels != cin {
                    return Err(bad(part, &format!("follows a layer of {channels} channels")));
                }
                let out = positions(length, k, stride)
                    .ok_or_else(|| bad(part, &format!("does not fit an input of {length} positions")))?;
                shape = Some((cout, out));
                Spec::Conv1d {
                    cin,
                    cout,
                    k,
                    stride,
                    length,
                }
            }
            _ if part.starts_with("MaxPool1d") => {
                let Some(&[k, stride]) = numbers(part, "MaxPool1d").as_deref() else {
                    return Err(bad(part, "is not MaxPool1d(K,S)"));
                };
                let Some((channels, length)) = shape else {
                    return Err(bad(part, "needs a Conv1d before it"));
                };
                let out = positions(length, k, stride)
                    .ok_or_else(|| bad(part, &format!("does not fit an input of {length} positions")))?;
                shape = Some((channels, out));
                Spec::MaxPool1d {
                    k,
                    stride,
                    channels,
                    length,
                }
            }
            _ => match numbers(part, "Linear").as_deref() {
                Some(&[inputs, outputs]) => {
                    if let Some((c, l)) = shape
                        && c * l != inputs
                    {
                        return Err(setting(
                            "--arch",
                            format!("Linear({inputs},{outputs}) follows a layer of {} outputs", c * l),
                        ));
                    }
                    shape = Some((1, outputs));
                    Spec::Linear { inputs, outputs }
                }
                _ => {
                    return Err(bad(
                        part,
                        "is not Linear(in,out), Conv1d(in,out,k=K), MaxPool1d(K,S), Flatten, Tanh, Sigmoid or ReLU",
                    ));
                }
            },
        };
        specs.push(spec);
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
    /// A core error naming the missing, mis-shaped or non-float tensor.
    pub fn read(file: &SafeTensors<'_>, specs: Vec<Spec>) -> Result<Self> {
        let mut params = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let (w, b) = match *s {
                Spec::Linear { inputs, outputs } => (
                    tensor(file, &format!("{i}.weight"), &[outputs, inputs])?,
                    tensor(file, &format!("{i}.bias"), &[outputs])?,
                ),
                Spec::Conv1d { cin, cout, k, .. } => (
                    tensor(file, &format!("{i}.weight"), &[cout, cin, k])?,
                    tensor(file, &format!("{i}.bias"), &[cout])?,
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
                Spec::Conv1d { cin, length, .. } => Some(cin * length),
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
                Spec::Flatten => input.to_vec(),
                Spec::Conv1d {
                    cin, k, stride, length, ..
                } => conv1d(input, w, b, cin, k, stride, length),
                Spec::MaxPool1d { k, stride, length, .. } => max_pool1d(input, k, stride, length),
            };
            acts.push(out);
        }
        acts
    }
}

/// `y[o][t] = b[o] + Σ_c Σ_j w[o][c][j] · x[c][t·stride + j]`.
fn conv1d(x: &[f32], w: &[f32], b: &[f32], cin: usize, k: usize, stride: usize, length: usize) -> Vec<f32> {
    let out = positions(length, k, stride).unwrap_or(0);
    let mut y = Vec::with_capacity(b.len() * out);
    for (filter, &bias) in w.chunks_exact((cin * k).max(1)).zip(b) {
        for t in 0..out {
            let taps = filter.chunks_exact(k.max(1)).zip(x.chunks_exact(length.max(1)));
            let s: f32 = taps
                .map(|(wc, xc)| wc.iter().zip(&xc[t * stride..]).map(|(w, x)| w * x).sum::<f32>())
                .sum();
            y.push(s + bias);
        }
    }
    y
}

/// The largest value of each window, channel by channel.
fn max_pool1d(x: &[f32], k: usize, stride: usize, length: usize) -> Vec<f32> {
    let out = positions(length, k, stride).unwrap_or(0);
    let channel = |xc: &[f32]| -> Vec<f32> {
        (0..out)
            .map(|t| {
                xc[t * stride..t * stride + k]
                    .iter()
                    .fold(f32::NEG_INFINITY, |m, &v| m.max(v))
            })
            .collect()
    };
    x.chunks_exact(length.max(1)).flat_map(channel).collect()
}

/// The values of tensor `name`, which must be a float tensor of `shape`
/// (converted to f32 as the core's loader converts them).
fn tensor(file: &SafeTensors<'_>, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let tensor_name = || flambeau::TensorName::new(name);
    let context = || "the f32 weights".to_owned();
    let t = file
        .get(name)
        .ok_or(flambeau::SafetensorsError::Missing { name: tensor_name() })
        .map_err(flambeau::Error::from)
        .context(context)?;
    if !t.dtype.is_float() {
        return Err(flambeau::Error::from(flambeau::SafetensorsError::NotAFloat {
            name: tensor_name(),
            dtype: t.dtype,
        }))
        .context(context);
    }
    if t.shape() != shape {
        return Err(flambeau::Error::from(flambeau::SafetensorsError::ShapeMismatch {
            name: tensor_name(),
            expected: flambeau::Dims::new(shape.iter().copied()),
            got: flambeau::Dims::new(t.shape().iter().copied()),
        }))
        .context(context);
    }
    Ok(t.values::<f32>().collect())
}
