//! Activation layers: each records one element-wise (or per-sample) op.

use super::Module;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Rank1, Shape, Var};
use core::fmt;

/// `tanh`, element-wise, any shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;
/// Logistic sigmoid, element-wise, any shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;
/// `max(x, 0)`, element-wise, any shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReLU;
/// Softmax over the features of each sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softmax;
/// Log-softmax over the features of each sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogSoftmax;

impl<S: Shape> Module<S> for Tanh {
    type Output = S;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = S::SIZE;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::TANH;

    fn build<T: Float, const B: usize>(&self, g: &mut Graph<'_, T>, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        g.tanh(x)
    }
}

impl<S: Shape> Module<S> for Sigmoid {
    type Output = S;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = S::SIZE;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::SIGMOID;

    fn build<T: Float, const B: usize>(&self, g: &mut Graph<'_, T>, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        g.sigmoid(x)
    }
}

impl<S: Shape> Module<S> for ReLU {
    type Output = S;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = S::SIZE;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::RELU;

    fn build<T: Float, const B: usize>(&self, g: &mut Graph<'_, T>, x: Var<B, S>) -> Result<Var<B, S>, Error> {
        g.relu(x)
    }
}

impl<const N: usize> Module<Rank1<N>> for Softmax {
    type Output = Rank1<N>;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = N;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::SOFTMAX;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank1<N>>,
    ) -> Result<Var<B, Rank1<N>>, Error> {
        g.softmax(x)
    }
}

impl<const N: usize> Module<Rank1<N>> for LogSoftmax {
    type Output = Rank1<N>;
    const PARAMS: usize = 0;
    const ACTIVATIONS: usize = N;
    const NODES: usize = 1;
    const OPS: u64 = crate::ops::kinds::LOG_SOFTMAX;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank1<N>>,
    ) -> Result<Var<B, Rank1<N>>, Error> {
        g.log_softmax(x)
    }
}

impl fmt::Display for Tanh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tanh")
    }
}
impl fmt::Display for Sigmoid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sigmoid")
    }
}
impl fmt::Display for ReLU {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReLU")
    }
}
impl fmt::Display for Softmax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Softmax")
    }
}
impl fmt::Display for LogSoftmax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogSoftmax")
    }
}

super::describe_by_display!(Tanh, Sigmoid, ReLU, Softmax, LogSoftmax);
