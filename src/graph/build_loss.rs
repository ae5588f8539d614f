//! Recording the reductions and loss terms: the ops a loss is composed of.

use super::Graph;
use crate::error::Error;
use crate::float::Float;
use crate::ops::{HuberDims, Op};
use crate::shape::{Rank0, Rank1, Scalar, Shape, Var};

impl<T: Float> Graph<'_, T> {
    /// Mean over every element of the valid rows.
    #[allow(clippy::missing_errors_doc)]
    pub fn mean<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> Result<Scalar, Error> {
        self.push_op::<Rank0>(Op::Mean, [x.id, 0, 0], 0).map(|id| Scalar { id })
    }

    /// Sum over the valid rows divided by their number (per-sample mean of a per-sample sum).
    #[allow(clippy::missing_errors_doc)]
    pub fn mean_rows<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> Result<Scalar, Error> {
        let op = Op::MeanRows { n: S::SIZE as u32 };
        self.push_op::<Rank0>(op, [x.id, 0, 0], 0).map(|id| Scalar { id })
    }

    /// Element-wise binary cross-entropy of probabilities `p` against targets `t`.
    #[allow(clippy::missing_errors_doc)]
    pub fn bce<const B: usize, S: Shape>(&mut self, p: Var<B, S>, t: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.binary(Op::Bce, p, t)
    }

    /// Element-wise binary cross-entropy of logits `z` against targets `t`.
    #[allow(clippy::missing_errors_doc)]
    pub fn bce_logits<const B: usize, S: Shape>(&mut self, z: Var<B, S>, t: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.binary(Op::BceLogits, z, t)
    }

    /// Element-wise `−t ln p`.
    #[allow(clippy::missing_errors_doc)]
    pub fn cross_entropy_prob<const B: usize, S: Shape>(
        &mut self,
        p: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Var<B, S>, Error> {
        self.binary(Op::CrossEntropyProb, p, t)
    }

    /// Per-sample `−Σ t log_softmax(z)`, fused.
    #[allow(clippy::missing_errors_doc)]
    pub fn cross_entropy_logits<const B: usize, const N: usize>(
        &mut self,
        z: Var<B, Rank1<N>>,
        t: Var<B, Rank1<N>>,
    ) -> Result<Var<B, Rank0>, Error> {
        let op = Op::CrossEntropyLogits { n: N as u32 };
        self.push_op::<Rank0>(op, [z.id, t.id, 0], B).map(Var::new)
    }

    /// Element-wise `t (ln t − x)` with `x` log-probabilities.
    #[allow(clippy::missing_errors_doc)]
    pub fn kl_div<const B: usize, S: Shape>(&mut self, x: Var<B, S>, t: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.binary(Op::KlDiv, x, t)
    }

    /// Element-wise Huber term of `y` against `t` with threshold `delta`
    /// (`smooth`: divided by `delta`, PyTorch's smooth-L1).
    #[allow(clippy::missing_errors_doc)]
    pub fn huber<const B: usize, S: Shape>(
        &mut self,
        y: Var<B, S>,
        t: Var<B, S>,
        delta: f32,
        smooth: bool,
    ) -> Result<Var<B, S>, Error> {
        let h = HuberDims {
            delta_bits: delta.to_bits(),
            smooth,
        };
        self.binary(Op::Huber(h), y, t)
    }

    /// Per-sample multi-class hinge of scores `x` against (one-hot) targets `t`.
    #[allow(clippy::missing_errors_doc)]
    pub fn multi_margin<const B: usize, const N: usize>(
        &mut self,
        x: Var<B, Rank1<N>>,
        t: Var<B, Rank1<N>>,
    ) -> Result<Var<B, Rank0>, Error> {
        let op = Op::MultiMargin { n: N as u32 };
        self.push_op::<Rank0>(op, [x.id, t.id, 0], B).map(Var::new)
    }
}
