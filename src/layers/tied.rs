//! `TiedAutoEncoder<IN, K>`: an auto-encoder whose decoder uses the
//! transpose of the encoder's weight.

use super::{Model, Module};
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::init::{Init, ParamKind};
use crate::shape::{Rank1, Rank2, Var};
use core::fmt;

/// `x → Tanh(x Wᵀ + b₀) → Sigmoid(h W + b₂)`: an encoder `Linear(IN, K)` and
/// a decoder through the same weight `W` (`[K][IN]`) with its own bias, so
/// the tape holds one weight matrix used twice and its gradient collects
/// both uses. Parameters are named as in a `Sequential` of
/// `Linear, Tanh, decoder, Sigmoid`: `"0.weight"`, `"0.bias"`, `"2.bias"`.
///
/// Host and microcontroller may differ in the last bit of the shared
/// weight's gradient: the encoder's contribution is added to the decoder's
/// by the matrix kernel, whose tiled and plain forms agree only on
/// gradients that start at zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TiedAutoEncoder<const IN: usize, const K: usize> {
    /// How the weight and biases are initialised.
    pub init: Init,
}

impl<const IN: usize, const K: usize> TiedAutoEncoder<IN, K> {
    /// An auto-encoder with PyTorch's default initialisation.
    pub const fn new() -> Self {
        TiedAutoEncoder {
            init: Init::TorchDefault,
        }
    }

    /// An auto-encoder with the given initialisation.
    pub const fn with_init(init: Init) -> Self {
        TiedAutoEncoder { init }
    }
}

impl<const IN: usize, const K: usize> Module<Rank1<IN>> for TiedAutoEncoder<IN, K> {
    type Output = Rank1<IN>;
    const PARAMS: usize = K * IN + K + IN;
    const ACTIVATIONS: usize = 2 * K + 2 * IN;
    const NODES: usize = 7;
    const LAYERS: usize = 4;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank1<IN>>,
    ) -> Result<Var<B, Rank1<IN>>, Error> {
        let first = g.layer();
        let w = g.param::<Rank2<K, IN>>(ParamKind::Weight, self.init, IN, K)?;
        let b0 = g.param::<Rank1<K>>(ParamKind::Bias, self.init, IN, K)?;
        let h = g.linear(x, w, b0)?;
        let h = g.tanh(h)?;
        g.set_layer(first + 2);
        let b2 = g.param::<Rank1<IN>>(ParamKind::Bias, self.init, K, IN)?;
        let y = g.linear_t(h, w, b2)?;
        g.set_layer(first);
        g.sigmoid(y)
    }
}

impl<const IN: usize, const K: usize> Model for TiedAutoEncoder<IN, K> {
    type Input = Rank1<IN>;
}

impl<const IN: usize, const K: usize> fmt::Display for TiedAutoEncoder<IN, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Linear({IN},{K}) -> Tanh -> Linear({K},{IN}, tied: 0.weight transposed) -> Sigmoid"
        )
    }
}

impl<const IN: usize, const K: usize> super::Describe for TiedAutoEncoder<IN, K> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `x → x Wᵀ + b₀ → Sigmoid(h W + b₂)`: [`TiedAutoEncoder`] with a linear
/// code. With no squashing of the code, the shared weight's scale is free:
/// the decoder can make the large logits that put reconstructed pixels near
/// 0 and 1, which a Tanh code bounded by 1 cannot through the same weight.
/// Parameters are named as in a `Sequential` of `Linear, decoder, Sigmoid`:
/// `"0.weight"`, `"0.bias"`, `"1.bias"`. Same bits caveat as
/// [`TiedAutoEncoder`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TiedLinearAutoEncoder<const IN: usize, const K: usize> {
    /// How the weight and biases are initialised.
    pub init: Init,
}

impl<const IN: usize, const K: usize> TiedLinearAutoEncoder<IN, K> {
    /// An auto-encoder with PyTorch's default initialisation.
    pub const fn new() -> Self {
        TiedLinearAutoEncoder {
            init: Init::TorchDefault,
        }
    }

    /// An auto-encoder with the given initialisation.
    pub const fn with_init(init: Init) -> Self {
        TiedLinearAutoEncoder { init }
    }
}

impl<const IN: usize, const K: usize> Module<Rank1<IN>> for TiedLinearAutoEncoder<IN, K> {
    type Output = Rank1<IN>;
    const PARAMS: usize = K * IN + K + IN;
    const ACTIVATIONS: usize = K + 2 * IN;
    const NODES: usize = 6;
    const LAYERS: usize = 3;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank1<IN>>,
    ) -> Result<Var<B, Rank1<IN>>, Error> {
        let first = g.layer();
        let w = g.param::<Rank2<K, IN>>(ParamKind::Weight, self.init, IN, K)?;
        let b0 = g.param::<Rank1<K>>(ParamKind::Bias, self.init, IN, K)?;
        let h = g.linear(x, w, b0)?;
        g.set_layer(first + 1);
        let b1 = g.param::<Rank1<IN>>(ParamKind::Bias, self.init, K, IN)?;
        let y = g.linear_t(h, w, b1)?;
        g.set_layer(first);
        g.sigmoid(y)
    }
}

impl<const IN: usize, const K: usize> Model for TiedLinearAutoEncoder<IN, K> {
    type Input = Rank1<IN>;
}

impl<const IN: usize, const K: usize> fmt::Display for TiedLinearAutoEncoder<IN, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Linear({IN},{K}) -> Linear({K},{IN}, tied: 0.weight transposed) -> Sigmoid"
        )
    }
}

impl<const IN: usize, const K: usize> super::Describe for TiedLinearAutoEncoder<IN, K> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `x → x Wᵀ + b₀ → ReLU(h W + b₁)`: [`TiedLinearAutoEncoder`] with a ReLU
/// output instead of a sigmoid. The sigmoid makes every reconstruction
/// `σ(x A + c)` with `A = WᵀW` of rank `K`, a model of a pixel's logit
/// rather than of the pixel: exact on pixels at 0 and 1, but it bends the
/// grey ones, and at large `K` that costs more than the saturation gains.
/// The ReLU output keeps PCA's linear reconstruction `mean + (x − mean) UᵀU`
/// within reach (`W = U`, `b₀ = −U mean`, `b₁ = mean`) and only clips its
/// negative pixels, which a target in `[0, 1]` never has. Parameters are
/// named as in a `Sequential` of `Linear, decoder, ReLU`: `"0.weight"`,
/// `"0.bias"`, `"1.bias"`. Same bits caveat as [`TiedAutoEncoder`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TiedLinearReluAutoEncoder<const IN: usize, const K: usize> {
    /// How the weight and biases are initialised.
    pub init: Init,
}

impl<const IN: usize, const K: usize> TiedLinearReluAutoEncoder<IN, K> {
    /// An auto-encoder with PyTorch's default initialisation.
    pub const fn new() -> Self {
        TiedLinearReluAutoEncoder {
            init: Init::TorchDefault,
        }
    }

    /// An auto-encoder with the given initialisation.
    pub const fn with_init(init: Init) -> Self {
        TiedLinearReluAutoEncoder { init }
    }
}

impl<const IN: usize, const K: usize> Module<Rank1<IN>> for TiedLinearReluAutoEncoder<IN, K> {
    type Output = Rank1<IN>;
    const PARAMS: usize = K * IN + K + IN;
    const ACTIVATIONS: usize = K + 2 * IN;
    const NODES: usize = 6;
    const LAYERS: usize = 3;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank1<IN>>,
    ) -> Result<Var<B, Rank1<IN>>, Error> {
        let first = g.layer();
        let w = g.param::<Rank2<K, IN>>(ParamKind::Weight, self.init, IN, K)?;
        let b0 = g.param::<Rank1<K>>(ParamKind::Bias, self.init, IN, K)?;
        let h = g.linear(x, w, b0)?;
        g.set_layer(first + 1);
        let b1 = g.param::<Rank1<IN>>(ParamKind::Bias, self.init, K, IN)?;
        let y = g.linear_t(h, w, b1)?;
        g.set_layer(first);
        g.relu(y)
    }
}

impl<const IN: usize, const K: usize> Model for TiedLinearReluAutoEncoder<IN, K> {
    type Input = Rank1<IN>;
}

impl<const IN: usize, const K: usize> fmt::Display for TiedLinearReluAutoEncoder<IN, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Linear({IN},{K}) -> Linear({K},{IN}, tied: 0.weight transposed) -> ReLU"
        )
    }
}

impl<const IN: usize, const K: usize> super::Describe for TiedLinearReluAutoEncoder<IN, K> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
