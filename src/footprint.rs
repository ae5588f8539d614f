//! The memory a model needs, as constants computed at compile time.
//!
//! For a model `M` with loss `L` at batch size `B`:
//!
//! - `PARAMS = M::PARAMS` (every weight and bias),
//! - `VALUES = B · (In + M::ACTIVATIONS + Out + L::ACTIVATIONS_PER_SAMPLE) + L::ACTIVATIONS`
//!   (the input batch, every op's output, the targets and the loss terms),
//! - `NODES = 2 + M::NODES + L::NODES` (input, target, layers, loss),
//! - the training arena holds values and gradients of both:
//!   `ARENA = 2 · (PARAMS + VALUES)` scalars; inference needs `PARAMS + VALUES`,
//! - an optimiser adds `STATE_PER_PARAM · PARAMS` (0 for SGD, 1 for momentum, 2 for Adam).
//!
//! ```
//! use flambeau::{CrossEntropyLoss, Footprint, Linear, Node, Sequential, Tanh};
//! type Mlp = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
//! type Fp = Footprint<Mlp, CrossEntropyLoss, 32>;
//! assert_eq!(Fp::PARAMS, 256 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
//! static mut ARENA: [f32; Fp::ARENA] = [0.0; Fp::ARENA];
//! static mut TAPE: [Node; Fp::NODES] = [Node::EMPTY; Fp::NODES];
//! ```

use crate::graph::Layout;
use crate::layers::Model;
use crate::loss::Loss;
use crate::shape::Shape;
use crate::tape::Node;
use core::marker::PhantomData;

/// Compile-time sizes of a model `M` trained with loss `L` at batch size `B`.
pub struct Footprint<M, L, const B: usize>(PhantomData<(M, L)>);

impl<M: Model, L: Loss<M::Output>, const B: usize> Footprint<M, L, B> {
    /// Parameter scalars.
    pub const PARAMS: usize = M::PARAMS;
    /// Activation scalars (input batch, op outputs, targets, loss terms).
    pub const VALUES: usize = B
        * (<M::Input as Shape>::SIZE + M::ACTIVATIONS + <M::Output as Shape>::SIZE + L::ACTIVATIONS_PER_SAMPLE)
        + L::ACTIVATIONS;
    /// Tape nodes.
    pub const NODES: usize = 2 + M::NODES + L::NODES;
    /// The training layout (values and gradients).
    pub const TRAIN: Layout = Layout {
        params: Self::PARAMS,
        values: Self::VALUES,
        grads: true,
    };
    /// The inference layout (values only).
    pub const INFER: Layout = Layout {
        params: Self::PARAMS,
        values: Self::VALUES,
        grads: false,
    };
    /// Arena scalars for training.
    pub const ARENA: usize = Self::TRAIN.arena_len();
    /// Arena scalars for inference only.
    pub const INFER_ARENA: usize = Self::INFER.arena_len();

    /// Optimiser state scalars for an optimiser keeping `per_param` per parameter.
    pub const fn optimizer_state(per_param: usize) -> usize {
        per_param * Self::PARAMS
    }

    /// Bytes of the whole training state for scalars of `scalar_size` bytes:
    /// arena, tape and an optimiser keeping `per_param` scalars per parameter.
    pub const fn training_bytes(scalar_size: usize, per_param: usize) -> usize {
        (Self::ARENA + Self::optimizer_state(per_param)) * scalar_size + Self::NODES * core::mem::size_of::<Node>()
    }
}

/// Compile-time sizes of a model `M` run for inference only at batch size `B`.
///
/// - `VALUES = B · (In + M::ACTIVATIONS)`, `NODES = 1 + M::NODES`,
/// - `ARENA = PARAMS + VALUES` with the parameters in RAM, or
///   `FLASH_ARENA = VALUES` with the parameters read in place from flash.
pub struct InferenceFootprint<M, const B: usize>(PhantomData<M>);

impl<M: Model, const B: usize> InferenceFootprint<M, B> {
    /// Parameter scalars.
    pub const PARAMS: usize = M::PARAMS;
    /// Activation scalars (input batch and op outputs).
    pub const VALUES: usize = B * (<M::Input as Shape>::SIZE + M::ACTIVATIONS);
    /// Tape nodes.
    pub const NODES: usize = 1 + M::NODES;
    /// Arena scalars with the parameters in RAM.
    pub const ARENA: usize = Self::PARAMS + Self::VALUES;
    /// Arena scalars with the parameters left in flash.
    pub const FLASH_ARENA: usize = Self::VALUES;
}
