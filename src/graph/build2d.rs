//! Recording the 2-D convolution and the poolings: each checks its output
//! size at compile time and pushes one node.

use super::Graph;
use crate::error::Error;
use crate::float::Float;
use crate::ops::{Conv2dDims, Op, Pool1dDims, Pool2dDims};
use crate::shape::{Param, Rank1, Rank2, Rank3, Rank4, Var};

/// Sizes stored in a node's op must fit in 16 bits.
const MAX_SIDE: usize = u16::MAX as usize;

impl<T: Float> Graph<'_, T> {
    /// 2-D convolution with a `K × K` kernel, stride `S` and zero padding `P`;
    /// `HO` must equal `(HI + 2P − K) / S + 1`, and `WO` likewise.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    pub fn conv2d<
        const B: usize,
        const CI: usize,
        const CO: usize,
        const K: usize,
        const HI: usize,
        const WI: usize,
        const HO: usize,
        const WO: usize,
        const S: usize,
        const P: usize,
    >(
        &mut self,
        x: Var<B, Rank3<CI, HI, WI>>,
        w: Param<Rank4<CO, CI, K, K>>,
        b: Param<Rank1<CO>>,
    ) -> Result<Var<B, Rank3<CO, HO, WO>>, Error> {
        const {
            assert!(
                S > 0 && K > 0 && K <= HI + 2 * P && K <= WI + 2 * P,
                "Conv2d: the kernel must fit in the padded image"
            );
            assert!(
                HO == (HI + 2 * P - K) / S + 1 && WO == (WI + 2 * P - K) / S + 1,
                "Conv2d: H_OUT must be (H_IN + 2 PAD - K) / STRIDE + 1, and W_OUT likewise"
            );
            assert!(
                CI <= MAX_SIDE && CO <= MAX_SIDE && HI + 2 * P <= MAX_SIDE && WI + 2 * P <= MAX_SIDE && S <= MAX_SIDE,
                "Conv2d: sizes must fit in 16 bits"
            );
        };
        let d = Conv2dDims {
            c_in: CI as u16,
            c_out: CO as u16,
            k: K as u16,
            stride: S as u16,
            pad: P as u16,
            h_in: HI as u16,
            w_in: WI as u16,
            h_out: HO as u16,
            w_out: WO as u16,
        };
        self.push_op::<Rank3<CO, HO, WO>>(Op::Conv2d(d), [x.id, w.id, b.id], B)
            .map(Var::new)
    }

    /// 2-D max pooling (`max == true`) or average pooling with a `K × K`
    /// window and stride `S`; `HO` must equal `(HI − K) / S + 1`, and `WO` likewise.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    #[allow(clippy::type_complexity)]
    pub fn pool2d<
        const B: usize,
        const C: usize,
        const HI: usize,
        const WI: usize,
        const K: usize,
        const S: usize,
        const HO: usize,
        const WO: usize,
    >(
        &mut self,
        x: Var<B, Rank3<C, HI, WI>>,
        max: bool,
    ) -> Result<Var<B, Rank3<C, HO, WO>>, Error> {
        const {
            assert!(
                S > 0 && K > 0 && K <= HI && K <= WI && HO == (HI - K) / S + 1 && WO == (WI - K) / S + 1,
                "Pool2d: H_OUT must be (H_IN - K) / STRIDE + 1, and W_OUT likewise"
            );
            assert!(
                C <= MAX_SIDE && HI <= MAX_SIDE && WI <= MAX_SIDE,
                "Pool2d: sizes must fit in 16 bits"
            );
        };
        let d = Pool2dDims {
            c: C as u16,
            k: K as u16,
            stride: S as u16,
            h_in: HI as u16,
            w_in: WI as u16,
            h_out: HO as u16,
            w_out: WO as u16,
        };
        let op = if max { Op::MaxPool2d(d) } else { Op::AvgPool2d(d) };
        self.push_op::<Rank3<C, HO, WO>>(op, [x.id, 0, 0], B).map(Var::new)
    }

    /// 1-D average pooling with window `K` and stride `S`; `L_OUT` must equal `(L_IN − K) / S + 1`.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    pub fn avg_pool1d<
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
                "AvgPool1d: L_OUT must be (L_IN - K) / STRIDE + 1"
            )
        };
        let d = Pool1dDims {
            c: C as u32,
            k: K as u32,
            stride: S as u32,
            l_in: LI as u32,
            l_out: LO as u32,
        };
        self.push_op::<Rank2<C, LO>>(Op::AvgPool1d(d), [x.id, 0, 0], B)
            .map(Var::new)
    }
}
