//! Recording nodes: typed methods that check shapes at compile time and push
//! one node each onto the tape.

use super::Graph;
use crate::error::Error;
use crate::float::Float;
use crate::init::{Init, ParamKind};
use crate::ops::{Conv1dDims, Op, ParamInfo, Pool1dDims};
use crate::shape::{NodeId, Param, Rank1, Rank2, Rank3, Shape, Var};
use crate::tape::Node;

impl<T: Float> Graph<'_, T> {
    /// Pushes `node`, placing its output in the parameter or value arena.
    fn push(&mut self, mut node: Node) -> Result<NodeId, Error> {
        let capacity = self.tape.len();
        let id = self.nodes;
        if id >= capacity || id > NodeId::MAX as usize {
            return Err(Error::TapeFull {
                capacity,
                needed: id + 1,
            });
        }
        if node.batch > 0 {
            let b = node.batch as usize;
            if self.batch == 0 {
                self.batch = b;
                self.rows = b;
            } else if self.batch != b {
                return Err(Error::BatchMismatch {
                    graph: self.batch,
                    tensor: b,
                });
            }
        }
        if node.is_param() && self.weights.is_some() {
            // Read in place from the weights: `bind_weights` sets the offset
            // once the model is recorded (so that only inference from flash
            // links the safetensors parser).
            if let Some(slot) = self.tape.get_mut(id) {
                *slot = node;
            }
            self.nodes += 1;
            return Ok(id as NodeId);
        }
        let inputs = &node.inputs[..node.op.arity()];
        node.needs_grad = node.is_param() || inputs.iter().any(|&i| self.node(i).is_some_and(|n| n.needs_grad));
        let (used, store_len, what) = if node.is_param() {
            (&mut self.params_used, self.params.len(), "arena (parameters)")
        } else {
            (&mut self.values_used, self.values.len(), "arena (activations)")
        };
        let end = *used + node.len as usize;
        if end > store_len {
            return Err(Error::BufferTooSmall {
                what,
                needed: end,
                got: store_len,
            });
        }
        node.offset = *used as u32;
        *used = end;
        if let Some(slot) = self.tape.get_mut(id) {
            *slot = node;
        }
        self.nodes += 1;
        Ok(id as NodeId)
    }

    pub(super) fn push_op<S: Shape>(&mut self, op: Op, inputs: [NodeId; 3], batch: usize) -> Result<NodeId, Error> {
        self.push(Node::new::<S>(op, inputs, batch))
    }

    /// A batch of `B` samples of shape `S`, written by the caller before `forward`.
    ///
    /// # Errors
    /// [`Error::TapeFull`], [`Error::BufferTooSmall`] or [`Error::BatchMismatch`].
    pub fn input<const B: usize, S: Shape>(&mut self) -> Result<Var<B, S>, Error> {
        const { assert!(B > 0 && B <= u16::MAX as usize, "batch size must be in 1..=65535") };
        self.push_op::<S>(Op::Input, [0; 3], B).map(Var::new)
    }

    /// An input whose gradient `backward` computes (read it with
    /// [`Graph::grad`]): for gradient checks, saliency maps or adversarial inputs.
    ///
    /// # Errors
    /// As [`Graph::input`].
    pub fn input_with_grad<const B: usize, S: Shape>(&mut self) -> Result<Var<B, S>, Error> {
        let x = self.input::<B, S>()?;
        if let Some(n) = self.tape.get_mut(x.id as usize) {
            n.needs_grad = true;
        }
        Ok(x)
    }

    /// A trainable tensor of the current layer (see [`Graph::set_layer`]).
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    pub fn param<S: Shape>(
        &mut self,
        kind: ParamKind,
        init: Init,
        fan_in: usize,
        fan_out: usize,
    ) -> Result<Param<S>, Error> {
        let info = ParamInfo {
            layer: self.layer,
            kind,
            init,
            fan_in: fan_in as u32,
            fan_out: fan_out as u32,
        };
        self.push_op::<S>(Op::Param(info), [0; 3], 0).map(Param::new)
    }

    /// `x Wᵀ + b` with `W` stored `[OUT][IN]`.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    pub fn linear<const B: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: Var<B, Rank1<IN>>,
        w: Param<Rank2<OUT, IN>>,
        b: Param<Rank1<OUT>>,
    ) -> Result<Var<B, Rank1<OUT>>, Error> {
        let op = Op::Linear {
            inp: IN as u32,
            out: OUT as u32,
        };
        self.push_op::<Rank1<OUT>>(op, [x.id, w.id, b.id], B).map(Var::new)
    }

    /// `x W + b` with `W` stored `[IN][OUT]`: the transpose of a `[OUT'][IN']`
    /// encoder weight, so a tied decoder shares the encoder's parameter.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    pub fn linear_t<const B: usize, const IN: usize, const OUT: usize>(
        &mut self,
        x: Var<B, Rank1<IN>>,
        w: Param<Rank2<IN, OUT>>,
        b: Param<Rank1<OUT>>,
    ) -> Result<Var<B, Rank1<OUT>>, Error> {
        let op = Op::LinearT {
            inp: IN as u32,
            out: OUT as u32,
        };
        self.push_op::<Rank1<OUT>>(op, [x.id, w.id, b.id], B).map(Var::new)
    }

    /// 1-D convolution with stride `S`; `L_OUT` must equal `(L_IN − K) / S + 1`.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    #[allow(clippy::type_complexity)]
    pub fn conv1d<
        const B: usize,
        const CI: usize,
        const CO: usize,
        const K: usize,
        const LI: usize,
        const LO: usize,
        const S: usize,
    >(
        &mut self,
        x: Var<B, Rank2<CI, LI>>,
        w: Param<Rank3<CO, CI, K>>,
        b: Param<Rank1<CO>>,
    ) -> Result<Var<B, Rank2<CO, LO>>, Error> {
        const {
            assert!(
                S > 0 && K > 0 && K <= LI && LO == (LI - K) / S + 1,
                "Conv1d: L_OUT must be (L_IN - K) / STRIDE + 1"
            )
        };
        const {
            assert!(
                CI <= u16::MAX as usize && CO <= u16::MAX as usize && LI <= u16::MAX as usize && S <= u16::MAX as usize,
                "Conv1d: sizes must fit in 16 bits"
            )
        };
        let d = Conv1dDims {
            c_in: CI as u16,
            c_out: CO as u16,
            k: K as u16,
            stride: S as u16,
            l_in: LI as u16,
            l_out: LO as u16,
        };
        self.push_op::<Rank2<CO, LO>>(Op::Conv1d(d), [x.id, w.id, b.id], B)
            .map(Var::new)
    }

    /// 1-D max pooling with window `K` and stride `S`; `L_OUT` must equal `(L_IN − K) / S + 1`.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    pub fn max_pool1d<
        const B: usize,
        const C: usize,
        const LI: usize,
        const K: usize,
        const S: usize,
        const LO: usize,
    >(
        &mut self,
        x: Var<B, Rank2<C, LI>>,
    ) -> Result<Var<B, Rank2<C, LO>>, Error> {
        const {
            assert!(
                S > 0 && K > 0 && K <= LI && LO == (LI - K) / S + 1,
                "MaxPool1d: L_OUT must be (L_IN - K) / STRIDE + 1"
            )
        };
        let d = Pool1dDims {
            c: C as u32,
            k: K as u32,
            stride: S as u32,
            l_in: LI as u32,
            l_out: LO as u32,
        };
        self.push_op::<Rank2<C, LO>>(Op::MaxPool1d(d), [x.id, 0, 0], B)
            .map(Var::new)
    }

    fn unary<const B: usize, S: Shape>(&mut self, op: Op, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.push_op::<S>(op, [x.id, 0, 0], B).map(Var::new)
    }

    pub(super) fn binary<const B: usize, S: Shape>(
        &mut self,
        op: Op,
        a: Var<B, S>,
        b: Var<B, S>,
    ) -> Result<Var<B, S>, Error> {
        self.push_op::<S>(op, [a.id, b.id, 0], B).map(Var::new)
    }

    /// Element-wise `tanh`.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`] (likewise for every op below).
    pub fn tanh<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.unary(Op::Tanh, x)
    }

    /// Element-wise logistic sigmoid.
    #[allow(clippy::missing_errors_doc)]
    pub fn sigmoid<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.unary(Op::Sigmoid, x)
    }

    /// Element-wise `max(x, 0)`.
    #[allow(clippy::missing_errors_doc)]
    pub fn relu<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.unary(Op::Relu, x)
    }

    /// Softmax of each sample.
    #[allow(clippy::missing_errors_doc)]
    pub fn softmax<const B: usize, const N: usize>(&mut self, x: Var<B, Rank1<N>>) -> Result<Var<B, Rank1<N>>, Error> {
        self.unary(Op::Softmax { n: N as u32 }, x)
    }

    /// Log-softmax of each sample.
    #[allow(clippy::missing_errors_doc)]
    pub fn log_softmax<const B: usize, const N: usize>(
        &mut self,
        x: Var<B, Rank1<N>>,
    ) -> Result<Var<B, Rank1<N>>, Error> {
        self.unary(Op::LogSoftmax { n: N as u32 }, x)
    }

    /// Element-wise `a + b`.
    #[allow(clippy::missing_errors_doc)]
    pub fn add<const B: usize, S: Shape>(&mut self, a: Var<B, S>, b: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.binary(Op::Add, a, b)
    }

    /// Element-wise `a − b`.
    #[allow(clippy::missing_errors_doc)]
    pub fn sub<const B: usize, S: Shape>(&mut self, a: Var<B, S>, b: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.binary(Op::Sub, a, b)
    }

    /// Element-wise `a ⊙ b`.
    #[allow(clippy::missing_errors_doc)]
    pub fn mul<const B: usize, S: Shape>(&mut self, a: Var<B, S>, b: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.binary(Op::Mul, a, b)
    }

    /// Element-wise `x²`.
    #[allow(clippy::missing_errors_doc)]
    pub fn square<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        self.unary(Op::Square, x)
    }
}
