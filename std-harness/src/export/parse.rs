//! The architecture notation models print, read back into layers:
//! `Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10)`,
//! `Conv2d(1,16,k=5,padding=2) -> ReLU -> MaxPool2d(2,2) -> …`.

use super::{ExportError, Layer};

/// The positional and named (`k=5`) arguments of `Name(a,b,k=5)`.
struct Args {
    positional: Vec<usize>,
    named: Vec<(String, usize)>,
}

impl Args {
    /// Parses the text between the brackets; `None` for a value that is not a number.
    fn parse(text: &str) -> Option<Self> {
        let mut args = Args {
            positional: Vec::new(),
            named: Vec::new(),
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((key, value)) => args.named.push((key.trim().to_owned(), value.trim().parse().ok()?)),
                None if args.named.is_empty() => args.positional.push(part.parse().ok()?),
                None => return None,
            }
        }
        Some(args)
    }

    /// Argument `position`, or the one named one of `names`; `default` when neither is given.
    fn get(&self, position: usize, names: &[&str], default: Option<usize>) -> Option<usize> {
        let named = self.named.iter().find(|(k, _)| names.contains(&k.as_str()));
        match (self.positional.get(position), named) {
            (Some(_), Some(_)) => None,
            (Some(&v), None) | (None, Some(&(_, v))) => Some(v),
            (None, None) => default,
        }
    }

    /// Whether every argument is one of `max_positional` positions or `names`.
    fn only(&self, max_positional: usize, names: &[&str]) -> bool {
        self.positional.len() <= max_positional && self.named.iter().all(|(k, _)| names.contains(&k.as_str()))
    }
}

const KERNEL: &[&str] = &["k", "kernel_size"];
const STRIDE: &[&str] = &["stride"];

/// Whether every size of `layer` is at least 1 (a padding may be 0).
fn sized(layer: Layer) -> bool {
    match layer {
        Layer::Linear { inputs, outputs } => inputs > 0 && outputs > 0,
        Layer::Conv1d {
            in_channels,
            out_channels,
            kernel,
            stride,
        }
        | Layer::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            ..
        } => in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0,
        Layer::MaxPool1d { kernel, stride }
        | Layer::AvgPool1d { kernel, stride }
        | Layer::MaxPool2d { kernel, stride }
        | Layer::AvgPool2d { kernel, stride } => kernel > 0 && stride > 0,
        _ => true,
    }
}

/// One layer's text; `None` when it is not one the template knows.
fn layer(part: &str) -> Option<Layer> {
    let simple = match part {
        "Tanh" => Some(Layer::Tanh),
        "Sigmoid" => Some(Layer::Sigmoid),
        "ReLU" => Some(Layer::ReLU),
        "Softmax" => Some(Layer::Softmax),
        "LogSoftmax" => Some(Layer::LogSoftmax),
        "Flatten" | "Flatten()" => Some(Layer::Flatten),
        _ => None,
    };
    if simple.is_some() {
        return simple;
    }
    let (name, rest) = part.split_once('(')?;
    let a = Args::parse(rest.strip_suffix(')')?)?;
    let pool = |a: &Args| -> Option<(usize, usize)> {
        let kernel = a.get(0, KERNEL, None)?;
        a.only(2, &["k", "kernel_size", "stride"])
            .then_some((kernel, a.get(1, STRIDE, Some(kernel))?))
    };
    match name.trim() {
        "Linear" if a.only(2, &[]) => Some(Layer::Linear {
            inputs: a.get(0, &[], None)?,
            outputs: a.get(1, &[], None)?,
        }),
        "Conv1d" if a.only(4, &["k", "kernel_size", "stride"]) => Some(Layer::Conv1d {
            in_channels: a.get(0, &[], None)?,
            out_channels: a.get(1, &[], None)?,
            kernel: a.get(2, KERNEL, None)?,
            stride: a.get(3, STRIDE, Some(1))?,
        }),
        "Conv2d" if a.only(5, &["k", "kernel_size", "stride", "padding"]) => Some(Layer::Conv2d {
            in_channels: a.get(0, &[], None)?,
            out_channels: a.get(1, &[], None)?,
            kernel: a.get(2, KERNEL, None)?,
            stride: a.get(3, STRIDE, Some(1))?,
            padding: a.get(4, &["padding"], Some(0))?,
        }),
        "MaxPool1d" => pool(&a).map(|(kernel, stride)| Layer::MaxPool1d { kernel, stride }),
        "AvgPool1d" => pool(&a).map(|(kernel, stride)| Layer::AvgPool1d { kernel, stride }),
        "MaxPool2d" => pool(&a).map(|(kernel, stride)| Layer::MaxPool2d { kernel, stride }),
        "AvgPool2d" => pool(&a).map(|(kernel, stride)| Layer::AvgPool2d { kernel, stride }),
        _ => None,
    }
}

/// Parses `Linear(2,16) -> Tanh -> …` (or a CNN: `Conv1d(1,32,k=3) ->
/// MaxPool1d(2,2) -> Flatten -> Linear(4064,10)`) into layers, checking
/// that consecutive Linear layers chain.
///
/// # Errors
/// [`ExportError::UnknownLayer`], [`ExportError::ZeroSize`] (a width,
/// channel count, kernel or stride of 0), [`ExportError::NoLinear`]
/// (neither a Linear nor a convolution, so no width) or [`ExportError::Chain`].
pub fn parse_architecture(text: &str) -> Result<Vec<Layer>, ExportError> {
    let mut layers = Vec::new();
    let mut previous = None;
    for (index, part) in text.split("->").map(str::trim).enumerate() {
        let layer = layer(part).ok_or_else(|| ExportError::UnknownLayer {
            index,
            text: part.to_owned(),
        })?;
        if !sized(layer) {
            return Err(ExportError::ZeroSize {
                index,
                text: part.to_owned(),
            });
        }
        match layer {
            Layer::Linear { inputs, outputs } => {
                if let Some(previous) = previous.filter(|&p| p != inputs) {
                    return Err(ExportError::Chain {
                        index,
                        inputs,
                        previous,
                    });
                }
                previous = Some(outputs);
            }
            l if !l.is_elementwise() => previous = None,
            _ => {}
        }
        layers.push(layer);
    }
    let sized = |l: &Layer| matches!(l, Layer::Linear { .. } | Layer::Conv1d { .. } | Layer::Conv2d { .. });
    if !layers.iter().any(sized) {
        return Err(ExportError::NoLinear(text.to_owned()));
    }
    Ok(layers)
}
