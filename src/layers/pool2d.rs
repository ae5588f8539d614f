//! `MaxPool2d<K, S, H_OUT, W_OUT>` and `AvgPool2d<K, S, H_OUT, W_OUT>`:
//! 2-D pooling over each channel, square window, no padding.

use super::Module;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Rank3, Var};
use core::fmt;

/// Max pooling with a `K × K` window and stride `S` to `H_OUT × W_OUT`,
/// checked at compile time: `H_OUT == (H_IN − K) / S + 1`, likewise `W_OUT`.
/// Works for any number of channels and input size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxPool2d<const K: usize, const S: usize, const H_OUT: usize, const W_OUT: usize>;

/// Average pooling with a `K × K` window and stride `S` to `H_OUT × W_OUT`,
/// checked at compile time as [`MaxPool2d`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AvgPool2d<const K: usize, const S: usize, const H_OUT: usize, const W_OUT: usize>;

impl<const C: usize, const HI: usize, const WI: usize, const K: usize, const S: usize, const HO: usize, const WO: usize>
    Module<Rank3<C, HI, WI>> for MaxPool2d<K, S, HO, WO>
{
    type Output = Rank3<C, HO, WO>;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = C * HO * WO;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::MAX_POOL2D;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank3<C, HI, WI>>,
    ) -> Result<Var<B, Rank3<C, HO, WO>>, Error> {
        g.pool2d::<B, C, HI, WI, K, S, HO, WO>(x, true)
    }
}

impl<const C: usize, const HI: usize, const WI: usize, const K: usize, const S: usize, const HO: usize, const WO: usize>
    Module<Rank3<C, HI, WI>> for AvgPool2d<K, S, HO, WO>
{
    type Output = Rank3<C, HO, WO>;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = C * HO * WO;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::AVG_POOL2D;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank3<C, HI, WI>>,
    ) -> Result<Var<B, Rank3<C, HO, WO>>, Error> {
        g.pool2d::<B, C, HI, WI, K, S, HO, WO>(x, false)
    }
}

impl<const K: usize, const S: usize, const HO: usize, const WO: usize> fmt::Display for MaxPool2d<K, S, HO, WO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaxPool2d({K},{S})")
    }
}

impl<const K: usize, const S: usize, const HO: usize, const WO: usize> fmt::Display for AvgPool2d<K, S, HO, WO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AvgPool2d({K},{S})")
    }
}

impl<const K: usize, const S: usize, const HO: usize, const WO: usize> super::Describe for MaxPool2d<K, S, HO, WO> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<const K: usize, const S: usize, const HO: usize, const WO: usize> super::Describe for AvgPool2d<K, S, HO, WO> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
