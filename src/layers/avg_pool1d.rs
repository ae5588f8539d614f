//! `AvgPool1d<K, S, L_OUT>`: 1-D average pooling over each channel.

use super::Module;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Rank2, Var};
use core::fmt;

/// Average pooling with window `K` and stride `S` to an output length
/// `L_OUT`, checked at compile time: `L_OUT == (L_IN − K) / S + 1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AvgPool1d<const K: usize, const S: usize, const L_OUT: usize>;

impl<const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize> Module<Rank2<C, LI>>
    for AvgPool1d<K, S, LO>
{
    type Output = Rank2<C, LO>;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = C * LO;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::AVG_POOL1D;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank2<C, LI>>,
    ) -> Result<Var<B, Rank2<C, LO>>, Error> {
        g.avg_pool1d::<B, C, LI, K, S, LO>(x)
    }
}

impl<const K: usize, const S: usize, const LO: usize> fmt::Display for AvgPool1d<K, S, LO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AvgPool1d({K},{S})")
    }
}

impl<const K: usize, const S: usize, const LO: usize> super::Describe for AvgPool1d<K, S, LO> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
