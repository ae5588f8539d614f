//! `QNetwork`: an int8 chain with its input and output quantisation, and
//! `QFootprint`, its memory as compile-time constants.

use super::layer::QChain;
use super::params::QuantParams;
use crate::error::Error;
use core::fmt;
use core::marker::PhantomData;

/// Compile-time sizes of an int8 chain `L` (one sample at a time):
///
/// - `ACT = 2 · HIDDEN + OUT` int8 activations (two ping-pong buffers as
///   wide as the widest hidden layer, then the output),
/// - `WIDE` int16 scratch values (the widest layer input minus its zero point),
/// - `RAM = ACT + 2 · WIDE` bytes besides the input, `FLASH` bytes of parameters.
///
/// ```
/// use flambeau::{QFootprint, QLinear, QLut};
/// type Mlp<'a> = (QLinear<'a, 256, 128>, QLut<'a, 128>, QLinear<'a, 128, 64>, QLut<'a, 64>, QLinear<'a, 64, 10>);
/// assert_eq!(QFootprint::<Mlp>::RAM, 2 * 128 + 10 + 2 * 256);
/// static mut ACT: [i8; QFootprint::<Mlp>::ACT] = [0; QFootprint::<Mlp>::ACT];
/// ```
pub struct QFootprint<L>(PhantomData<L>);

impl<L: QChain> QFootprint<L> {
    /// Int8 activation values.
    pub const ACT: usize = L::ACT;
    /// Int16 scratch values.
    pub const WIDE: usize = L::WIDE;
    /// RAM bytes for activations and scratch.
    pub const RAM: usize = L::ACT + 2 * L::WIDE;
    /// Parameter bytes (weights, biases, multipliers, shifts, tables).
    pub const FLASH: usize = L::FLASH;
}

/// An int8 chain of layers `L` with the quantisation of its input and output,
/// running over caller-owned buffers ([`QFootprint`] sizes them).
pub struct QNetwork<'s, L> {
    layers: L,
    input: QuantParams,
    output: QuantParams,
    act: &'s mut [i8],
    wide: &'s mut [i16],
}

impl<'s, L: QChain> QNetwork<'s, L> {
    /// A network over `act` (at least [`QFootprint::ACT`] values) and `wide`
    /// (at least [`QFootprint::WIDE`]).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] naming the buffer and the sizes.
    pub fn new(
        layers: L,
        input: QuantParams,
        output: QuantParams,
        act: &'s mut [i8],
        wide: &'s mut [i16],
    ) -> Result<Self, Error> {
        const {
            assert!(
                L::CHAINED,
                "each layer's input size must equal the previous layer's output size"
            )
        };
        if act.len() < L::ACT {
            return Err(Error::BufferTooSmall {
                what: "int8 activations",
                needed: L::ACT,
                got: act.len(),
            });
        }
        if wide.len() < L::WIDE {
            return Err(Error::BufferTooSmall {
                what: "int16 scratch",
                needed: L::WIDE,
                got: wide.len(),
            });
        }
        let (act, _) = act.split_at_mut(L::ACT);
        Ok(QNetwork {
            layers,
            input,
            output,
            act,
            wide,
        })
    }

    /// The int8 network stored in the safetensors buffer `weights`, read in
    /// place (the file layout: [`QChainLoad`](super::QChainLoad)'s module docs,
    /// `flambeau::quant`), over `act` and `wide` as [`QNetwork::new`].
    ///
    /// # Errors
    /// [`Error::Safetensors`] for a malformed buffer or a missing, mistyped
    /// or mis-shaped tensor; the layers' checks; buffer sizes.
    pub fn from_safetensors<'a>(weights: &'a [u8], act: &'s mut [i8], wide: &'s mut [i16]) -> Result<Self, Error>
    where
        L: super::QChainLoad<'a>,
    {
        let file = crate::io::SafeTensors::parse(weights)?;
        let (layers, input, output) = L::load(&file)?;
        Self::new(layers, input, output, act, wide)
    }

    /// The input's quantisation (to quantise f32 inputs with).
    pub fn input_params(&self) -> QuantParams {
        self.input
    }

    /// The output's quantisation (to dequantise the outputs with).
    pub fn output_params(&self) -> QuantParams {
        self.output
    }

    /// Runs the network on one sample of `IN` int8 codes; returns the `OUT` output codes.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless `input` holds `IN` values.
    pub fn predict(&mut self, input: &[i8]) -> Result<&[i8], Error> {
        if input.len() != L::IN {
            return Err(Error::LengthMismatch {
                what: "int8 input",
                expected: L::IN,
                got: input.len(),
            });
        }
        Ok(self.layers.run(input, self.act, self.wide))
    }

    /// The index of the largest output code (the first on ties).
    ///
    /// # Errors
    /// As [`QNetwork::predict`].
    pub fn classify(&mut self, input: &[i8]) -> Result<usize, Error> {
        let out = self.predict(input)?;
        let best = out.iter().copied().max().unwrap_or(0);
        Ok(out.iter().position(|&v| v == best).unwrap_or(0))
    }

    /// The layers.
    pub fn layers(&self) -> &L {
        &self.layers
    }
}

impl<L: QChain> fmt::Display for QNetwork<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.layers.describe(f)
    }
}
