//! The ops a tape can hold. Each file holds one op's forward rule, its local
//! derivative and its numerics; this module only names them and dispatches.
//!
//! An op sees exactly the slices it works on: the tape trims batched tensors
//! to the valid rows of the current batch, saturates what an op writes
//! ([`Float::saturate`]) and accumulates gradients, so ops hold no
//! bookkeeping (except the one-pass weight gradient of [`finishes`]).

pub(crate) mod add;
pub(crate) mod avg_pool1d;
pub(crate) mod avg_pool2d;
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx",
    any(not(feature = "fma"), target_feature = "fma")
))]
pub(crate) mod avx;
pub(crate) mod bce;
pub(crate) mod conv1d;
pub(crate) mod conv2d;
pub(crate) mod cross_entropy;
pub(crate) mod dropout;
pub(crate) mod gemm;
pub(crate) mod huber;
pub(crate) mod kernel;
pub(crate) mod kl_div;
pub(crate) mod linear;
pub(crate) mod linear_t;
pub(crate) mod log_softmax;
pub(crate) mod max_pool1d;
pub(crate) mod max_pool2d;
pub(crate) mod mean;
pub(crate) mod mul;
pub(crate) mod multi_margin;
pub(crate) mod regs;
pub(crate) mod relu;
pub(crate) mod sigmoid;
pub(crate) mod softmax;
pub(crate) mod square;
pub(crate) mod src;
pub(crate) mod sub;
pub(crate) mod tanh;

use crate::float::Float;
use crate::init::{Init, ParamKind};
use core::fmt;

pub(crate) use conv1d::Conv1dDims;
pub(crate) use conv2d::Conv2dDims;
pub(crate) use gemm::TILED;
pub(crate) use huber::HuberDims;
pub(crate) use max_pool1d::Pool1dDims;
pub(crate) use max_pool2d::Pool2dDims;
pub(crate) use src::Src;

/// Where a parameter comes from and how it is initialised and named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// Index of the layer in its `Sequential` (the `"2"` of `"2.weight"`).
    pub layer: u16,
    /// Weight or bias.
    pub kind: ParamKind,
    /// Initialisation scheme.
    pub init: Init,
    /// Fan-in used by the scheme.
    pub fan_in: u32,
    /// Fan-out used by the scheme.
    pub fan_out: u32,
}

/// One operation on the tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A batch written by the caller.
    Input,
    /// A trainable tensor.
    Param(ParamInfo),
    /// `y = x Wᵀ + b` over rows of `inp` features.
    Linear {
        /// Input features.
        inp: u32,
        /// Output features.
        out: u32,
    },
    /// 1-D convolution, PyTorch layout.
    Conv1d(Conv1dDims),
    /// 1-D max pooling.
    MaxPool1d(Pool1dDims),
    /// Element-wise `tanh`.
    Tanh,
    /// Element-wise logistic sigmoid.
    Sigmoid,
    /// Element-wise `max(x, 0)`.
    Relu,
    /// Softmax over rows of `n`.
    Softmax {
        /// Row length.
        n: u32,
    },
    /// Log-softmax over rows of `n`.
    LogSoftmax {
        /// Row length.
        n: u32,
    },
    /// Element-wise `a + b`.
    Add,
    /// Element-wise `a - b`.
    Sub,
    /// Element-wise `a * b`.
    Mul,
    /// Element-wise `x²`.
    Square,
    /// Mean of all valid elements (a scalar).
    Mean,
    /// Sum of all valid elements divided by the number of valid rows of `n` (a scalar).
    MeanRows {
        /// Row length.
        n: u32,
    },
    /// Element-wise binary cross-entropy on probabilities `p` with targets `t`.
    Bce,
    /// Element-wise binary cross-entropy on logits, fused for stability.
    BceLogits,
    /// Element-wise `-t ln p` (cross-entropy on probabilities).
    CrossEntropyProb,
    /// Per-row `-Σ t log_softmax(z)` over rows of `n`, fused for stability.
    CrossEntropyLogits {
        /// Row length (classes).
        n: u32,
    },
    /// Element-wise `t (ln t - x)` with `x` log-probabilities (PyTorch's `KLDivLoss`).
    KlDiv,
    /// 2-D convolution, PyTorch layout, with stride and zero padding.
    Conv2d(Conv2dDims),
    /// 2-D max pooling.
    MaxPool2d(Pool2dDims),
    /// 2-D average pooling.
    AvgPool2d(Pool2dDims),
    /// 1-D average pooling.
    AvgPool1d(Pool1dDims),
    /// Element-wise Huber or smooth-L1 term of outputs against targets.
    Huber(HuberDims),
    /// Per-row multi-class hinge over rows of `n` (PyTorch's `MultiMarginLoss`).
    MultiMargin {
        /// Row length (classes).
        n: u32,
    },
    /// `y = x W + b` with `W` stored `[inp][out]`: a tied decoder's transposed weight.
    LinearT {
        /// Input features.
        inp: u32,
        /// Output features.
        out: u32,
    },
    /// A dropout mask, written by the forward replay (see [`Op::Dropout`]).
    DropoutMask,
    /// Inverted dropout: `y = x ⊙ mask` (input 1 is the mask).
    Dropout {
        /// The dropout probability's `f32::to_bits`.
        p_bits: u32,
    },
}

impl Op {
    /// This op's kind, as a bit of an op set (the crate's `ops::kinds`).
    pub const fn kind(&self) -> u64 {
        match self {
            Op::Input => kinds::INPUT,
            Op::Param(_) => kinds::PARAM,
            Op::Linear { .. } => kinds::LINEAR,
            Op::Conv1d(_) => kinds::CONV1D,
            Op::MaxPool1d(_) => kinds::MAX_POOL1D,
            Op::Tanh => kinds::TANH,
            Op::Sigmoid => kinds::SIGMOID,
            Op::Relu => kinds::RELU,
            Op::Softmax { .. } => kinds::SOFTMAX,
            Op::LogSoftmax { .. } => kinds::LOG_SOFTMAX,
            Op::Add => kinds::ADD,
            Op::Sub => kinds::SUB,
            Op::Mul => kinds::MUL,
            Op::Square => kinds::SQUARE,
            Op::Mean => kinds::MEAN,
            Op::MeanRows { .. } => kinds::MEAN_ROWS,
            Op::Bce => kinds::BCE,
            Op::BceLogits => kinds::BCE_LOGITS,
            Op::CrossEntropyProb => kinds::CROSS_ENTROPY_PROB,
            Op::CrossEntropyLogits { .. } => kinds::CROSS_ENTROPY_LOGITS,
            Op::KlDiv => kinds::KL_DIV,
            Op::Conv2d(_) => kinds::CONV2D,
            Op::MaxPool2d(_) => kinds::MAX_POOL2D,
            Op::AvgPool2d(_) => kinds::AVG_POOL2D,
            Op::AvgPool1d(_) => kinds::AVG_POOL1D,
            Op::Huber(_) => kinds::HUBER,
            Op::MultiMargin { .. } => kinds::MULTI_MARGIN,
            Op::LinearT { .. } => kinds::LINEAR_T,
            Op::DropoutMask => kinds::DROPOUT_MASK,
            Op::Dropout { .. } => kinds::DROPOUT,
        }
    }

    /// How many inputs the op reads.
    pub(crate) const fn arity(&self) -> usize {
        match self {
            Op::Input | Op::Param(_) | Op::DropoutMask => 0,
            Op::Linear { .. } | Op::LinearT { .. } | Op::Conv1d(_) | Op::Conv2d(_) => 3,
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Bce
            | Op::BceLogits
            | Op::CrossEntropyProb
            | Op::CrossEntropyLogits { .. }
            | Op::KlDiv
            | Op::Huber(_)
            | Op::MultiMargin { .. }
            | Op::Dropout { .. } => 2,
            _ => 1,
        }
    }

    /// The op's name in a tape listing.
    pub const fn name(&self) -> &'static str {
        match self {
            Op::Input => "input",
            Op::Param(_) => "param",
            Op::Linear { .. } => "linear",
            Op::Conv1d(_) => "conv1d",
            Op::MaxPool1d(_) => "max_pool1d",
            Op::Tanh => "tanh",
            Op::Sigmoid => "sigmoid",
            Op::Relu => "relu",
            Op::Softmax { .. } => "softmax",
            Op::LogSoftmax { .. } => "log_softmax",
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Square => "square",
            Op::Mean => "mean",
            Op::MeanRows { .. } => "mean_rows",
            Op::Bce => "bce",
            Op::BceLogits => "bce_logits",
            Op::CrossEntropyProb => "cross_entropy_prob",
            Op::CrossEntropyLogits { .. } => "cross_entropy_logits",
            Op::KlDiv => "kl_div",
            Op::Conv2d(_) => "conv2d",
            Op::MaxPool2d(_) => "max_pool2d",
            Op::AvgPool2d(_) => "avg_pool2d",
            Op::AvgPool1d(_) => "avg_pool1d",
            Op::Huber(_) => "huber",
            Op::MultiMargin { .. } => "multi_margin",
            Op::LinearT { .. } => "linear_t",
            Op::DropoutMask => "dropout_mask",
            Op::Dropout { .. } => "dropout",
        }
    }
}

/// Op sets: one bit per kind of op, so that a network links the forward
/// code of the ops its layers record and no other (see [`forward_in`]).
pub mod kinds {
    /// [`Op::Input`](super::Op::Input).
    pub const INPUT: u64 = 1 << 0;
    /// [`Op::Param`](super::Op::Param).
    pub const PARAM: u64 = 1 << 1;
    /// [`Op::Linear`](super::Op::Linear).
    pub const LINEAR: u64 = 1 << 2;
    /// [`Op::Conv1d`](super::Op::Conv1d).
    pub const CONV1D: u64 = 1 << 3;
    /// [`Op::MaxPool1d`](super::Op::MaxPool1d).
    pub const MAX_POOL1D: u64 = 1 << 4;
    /// [`Op::Tanh`](super::Op::Tanh).
    pub const TANH: u64 = 1 << 5;
    /// [`Op::Sigmoid`](super::Op::Sigmoid).
    pub const SIGMOID: u64 = 1 << 6;
    /// [`Op::Relu`](super::Op::Relu).
    pub const RELU: u64 = 1 << 7;
    /// [`Op::Softmax`](super::Op::Softmax).
    pub const SOFTMAX: u64 = 1 << 8;
    /// [`Op::LogSoftmax`](super::Op::LogSoftmax).
    pub const LOG_SOFTMAX: u64 = 1 << 9;
    /// [`Op::Add`](super::Op::Add).
    pub const ADD: u64 = 1 << 10;
    /// [`Op::Sub`](super::Op::Sub).
    pub const SUB: u64 = 1 << 11;
    /// [`Op::Mul`](super::Op::Mul).
    pub const MUL: u64 = 1 << 12;
    /// [`Op::Square`](super::Op::Square).
    pub const SQUARE: u64 = 1 << 13;
    /// [`Op::Mean`](super::Op::Mean).
    pub const MEAN: u64 = 1 << 14;
    /// [`Op::MeanRows`](super::Op::MeanRows).
    pub const MEAN_ROWS: u64 = 1 << 15;
    /// [`Op::Bce`](super::Op::Bce).
    pub const BCE: u64 = 1 << 16;
    /// [`Op::BceLogits`](super::Op::BceLogits).
    pub const BCE_LOGITS: u64 = 1 << 17;
    /// [`Op::CrossEntropyProb`](super::Op::CrossEntropyProb).
    pub const CROSS_ENTROPY_PROB: u64 = 1 << 18;
    /// [`Op::CrossEntropyLogits`](super::Op::CrossEntropyLogits).
    pub const CROSS_ENTROPY_LOGITS: u64 = 1 << 19;
    /// [`Op::KlDiv`](super::Op::KlDiv).
    pub const KL_DIV: u64 = 1 << 20;
    /// [`Op::Conv2d`](super::Op::Conv2d).
    pub const CONV2D: u64 = 1 << 21;
    /// [`Op::MaxPool2d`](super::Op::MaxPool2d).
    pub const MAX_POOL2D: u64 = 1 << 22;
    /// [`Op::AvgPool2d`](super::Op::AvgPool2d).
    pub const AVG_POOL2D: u64 = 1 << 23;
    /// [`Op::AvgPool1d`](super::Op::AvgPool1d).
    pub const AVG_POOL1D: u64 = 1 << 24;
    /// [`Op::Huber`](super::Op::Huber).
    pub const HUBER: u64 = 1 << 25;
    /// [`Op::MultiMargin`](super::Op::MultiMargin).
    pub const MULTI_MARGIN: u64 = 1 << 26;
    /// [`Op::LinearT`](super::Op::LinearT).
    pub const LINEAR_T: u64 = 1 << 27;
    /// [`Op::DropoutMask`](super::Op::DropoutMask).
    pub const DROPOUT_MASK: u64 = 1 << 28;
    /// [`Op::Dropout`](super::Op::Dropout).
    pub const DROPOUT: u64 = 1 << 29;
    /// Every kind: the set of a layer that does not declare its own.
    pub const ALL: u64 = u64::MAX;
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of op kinds, known at compile time (a bit of [`kinds`] each).
pub(crate) trait OpSet {
    /// The kinds in the set.
    const OPS: u64;
}

/// Every op.
pub(crate) struct AllOps;

impl OpSet for AllOps {
    const OPS: u64 = kinds::ALL;
}

/// Runs an op of the set `S` forward: `out` receives the result computed
/// from `ins`. Ops outside the set are not run. The set is a constant of each instance, so the code of the
/// ops outside it is never linked: a network whose layers record a Linear
/// and a Tanh links those two and no convolution. (The caller checks that
/// its tape holds no op outside the set.)
pub(crate) fn forward_in<T: Float, S: OpSet>(op: &Op, ins: [Src<'_, T>; 3], out: &mut [T]) {
    let [sa, sb, sc] = ins;
    let (a, b) = (sa.vals(), sb.vals());
    match *op {
        Op::Input | Op::Param(_) | Op::DropoutMask => {}
        Op::Dropout { .. } if S::OPS & kinds::DROPOUT != 0 => dropout::forward(a, b, out),
        Op::Linear { inp, out: n_out } if S::OPS & kinds::LINEAR != 0 => {
            linear::forward(a, sb, sc, out, inp as usize, n_out as usize)
        }
        Op::Conv1d(d) if S::OPS & kinds::CONV1D != 0 => conv1d::forward(&d, a, sb, sc, out),
        Op::MaxPool1d(d) if S::OPS & kinds::MAX_POOL1D != 0 => max_pool1d::forward(&d, a, out),
        Op::Tanh if S::OPS & kinds::TANH != 0 => tanh::forward(a, out),
        Op::Sigmoid if S::OPS & kinds::SIGMOID != 0 => sigmoid::forward(a, out),
        Op::Relu if S::OPS & kinds::RELU != 0 => relu::forward(a, out),
        Op::Softmax { n } if S::OPS & kinds::SOFTMAX != 0 => softmax::forward(a, out, n as usize),
        Op::LogSoftmax { n } if S::OPS & kinds::LOG_SOFTMAX != 0 => log_softmax::forward(a, out, n as usize),
        Op::Add if S::OPS & kinds::ADD != 0 => add::forward(a, b, out),
        Op::Sub if S::OPS & kinds::SUB != 0 => sub::forward(a, b, out),
        Op::Mul if S::OPS & kinds::MUL != 0 => mul::forward(a, b, out),
        Op::Square if S::OPS & kinds::SQUARE != 0 => square::forward(a, out),
        Op::Mean if S::OPS & kinds::MEAN != 0 => mean::forward(a, out),
        Op::MeanRows { n } if S::OPS & kinds::MEAN_ROWS != 0 => mean::forward_rows(a, out, n as usize),
        Op::Bce if S::OPS & kinds::BCE != 0 => bce::forward(a, b, out),
        Op::BceLogits if S::OPS & kinds::BCE_LOGITS != 0 => bce::forward_logits(a, b, out),
        Op::CrossEntropyProb if S::OPS & kinds::CROSS_ENTROPY_PROB != 0 => cross_entropy::forward_prob(a, b, out),
        Op::CrossEntropyLogits { n } if S::OPS & kinds::CROSS_ENTROPY_LOGITS != 0 => {
            cross_entropy::forward_logits(a, b, out, n as usize)
        }
        Op::KlDiv if S::OPS & kinds::KL_DIV != 0 => kl_div::forward(a, b, out),
        Op::Conv2d(d) if S::OPS & kinds::CONV2D != 0 => conv2d::forward(&d, a, sb, sc, out),
        Op::MaxPool2d(d) if S::OPS & kinds::MAX_POOL2D != 0 => max_pool2d::forward(&d, a, out),
        Op::AvgPool2d(d) if S::OPS & kinds::AVG_POOL2D != 0 => avg_pool2d::forward(&d, a, out),
        Op::AvgPool1d(d) if S::OPS & kinds::AVG_POOL1D != 0 => avg_pool1d::forward(&d, a, out),
        Op::Huber(h) if S::OPS & kinds::HUBER != 0 => huber::forward(&h, a, b, out),
        Op::MultiMargin { n } if S::OPS & kinds::MULTI_MARGIN != 0 => multi_margin::forward(a, b, out, n as usize),
        Op::LinearT { inp, out: n_out } if S::OPS & kinds::LINEAR_T != 0 => {
            linear_t::forward(a, sb, sc, out, inp as usize, n_out as usize)
        }
        _ => {}
    }
}

/// Whether input `k`'s gradient of `op` has a one-pass form,
/// [`backward_finish`]: on tiled targets, a dense layer's weight, the
/// largest gradient of an MLP, which a training step at batch 1 would
/// otherwise sweep three times (cleared, accumulated, saturated).
pub(crate) fn finishes(op: &Op, k: usize) -> bool {
    TILED && k == 1 && matches!(op, Op::Linear { .. })
}

/// [`backward`] for an input that [`finishes`] says has a one-pass form:
/// the gradient is added to `grad_input` (to zero, without reading it, when
/// `fresh`) and saturated, the bits of a clear, [`backward`] and the tape's
/// saturating pass; with `step`, the parameter then takes its SGD update
/// from the finished gradient. Reads only `ins[0]` of the inputs.
pub(crate) fn backward_finish<T: Float>(
    op: &Op,
    ins: [&[T]; 3],
    grad_output: &[T],
    grad_input: &mut [T],
    fresh: bool,
    step: Option<gemm::SgdStep<'_, T>>,
) {
    if let Op::Linear { inp, out } = *op {
        let finish = gemm::Finish { fresh, saturate: true };
        gemm::tn_finish(
            grad_output,
            ins[0],
            grad_input,
            inp as usize,
            out as usize,
            finish,
            step,
        );
    }
}

/// The gradient of input `k` of `op` written as the first edge of a backward
/// walk gives it: the bits of a clear, [`backward`] and the tape's saturating
/// pass ([`Float::saturate`]), in one write that never reads `grad_input`.
/// Returns whether `op` has that form (a linear layer's input on host
/// kernels; tanh, sigmoid, ReLU, add, sub, square, the means, 2 × 2 max
/// pooling that covers its input); otherwise it writes nothing.
pub(crate) fn backward_first<T: Float>(
    op: &Op,
    k: usize,
    ins: [&[T]; 3],
    out: &[T],
    grad_output: &[T],
    grad_input: &mut [T],
) -> bool {
    let [a, b, _] = ins;
    let (gy, gx) = (grad_output, grad_input);
    match *op {
        Op::Linear { inp, out: n_out } if k == 0 && TILED => gemm::nn_first(gy, b, gx, inp as usize, n_out as usize),
        Op::Tanh => tanh::backward_first(out, gy, gx),
        Op::Sigmoid => sigmoid::backward_first(out, gy, gx),
        Op::Relu => relu::backward_first(a, gy, gx),
        Op::Add => add::backward_first(gy, gx),
        Op::Sub => sub::backward_first(k, gy, gx),
        Op::Square => square::backward_first(a, gy, gx),
        Op::Mean => mean::backward_first(gy, gx),
        Op::MeanRows { n } => mean::backward_rows_first(gy, gx, n as usize),
        Op::MaxPool2d(d) => return max_pool2d::backward_first(&d, a, gy, gx),
        _ => return false,
    }
    true
}

/// Adds to `grad_input` (input `k`'s gradient) the op's local derivative
/// applied to `grad_output`. `out` is the op's forward output.
pub(crate) fn backward<T: Float>(
    op: &Op,
    k: usize,
    ins: [&[T]; 3],
    out: &[T],
    grad_output: &[T],
    grad_input: &mut [T],
) {
    let [a, b, c] = ins;
    let (gy, gx) = (grad_output, grad_input);
    match *op {
        Op::Input | Op::Param(_) | Op::DropoutMask => {}
        Op::Dropout { .. } => dropout::backward(k, b, gy, gx),
        Op::Linear { inp, out: n_out } => linear::backward(k, a, b, gy, gx, inp as usize, n_out as usize),
        Op::Conv1d(d) => conv1d::backward(&d, k, a, b, c, gy, gx),
        Op::MaxPool1d(d) => max_pool1d::backward(&d, a, gy, gx),
        Op::Tanh => tanh::backward(out, gy, gx),
        Op::Sigmoid => sigmoid::backward(out, gy, gx),
        Op::Relu => relu::backward(a, gy, gx),
        Op::Softmax { n } => softmax::backward(out, gy, gx, n as usize),
        Op::LogSoftmax { n } => log_softmax::backward(out, gy, gx, n as usize),
        Op::Add => add::backward(gy, gx),
        Op::Sub => sub::backward(k, gy, gx),
        Op::Mul => mul::backward(k, a, b, gy, gx),
        Op::Square => square::backward(a, gy, gx),
        Op::Mean => mean::backward(gy, gx),
        Op::MeanRows { n } => mean::backward_rows(gy, gx, n as usize),
        Op::Bce => bce::backward(k, a, b, gy, gx),
        Op::BceLogits => bce::backward_logits(k, a, b, gy, gx),
        Op::CrossEntropyProb => cross_entropy::backward_prob(k, a, b, gy, gx),
        Op::CrossEntropyLogits { n } => cross_entropy::backward_logits(k, a, b, gy, gx, n as usize),
        Op::KlDiv => kl_div::backward(k, a, b, gy, gx),
        Op::Conv2d(d) => conv2d::backward(&d, k, a, b, gy, gx),
        Op::MaxPool2d(d) => max_pool2d::backward(&d, a, gy, gx),
        Op::AvgPool2d(d) => avg_pool2d::backward(&d, gy, gx),
        Op::AvgPool1d(d) => avg_pool1d::backward(&d, gy, gx),
        Op::Huber(h) => huber::backward(&h, k, a, b, gy, gx),
        Op::MultiMargin { n } => multi_margin::backward(k, a, b, gy, gx, n as usize),
        Op::LinearT { inp, out: n_out } => linear_t::backward(k, a, b, gy, gx, inp as usize, n_out as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::float::saturate_all;

    fn same_bits<T: Float>(a: &[T], b: &[T]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(p, q)| p.to_f64().to_bits() == q.to_f64().to_bits())
    }

    /// [`backward_first`] over a gradient full of NaN gives the bits of a
    /// clear, [`backward`] and the saturating pass, with zeros of both signs,
    /// and gradients large enough to saturate.
    fn first_matches_clear_and_pass<T: Float>() {
        const N: usize = 36;
        let x: [T; N] = core::array::from_fn(|i| {
            let v = [0.0, -0.0, 0.5, -0.75, 3.0, -20.0][i % 6] * (1.0 + i as f64 / 7.0);
            T::from_f64(v)
        });
        let big = T::SATURATION.to_f64() * 0.75;
        let gy: [T; N] = core::array::from_fn(|i| {
            T::from_f64([1.0, -0.0, big, -big, 0.25, 0.0][(i / 2) % 6] * if i % 5 == 0 { 3.0 } else { 1.0 })
        });
        let mut ops = [
            (Op::Tanh, 0, [T::ZERO; N]),
            (Op::Sigmoid, 0, [T::ZERO; N]),
            (Op::Relu, 0, [T::ZERO; N]),
            (Op::Square, 0, [T::ZERO; N]),
            (Op::Add, 0, [T::ZERO; N]),
            (Op::Add, 1, [T::ZERO; N]),
            (Op::Sub, 0, [T::ZERO; N]),
            (Op::Sub, 1, [T::ZERO; N]),
        ];
        tanh::forward(&x, &mut ops[0].2);
        sigmoid::forward(&x, &mut ops[1].2);
        relu::forward(&x, &mut ops[2].2);
        for (op, k, y) in &ops {
            let mut want = [T::ZERO; N];
            backward(op, *k, [&x, &x, &[]], y, &gy, &mut want);
            saturate_all(&mut want);
            let mut got = [T::from_f64(f64::NAN); N];
            assert!(backward_first(op, *k, [&x, &x, &[]], y, &gy, &mut got), "{op:?}");
            assert!(same_bits(&got, &want), "{op:?} input {k}: {got:?} against {want:?}");
        }
        // the means, of a gradient of either sign and of one past the bound
        for g in [T::from_f64(-0.0), T::from_f64(3.0), T::from_f64(-big * 30.0)] {
            for op in [Op::Mean, Op::MeanRows { n: 4 }] {
                let mut want = [T::ZERO; N];
                backward(&op, 0, [&x, &[], &[]], &[], &[g], &mut want);
                saturate_all(&mut want);
                let mut got = [T::from_f64(f64::NAN); N];
                assert!(backward_first(&op, 0, [&x, &[], &[]], &[], &[g], &mut got), "{op:?}");
                assert!(same_bits(&got, &want), "{op:?} of {g:?}: {got:?} against {want:?}");
            }
        }
        // a dense layer's input, 4 rows of 6 values through a 6 → 3 weight
        let w: [T; 18] = core::array::from_fn(|i| x[(i * 5) % N]);
        let (op, x24, gy12) = (Op::Linear { inp: 6, out: 3 }, &x[..24], &gy[..12]);
        let mut want = [T::ZERO; 24];
        backward(&op, 0, [x24, &w, &[]], &[], gy12, &mut want);
        saturate_all(&mut want);
        let mut got = [T::from_f64(f64::NAN); 24];
        let wrote = backward_first(&op, 0, [x24, &w, &[]], &[], gy12, &mut got);
        assert_eq!(
            wrote, TILED,
            "the host kernels (only) write a dense layer's input gradient fresh"
        );
        if wrote {
            assert!(same_bits(&got, &want), "linear: {got:?} against {want:?}");
            assert!(want.iter().any(|v| v.abs() == T::SATURATION), "some sums saturate");
        }
        // 2 × 2 max pooling over 2 channels of 2 × 6 (ties among the inputs,
        // signed zeros and saturating values among the gradients); a 3 × 6
        // input is not covered by its windows and takes the clear
        for h_in in [2, 3] {
            let d = max_pool2d::Pool2dDims {
                c: 2,
                k: 2,
                stride: 2,
                h_in,
                w_in: 6,
                h_out: 1,
                w_out: 3,
            };
            let n = 2 * usize::from(h_in) * 6;
            let (x, gy) = (&x[..n], &gy[..6]);
            let mut want = [T::ZERO; N];
            backward(&Op::MaxPool2d(d), 0, [x, &[], &[]], &[], gy, &mut want[..n]);
            saturate_all(&mut want);
            let mut got = [T::from_f64(f64::NAN); N];
            let wrote = backward_first(&Op::MaxPool2d(d), 0, [x, &[], &[]], &[], gy, &mut got[..n]);
            assert_eq!(wrote, h_in == 2, "max pooling over {h_in} rows");
            if wrote {
                assert!(
                    same_bits(&got[..n], &want[..n]),
                    "max pooling: {got:?} against {want:?}"
                );
            }
        }
        // ops without the form write nothing
        let mut untouched = [T::from_f64(7.0); N];
        assert!(!backward_first(&Op::Mul, 0, [&x, &x, &[]], &x, &gy, &mut untouched));
        assert!(untouched.iter().all(|v| v.to_f64() == 7.0));
    }

    #[test]
    fn first_matches_clear_and_pass_f32() {
        first_matches_clear_and_pass::<f32>();
    }

    #[test]
    fn first_matches_clear_and_pass_f64() {
        first_matches_clear_and_pass::<f64>();
    }
}
