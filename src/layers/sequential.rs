//! `Sequential`: a chain of layers, each fed the previous one's output.
//!
//! A chain is a tuple of layers; the compiler checks that each layer accepts
//! the previous one's output shape. It prints itself in the report's
//! notation: `Linear(256,128) -> Tanh -> Linear(128,10)`.

use super::{Describe, Model, Module};
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Shape, Var};
use core::fmt;

/// A chain of layers; parameters are named by position as in PyTorch's
/// `nn.Sequential` (`"0.weight"`, `"2.bias"`, …), activations counting.
///
/// ```
/// use flambeau::{Linear, Sequential, Tanh};
/// let mlp = Sequential::new((Linear::<256, 128>::new(), Tanh, Linear::<128, 10>::new()));
/// assert_eq!(mlp.to_string(), "Linear(256,128) -> Tanh -> Linear(128,10)");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sequential<L>(pub L);

impl<L> Sequential<L> {
    /// Wraps a tuple of layers.
    pub const fn new(layers: L) -> Self {
        Sequential(layers)
    }
}

impl<In: Shape, L: Module<In>> Module<In> for Sequential<L> {
    type Output = L::Output;
    const PARAMS: usize = L::PARAMS;
    const ACTIVATIONS: usize = L::ACTIVATIONS;
    const NODES: usize = L::NODES;
    const LAYERS: usize = L::LAYERS;
    const OPS: u64 = L::OPS;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, In>,
    ) -> Result<Var<B, Self::Output>, Error> {
        self.0.build(g, x)
    }
}

impl<L: Model> Model for Sequential<L> {
    type Input = L::Input;
}

impl<L: Describe> fmt::Display for Sequential<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

impl<L: Describe> Describe for Sequential<L> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

/// Implements `Module`, `Model` and `Display` for one tuple length: element
/// `i` maps shape `S_i` to `S_{i+1}`.
macro_rules! tuple_module {
    ($( ($A:ident, $Sin:ident, $Sout:ident, $i:tt) ),+ ; $First:ident, $Last:ident) => {
        impl<$($Sin: Shape,)+ $Last: Shape, $($A),+> Module<$First> for ($($A,)+)
        where
            $($A: Module<$Sin, Output = $Sout>,)+
        {
            type Output = $Last;
            const PARAMS: usize = 0 $(+ <$A as Module<$Sin>>::PARAMS)+;
            const ACTIVATIONS: usize = 0 $(+ <$A as Module<$Sin>>::ACTIVATIONS)+;
            const NODES: usize = 0 $(+ <$A as Module<$Sin>>::NODES)+;
            const LAYERS: usize = 0 $(+ <$A as Module<$Sin>>::LAYERS)+;
            const OPS: u64 = 0 $(| <$A as Module<$Sin>>::OPS)+;

            fn build<T: Float, const B: usize>(&self, g: &mut Graph<'_, T>, x: Var<B, $First>) -> Result<Var<B, $Last>, Error> {
                let mut position = g.layer();
                $(
                    g.set_layer(position);
                    let x = self.$i.build(g, x)?;
                    position += <$A as Module<$Sin>>::LAYERS;
                )+
                g.set_layer(position);
                Ok(x)
            }
        }

        impl<$($A: Describe),+> Describe for ($($A,)+) {
            fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                $(
                    if $i > 0 {
                        f.write_str(" -> ")?;
                    }
                    self.$i.describe(f)?;
                )+
                Ok(())
            }
        }
    };
}

/// Implements `Model` for tuples whose first layer fixes the input shape.
macro_rules! tuple_model {
    ($A0:ident $(, $A:ident)*) => {
        impl<$A0: Model, $($A),*> Model for ($A0, $($A,)*)
        where
            ($A0, $($A,)*): Module<<$A0 as Model>::Input>,
        {
            type Input = <$A0 as Model>::Input;
        }
    };
}

tuple_module!((A0, S0, S1, 0); S0, S1);
tuple_module!((A0, S0, S1, 0), (A1, S1, S2, 1); S0, S2);
tuple_module!((A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2); S0, S3);
tuple_module!((A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3); S0, S4);
tuple_module!((A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4); S0, S5);
tuple_module!((A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4), (A5, S5, S6, 5); S0, S6);
tuple_module!(
    (A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4), (A5, S5, S6, 5), (A6, S6, S7, 6);
    S0, S7
);
tuple_module!(
    (A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4), (A5, S5, S6, 5), (A6, S6, S7, 6),
    (A7, S7, S8, 7);
    S0, S8
);
tuple_module!(
    (A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4), (A5, S5, S6, 5), (A6, S6, S7, 6),
    (A7, S7, S8, 7), (A8, S8, S9, 8);
    S0, S9
);
tuple_module!(
    (A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4), (A5, S5, S6, 5), (A6, S6, S7, 6),
    (A7, S7, S8, 7), (A8, S8, S9, 8), (A9, S9, S10, 9);
    S0, S10
);
tuple_module!(
    (A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4), (A5, S5, S6, 5), (A6, S6, S7, 6),
    (A7, S7, S8, 7), (A8, S8, S9, 8), (A9, S9, S10, 9), (A10, S10, S11, 10);
    S0, S11
);
tuple_module!(
    (A0, S0, S1, 0), (A1, S1, S2, 1), (A2, S2, S3, 2), (A3, S3, S4, 3), (A4, S4, S5, 4), (A5, S5, S6, 5), (A6, S6, S7, 6),
    (A7, S7, S8, 7), (A8, S8, S9, 8), (A9, S9, S10, 9), (A10, S10, S11, 10), (A11, S11, S12, 11);
    S0, S12
);

tuple_model!(A0);
tuple_model!(A0, A1);
tuple_model!(A0, A1, A2);
tuple_model!(A0, A1, A2, A3);
tuple_model!(A0, A1, A2, A3, A4);
tuple_model!(A0, A1, A2, A3, A4, A5);
tuple_model!(A0, A1, A2, A3, A4, A5, A6);
tuple_model!(A0, A1, A2, A3, A4, A5, A6, A7);
tuple_model!(A0, A1, A2, A3, A4, A5, A6, A7, A8);
tuple_model!(A0, A1, A2, A3, A4, A5, A6, A7, A8, A9);
tuple_model!(A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
tuple_model!(A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
