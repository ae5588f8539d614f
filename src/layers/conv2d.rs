//! `Conv2d`: a 2-D convolution with bias, in PyTorch's layout.

use super::{Model, Module};
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::init::{Init, ParamKind};
use crate::shape::{Rank1, Rank3, Rank4, Var};
use core::fmt;

/// A 2-D convolution from `C_IN` channels of `H_IN × W_IN` to `C_OUT`
/// channels of `H_OUT × W_OUT`, square kernel `K`, stride `S` (default 1)
/// and zero padding `P` (default 0), with bias.
///
/// Stable Rust cannot compute the output size in a type, so `H_OUT` and
/// `W_OUT` are parameters that a compile-time assertion checks:
/// `H_OUT == (H_IN + 2P − K) / S + 1`, likewise `W_OUT`. The weight is
/// `[C_OUT][C_IN][K][K]` and the data `[batch][channels][height][width]`, as
/// PyTorch's `nn.Conv2d`, so a following `Flatten` gives PyTorch's order.
///
/// A wrong output size does not compile:
///
/// ```compile_fail
/// use flambeau::{Conv2d, Graph, Layout, Module, Node, Rank3};
/// let mut tape = [Node::EMPTY; 8];
/// let mut arena = [0.0f32; 8192];
/// let layout = Layout { params: 1024, values: 2048, grads: true };
/// let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
/// let x = g.input::<1, Rank3<1, 16, 16>>().unwrap();
/// let _ = Conv2d::<1, 4, 5, 16, 16, 14, 12>::new().build(&mut g, x); // should be 12 × 12
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conv2d<
    const C_IN: usize,
    const C_OUT: usize,
    const K: usize,
    const H_IN: usize,
    const W_IN: usize,
    const H_OUT: usize,
    const W_OUT: usize,
    const S: usize = 1,
    const P: usize = 0,
> {
    /// How the weight (and bias) are initialised.
    pub init: Init,
}

impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const HI: usize,
    const WI: usize,
    const HO: usize,
    const WO: usize,
    const S: usize,
    const P: usize,
> Conv2d<CI, CO, K, HI, WI, HO, WO, S, P>
{
    /// A layer with PyTorch's default initialisation.
    pub const fn new() -> Self {
        Conv2d {
            init: Init::TorchDefault,
        }
    }

    /// A layer with the given initialisation.
    pub const fn with_init(init: Init) -> Self {
        Conv2d { init }
    }
}

impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const HI: usize,
    const WI: usize,
    const HO: usize,
    const WO: usize,
    const S: usize,
    const P: usize,
> Module<Rank3<CI, HI, WI>> for Conv2d<CI, CO, K, HI, WI, HO, WO, S, P>
{
    type Output = Rank3<CO, HO, WO>;
    const PARAMS: usize = CO * CI * K * K + CO;
    const ACTIVATIONS: usize = CO * HO * WO;
    const NODES: usize = 3;
    const OPS: u64 = crate::ops::kinds::PARAM | crate::ops::kinds::CONV2D;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank3<CI, HI, WI>>,
    ) -> Result<Var<B, Rank3<CO, HO, WO>>, Error> {
        let (fan_in, fan_out) = (CI * K * K, CO * K * K);
        let w = g.param::<Rank4<CO, CI, K, K>>(ParamKind::Weight, self.init, fan_in, fan_out)?;
        let b = g.param::<Rank1<CO>>(ParamKind::Bias, self.init, fan_in, fan_out)?;
        g.conv2d::<B, CI, CO, K, HI, WI, HO, WO, S, P>(x, w, b)
    }
}

impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const HI: usize,
    const WI: usize,
    const HO: usize,
    const WO: usize,
    const S: usize,
    const P: usize,
> Model for Conv2d<CI, CO, K, HI, WI, HO, WO, S, P>
{
    type Input = Rank3<CI, HI, WI>;
}

impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const HI: usize,
    const WI: usize,
    const HO: usize,
    const WO: usize,
    const S: usize,
    const P: usize,
> fmt::Display for Conv2d<CI, CO, K, HI, WI, HO, WO, S, P>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Conv2d({CI},{CO},k={K}")?;
        if S != 1 {
            write!(f, ",stride={S}")?;
        }
        if P != 0 {
            write!(f, ",padding={P}")?;
        }
        f.write_str(")")
    }
}

impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const HI: usize,
    const WI: usize,
    const HO: usize,
    const WO: usize,
    const S: usize,
    const P: usize,
> super::Describe for Conv2d<CI, CO, K, HI, WI, HO, WO, S, P>
{
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
