//! `Flatten<N>`: `[channels][length]` or `[channels][height][width]` seen as
//! `N` features, in PyTorch's (row-major) order.

use super::Module;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Rank1, Rank2, Rank3, Var};
use core::fmt;

/// Flattens each sample to `N` features, in row-major (PyTorch's) order.
/// `N` must equal channels × length, or channels × height × width (checked
/// at compile time). It records no
/// node and copies nothing: the layout is already row-major.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten<const N: usize>;

impl<const C: usize, const L: usize, const N: usize> Module<Rank2<C, L>> for Flatten<N> {
    type Output = Rank1<N>;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = 0;
    const NODES: usize = 0;
    const OPS: u64 = 0;

    fn build<T: Float, const B: usize>(
        &self,
        _g: &mut Graph<'_, T>,
        x: Var<B, Rank2<C, L>>,
    ) -> Result<Var<B, Rank1<N>>, Error> {
        Ok(x.reshape())
    }
}

impl<const C: usize, const H: usize, const W: usize, const N: usize> Module<Rank3<C, H, W>> for Flatten<N> {
    type Output = Rank1<N>;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = 0;
    const NODES: usize = 0;
    const OPS: u64 = 0;

    fn build<T: Float, const B: usize>(
        &self,
        _g: &mut Graph<'_, T>,
        x: Var<B, Rank3<C, H, W>>,
    ) -> Result<Var<B, Rank1<N>>, Error> {
        Ok(x.reshape())
    }
}

impl<const N: usize> fmt::Display for Flatten<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Flatten")
    }
}

impl<const N: usize> super::Describe for Flatten<N> {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
