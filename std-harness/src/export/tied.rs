//! Tied auto-encoders in `export`: the core's three models whose decoder is
//! the encoder's weight transposed (`TiedAutoEncoder`,
//! `TiedLinearAutoEncoder`, `TiedLinearReluAutoEncoder`). They are one
//! module each, not a chain of layers, so the template gets them as a
//! `Sequential` of that one module: the same parameter names and the same
//! printed architecture.

use super::ExportError;
use flambeau::{Dtype, SafeTensors};

/// Which tied model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Tanh code, Sigmoid output.
    Tanh,
    /// Linear code, Sigmoid output.
    Linear,
    /// Linear code, ReLU output.
    LinearRelu,
}

/// A tied auto-encoder `inputs → code → inputs`, as its architecture prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tied {
    kind: Kind,
    /// Input (and output) width.
    pub inputs: usize,
    /// Code width.
    pub code: usize,
}

/// The marker the decoder prints: `Linear(K,IN, tied: 0.weight transposed)`.
const TIED: &str = "tied:0.weighttransposed";

/// `Linear(a,b)` or `Linear(a,b,<extra>)` (spaces removed): `(a, b, extra)`.
fn linear(layer: &str) -> Option<(usize, usize, &str)> {
    let inner = layer.strip_prefix("Linear(")?.strip_suffix(')')?;
    let mut parts = inner.splitn(3, ',');
    let a = parts.next()?.parse().ok()?;
    let b = parts.next()?.parse().ok()?;
    Some((a, b, parts.next().unwrap_or("")))
}

/// The tied auto-encoder `architecture` names, if it is one.
pub fn parse(architecture: &str) -> Option<Tied> {
    let compact: String = architecture.chars().filter(|c| !c.is_whitespace()).collect();
    let layers: Vec<&str> = compact.split("->").collect();
    let (encoder, code_act, decoder, output) = match layers.as_slice() {
        [e, "Tanh", d, o] => (*e, true, *d, *o),
        [e, d, o] => (*e, false, *d, *o),
        _ => return None,
    };
    let (inputs, code, "") = linear(encoder)? else {
        return None;
    };
    let (c, i, TIED) = linear(decoder)? else {
        return None;
    };
    let kind = match (code_act, output) {
        (true, "Sigmoid") => Kind::Tanh,
        (false, "Sigmoid") => Kind::Linear,
        (false, "ReLU") => Kind::LinearRelu,
        _ => return None,
    };
    (c == code && i == inputs && inputs > 0 && code > 0).then_some(Tied { kind, inputs, code })
}

impl Tied {
    /// The core type's name.
    fn type_name(self) -> &'static str {
        match self.kind {
            Kind::Tanh => "TiedAutoEncoder",
            Kind::Linear => "TiedLinearAutoEncoder",
            Kind::LinearRelu => "TiedLinearReluAutoEncoder",
        }
    }

    /// The architecture as the core prints it.
    pub fn printed(self) -> String {
        let (i, k) = (self.inputs, self.code);
        let decoder = format!("Linear({k},{i}, tied: 0.weight transposed)");
        match self.kind {
            Kind::Tanh => format!("Linear({i},{k}) -> Tanh -> {decoder} -> Sigmoid"),
            Kind::Linear => format!("Linear({i},{k}) -> {decoder} -> Sigmoid"),
            Kind::LinearRelu => format!("Linear({i},{k}) -> {decoder} -> ReLU"),
        }
    }

    /// The tensors the model reads: the shared weight, the encoder's bias, the decoder's bias.
    pub(super) fn tensors(self) -> [(&'static str, Vec<usize>); 3] {
        let decoder_bias = if self.kind == Kind::Tanh { "2.bias" } else { "1.bias" };
        [
            ("0.weight", vec![self.code, self.inputs]),
            ("0.bias", vec![self.code]),
            (decoder_bias, vec![self.inputs]),
        ]
    }

    /// Checks that `weights` holds exactly the F32 tensors the model reads.
    ///
    /// # Errors
    /// [`ExportError::Missing`], [`ExportError::Shape`] or [`ExportError::Extra`], naming the tensor.
    pub fn check(self, weights: &[u8]) -> Result<(), ExportError> {
        self.bounded()?;
        let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
        let tensors = self.tensors();
        for (index, (name, expected)) in tensors.iter().enumerate() {
            let view = st.get(name).ok_or_else(|| ExportError::Missing {
                name: (*name).to_owned(),
                index: if index == 2 { 1 } else { 0 },
                layer: self.printed(),
            })?;
            if view.dtype != Dtype::F32 || view.shape() != expected.as_slice() {
                return Err(ExportError::Shape {
                    name: (*name).to_owned(),
                    dtype: format!("{:?}", view.dtype).to_uppercase(),
                    wanted: "F32".into(),
                    got: view.shape().to_vec(),
                    expected: expected.clone(),
                });
            }
        }
        super::only_these(&st, &tensors.map(|(name, _)| name))
    }

    /// Refuses widths above [`super::chain::MAX_VALUES`] values per sample.
    ///
    /// # Errors
    /// [`ExportError::TooLarge`] naming the model.
    pub fn bounded(self) -> Result<(), ExportError> {
        let max = self.inputs.max(self.code);
        if max > super::chain::MAX_VALUES {
            return Err(ExportError::TooLarge {
                layer: self.printed(),
                values: max.to_string(),
            });
        }
        Ok(())
    }

    /// The generated `model.rs`: the model as a `Sequential` of itself alone.
    pub fn model_rs(self, tolerance: f32) -> String {
        let (name, i, k) = (self.type_name(), self.inputs, self.code);
        let architecture = self.printed();
        format!(
            "// Generated from the architecture in the model file: do not edit by hand.\n\
             use flambeau::{{Sequential, {name}}};\n\n\
             /// The architecture, as the model file's metadata states it and `Model` prints it.\n\
             pub const ARCHITECTURE: &str = {architecture:?};\n\
             /// The network as a type: a tied auto-encoder (one weight, used by the encoder and,\n\
             /// transposed, by the decoder), as a `Sequential` of one module.\n\
             pub type Model = Sequential<({name}<{i}, {k}>,)>;\n\
             /// Inputs of one sample.\npub const INPUTS: usize = {i};\n\
             /// Outputs of one sample.\npub const OUTPUTS: usize = {i};\n\
             /// Largest accepted |output − reference output| of the test vectors.\n\
             pub const TOLERANCE: f32 = {tolerance:e};\n\n\
             /// The network, its weights still to be read.\n\
             pub const fn model() -> Model {{\n    Sequential::new(({name}::new(),))\n}}\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_tied_models_parse_as_they_print() {
        for (text, kind) in [
            (
                "Linear(256,64) -> Tanh -> Linear(64,256, tied: 0.weight transposed) -> Sigmoid",
                Kind::Tanh,
            ),
            (
                "Linear(256,32) -> Linear(32,256, tied: 0.weight transposed) -> Sigmoid",
                Kind::Linear,
            ),
            (
                "Linear(256,64) -> Linear(64,256, tied: 0.weight transposed) -> ReLU",
                Kind::LinearRelu,
            ),
        ] {
            let tied = parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(tied.kind, kind);
            assert_eq!(tied.printed(), text);
        }
    }

    #[test]
    fn other_architectures_are_not_tied() {
        for text in [
            "Linear(256,64) -> Tanh -> Linear(64,256) -> Sigmoid",
            "Linear(256,64) -> Linear(32,256, tied: 0.weight transposed) -> ReLU",
            "Linear(256,64) -> Linear(64,128, tied: 0.weight transposed) -> ReLU",
            "Linear(256,64) -> Linear(64,256, tied: 0.weight transposed) -> Tanh",
            "Linear(256,64) -> ReLU -> Linear(64,256, tied: 0.weight transposed) -> Sigmoid",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
