//! `Linear<IN, OUT>`: a fully connected layer with bias, `y = x Wᵀ + b`.

use super::{Model, Module};
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::init::{Init, ParamKind};
use crate::shape::{Rank1, Rank2, Var};
use core::fmt;

/// A fully connected layer from `IN` to `OUT` features, with bias; the weight
/// is stored `[OUT][IN]` as PyTorch's `nn.Linear`.
///
/// Wiring it after a layer of another width does not compile:
///
/// ```compile_fail
/// use flambeau::{Linear, Sequential, Model};
/// fn input_of<M: Model>(_: &M) {}
/// input_of(&Sequential::new((Linear::<256, 128>::new(), Linear::<64, 10>::new())));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Linear<const IN: usize, const OUT: usize> {
    /// How the weight (and bias) are initialised.
    pub init: Init,
}

impl<const IN: usize, const OUT: usize> Linear<IN, OUT> {
    /// A layer with PyTorch's default initialisation.
    pub const fn new() -> Self {
        Linear {
            init: Init::TorchDefault,
        }
    }

    /// A layer with the given initialisation.
    pub const fn with_init(init: Init) -> Self {
        Linear { init }
    }
}

impl<const IN: usize, const OUT: usize> Module<Rank1<IN>> for Linear<IN, OUT> {
    type Output = Rank1<OUT>;
    const PARAMS: usize = OUT * IN + OUT;
    const ACTIVATIONS: usize = OUT;
    const NODES: usize = 3;
    const OPS: u64 = crate::ops::kinds::PARAM | crate::ops::kinds::LINEAR;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank1<IN>>,
    ) -> Result<Var<B, Rank1<OUT>>, Error> {
        let w = g.param::<Rank2<OUT, IN>>(ParamKind::Weight, self.init, IN, OUT)?;
        let b = g.param::<Rank1<OUT>>(ParamKind::Bias, self.init, IN, OUT)?;
        g.linear(x, w, b)
    }
}

impl<const IN: usize, const OUT: usize> Model for Linear<IN, OUT> {
    type Input = Rank1<IN>;
}

impl<const IN: usize, const OUT: usize> fmt::Display for Linear<IN, OUT> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Linear({IN},{OUT})")
    }
}

impl<const IN: usize, const OUT: usize> super::Describe for Linear<IN, OUT> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
