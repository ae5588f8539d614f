//! `Dropout`: inverted dropout of probability `p`, any shape.
//!
//! In training mode each forward pass zeroes each element with probability
//! `p` and scales the others by `1 / (1 − p)`; in evaluation mode (and in an
//! inference-only graph, which records nothing for it) it is the identity.
//! The masks come from the graph's seeded generator
//! ([`Graph::seed_dropout`]); the trainer's caller switches modes with
//! [`Graph::set_training`]. It has no parameters but takes a position in a
//! `Sequential`, as in PyTorch, so the layers after it keep PyTorch's
//! `state_dict` names (`Linear, Tanh, Dropout, Linear` → `0.weight`, `3.weight`).

use super::Module;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::ops::dropout::MAX_P;
use crate::shape::{Shape, Var};
use core::fmt;

/// Inverted dropout; see the module documentation.
///
/// ```
/// use flambeau::{Dropout, Linear, Sequential, Tanh};
/// let net = Sequential::new((Linear::<4, 8>::new(), Tanh, Dropout::new(0.2)?, Linear::<8, 2>::new()));
/// assert_eq!(net.to_string(), "Linear(4,8) -> Tanh -> Dropout(p=0.2) -> Linear(8,2)");
/// # Ok::<(), flambeau::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    p: f32,
}

impl Dropout {
    /// Dropout of probability `p`, in `[0, MAX_P]` (0.99).
    ///
    /// # Errors
    /// [`Error::DropoutRate`] for a `p` outside that range or NaN.
    pub fn new(p: f32) -> Result<Self, Error> {
        if (0.0..=MAX_P).contains(&p) {
            Ok(Dropout { p })
        } else {
            Err(Error::DropoutRate { bits: p.to_bits() })
        }
    }

    /// The dropout probability.
    pub fn p(&self) -> f32 {
        self.p
    }
}

impl Default for Dropout {
    /// PyTorch's default, `p = 0.5`.
    fn default() -> Self {
        Dropout { p: 0.5 }
    }
}

impl<S: Shape> Module<S> for Dropout {
    type Output = S;
    const PARAMS: usize = 0;
    /// The mask and the output (nothing in an inference-only graph, which
    /// footprints still count).
    const ACTIVATIONS: usize = 2 * S::SIZE;
    const NODES: usize = 2;
    const OPS: u64 = crate::ops::kinds::DROPOUT_MASK | crate::ops::kinds::DROPOUT;

    fn build<T: Float, const B: usize>(&self, g: &mut Graph<'_, T>, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        g.dropout(x, self.p)
    }
}

impl fmt::Display for Dropout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dropout(p={})", self.p)
    }
}

super::describe_by_display!(Dropout);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Footprint, InferenceFootprint, Linear, MseLoss, Network, Node, Rng, Sequential, Trainer};

    type Net = Sequential<(Linear<4, 6>, Dropout, Linear<6, 2>)>;

    fn net(p: f32) -> Net {
        Sequential::new((Linear::new(), Dropout::new(p).unwrap(), Linear::new()))
    }

    #[test]
    fn bad_rates_are_errors() {
        for p in [-0.1, 0.995, 1.0, f32::NAN] {
            let err = Dropout::new(p).unwrap_err();
            assert_eq!(err, Error::DropoutRate { bits: p.to_bits() });
        }
        assert_eq!(Dropout::new(0.0).unwrap().p(), 0.0);
    }

    #[test]
    fn training_drops_and_evaluation_does_not() {
        type Fp = Footprint<Net, MseLoss, 8>;
        let mut tape = [Node::EMPTY; Fp::NODES];
        let mut arena = [0.0f32; Fp::ARENA];
        let mut t = Trainer::<f32, Net, MseLoss, 8>::new(net(0.5), MseLoss, &mut tape, &mut arena).unwrap();
        t.init(&mut Rng::new(1));
        let x = [0.5f32; 32];
        assert!(t.graph().is_training());
        let a = t.predict(&x).unwrap().to_vec();
        let b = t.predict(&x).unwrap().to_vec();
        assert_ne!(a, b, "two training passes draw two masks");
        t.graph_mut().set_training(false);
        let c = t.predict(&x).unwrap().to_vec();
        assert_eq!(c, t.predict(&x).unwrap().to_vec());
        // Seeding repeats the masks.
        t.graph_mut().set_training(true);
        t.graph_mut().seed_dropout(9);
        let d = t.predict(&x).unwrap().to_vec();
        t.graph_mut().seed_dropout(9);
        assert_eq!(d, t.predict(&x).unwrap().to_vec());
        // Parameters keep PyTorch's names: the second Linear is layer 2.
        let mut names = t.graph().param_tensors().map(|(_, p, _)| p.layer);
        assert!(names.by_ref().take(2).all(|l| l == 0));
        assert!(names.by_ref().take(2).all(|l| l == 2));
        assert_eq!(names.next(), None);
    }

    #[test]
    fn an_inference_graph_records_no_dropout() {
        type Fp = InferenceFootprint<Net, 2>;
        let mut tape = [Node::EMPTY; Fp::NODES];
        let mut arena = [0.0f32; Fp::ARENA];
        let model = net(0.9);
        let net = Network::<f32, Net, 2>::new(&model, &mut tape, &mut arena).unwrap();
        let ops: usize = net
            .graph()
            .nodes()
            .iter()
            .filter(|n| n.op().name().starts_with("dropout"))
            .count();
        assert_eq!(ops, 0);
        assert_eq!(net.graph().param_tensors().map(|(_, p, _)| p.layer).last(), Some(2));
    }
}
