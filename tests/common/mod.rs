//! The one central-difference helper of the gradient checks, in f64.
//!
//! A leaf (an input made with `input_with_grad`, or a parameter) is checked
//! element by element: the analytic gradient from `backward` must match
//! `(L(v + h) − L(v − h)) / 2h` within a relative error of `REL_TOL`, with an
//! absolute floor of `ABS_FLOOR` for gradients near zero.

#![allow(dead_code)]

use flambeau::{Graph, Layout, Node, Param, Rng, Scalar, Shape, Var};

/// Largest accepted relative error.
pub const REL_TOL: f64 = 1e-6;
/// Absolute floor: central differences of an O(1) loss carry about
/// `eps · |L| / h ≈ 1e-11` of rounding and `h² f‴ / 6 ≈ 1e-10` of truncation.
pub const ABS_FLOOR: f64 = 1e-8;
/// Finite-difference step.
pub const H: f64 = 1e-5;

/// A tensor whose values can be perturbed and whose gradient can be read.
pub trait Leaf: Copy {
    /// The values, mutable.
    fn values<'s>(self, g: &'s mut Graph<'_, f64>) -> &'s mut [f64];
    /// The analytic gradient after `backward`.
    fn grad(self, g: &Graph<'_, f64>) -> Vec<f64>;
}

impl<const B: usize, S: Shape> Leaf for Var<B, S> {
    fn values<'s>(self, g: &'s mut Graph<'_, f64>) -> &'s mut [f64] {
        let n = g.rows() * S::SIZE;
        &mut g.input_mut(self)[..n]
    }
    fn grad(self, g: &Graph<'_, f64>) -> Vec<f64> {
        g.grad(self).to_vec()
    }
}

impl<S: Shape> Leaf for Param<S> {
    fn values<'s>(self, g: &'s mut Graph<'_, f64>) -> &'s mut [f64] {
        g.param_values_mut(self)
    }
    fn grad(self, g: &Graph<'_, f64>) -> Vec<f64> {
        g.param_grad(self).to_vec()
    }
}

/// Buffers for a graph of up to `nodes` nodes and `arena` scalars.
pub fn buffers(nodes: usize, arena: usize) -> (Vec<Node>, Vec<f64>) {
    (vec![Node::EMPTY; nodes], vec![0.0; arena])
}

/// A training layout with room for `params` and `values` scalars.
pub fn layout(params: usize, values: usize) -> Layout {
    Layout {
        params,
        values,
        grads: true,
    }
}

fn loss_at(g: &mut Graph<'_, f64>, loss: Scalar) -> f64 {
    g.forward();
    g.scalar(loss).unwrap()
}

/// Checks every element of `leaf` (or `limit` of them, spread evenly).
pub fn check<L: Leaf>(g: &mut Graph<'_, f64>, loss: Scalar, leaf: L, limit: usize, what: &str) {
    let kinks = check_inner(g, loss, leaf, limit, what, false);
    assert_eq!(kinks, 0);
}

/// As [`check`], for piecewise-smooth networks (ReLU, max pooling): where
/// the central difference disagrees, a kink may lie within `h` of the point;
/// the difference is then retaken with steps `h/10` and `h/100`, which a
/// kink at a distance beyond them cannot reach, centrally and one-sided
/// (second order) on each side, since a kink closer than that leaves the
/// point on one branch, whose derivative the analytic gradient takes; one of
/// them must agree. At most a quarter of the checked elements may need it.
pub fn check_piecewise<L: Leaf>(g: &mut Graph<'_, f64>, loss: Scalar, leaf: L, limit: usize, what: &str) {
    let (kinks, checked) = check_piecewise_kinks(g, loss, leaf, limit, what);
    assert!(
        kinks * 4 <= checked,
        "{what}: {kinks} of {checked} elements near a kink"
    );
}

/// Runs a piecewise check (`check(point)`: `None` when every tensor keeps
/// within [`check_piecewise`]'s quarter bound, else which did not) at the
/// inputs drawn from `seed`, then, while the point is crowded with kinks
/// (dead ReLUs tied in a pooling window put many elements within a step of
/// one), at the next two: a wrong gradient agrees at none of them.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn at_an_uncrowded_point(seed: u64, mut check: impl FnMut(u64) -> Option<String>) {
    let mut crowded = Vec::new();
    for draw in 0..3u64 {
        match check(seed.wrapping_add(draw)) {
            None => return,
            Some(why) => crowded.push(why),
        }
    }
    panic!("too many kinks at every point tried: {crowded:?}");
}

/// `None` when `kinks` of `checked` keep within [`check_piecewise`]'s quarter
/// bound, else the message naming `what` and the `point`.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn crowded(what: &str, (kinks, checked): (usize, usize), point: u64) -> Option<String> {
    (kinks * 4 > checked).then(|| format!("{what}: {kinks} of {checked} elements near a kink at point {point}"))
}

/// [`check_piecewise`] without the quarter bound: every element must agree
/// (centrally, or one-sided near a kink); returns how many needed a kink's
/// retaking and how many were checked.
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn check_piecewise_kinks<L: Leaf>(
    g: &mut Graph<'_, f64>,
    loss: Scalar,
    leaf: L,
    limit: usize,
    what: &str,
) -> (usize, usize) {
    let n = leaf.values(g).len();
    let checked = n.div_ceil(n.div_ceil(limit.max(1)).max(1));
    (check_inner(g, loss, leaf, limit, what, true), checked)
}

/// Central difference of the loss along element `i` of `leaf` with step `h`.
fn central<L: Leaf>(g: &mut Graph<'_, f64>, loss: Scalar, leaf: L, i: usize, h: f64) -> f64 {
    let v = leaf.values(g)[i];
    leaf.values(g)[i] = v + h;
    let up = loss_at(g, loss);
    leaf.values(g)[i] = v - h;
    let down = loss_at(g, loss);
    leaf.values(g)[i] = v;
    (up - down) / (2.0 * h)
}

/// Second-order one-sided difference along element `i` with step `h` (to
/// the left when `h < 0`): `(−3 L(v) + 4 L(v + h) − L(v + 2h)) / 2h`.
fn one_sided<L: Leaf>(g: &mut Graph<'_, f64>, loss: Scalar, leaf: L, i: usize, h: f64) -> f64 {
    let v = leaf.values(g)[i];
    let at = loss_at(g, loss);
    leaf.values(g)[i] = v + h;
    let near = loss_at(g, loss);
    leaf.values(g)[i] = v + 2.0 * h;
    let far = loss_at(g, loss);
    leaf.values(g)[i] = v;
    (4.0 * near - 3.0 * at - far) / (2.0 * h)
}

fn close(a: f64, numeric: f64) -> bool {
    (a - numeric).abs() <= REL_TOL * a.abs().max(numeric.abs()) + ABS_FLOOR
}

fn check_inner<L: Leaf>(
    g: &mut Graph<'_, f64>,
    loss: Scalar,
    leaf: L,
    limit: usize,
    what: &str,
    piecewise: bool,
) -> usize {
    g.forward();
    g.zero_grad();
    g.backward(loss).unwrap();
    let analytic = leaf.grad(g);
    let n = leaf.values(g).len();
    assert_eq!(analytic.len(), n, "{what}: gradient length");
    let stride = n.div_ceil(limit.max(1)).max(1);
    let mut kinks = 0;
    for i in (0..n).step_by(stride) {
        let a = analytic[i];
        let numeric = central(g, loss, leaf, i, H);
        if close(a, numeric) {
            continue;
        }
        let smaller = piecewise
            && [H / 10.0, H / 100.0].iter().any(|&h| {
                close(a, central(g, loss, leaf, i, h))
                    || close(a, one_sided(g, loss, leaf, i, h))
                    || close(a, one_sided(g, loss, leaf, i, -h))
            });
        let err = (a - numeric).abs();
        assert!(
            smaller,
            "{what}[{i}]: analytic {a:e}, numeric {numeric:e}, error {err:e}"
        );
        kinks += 1;
    }
    kinks
}

/// Fills `x` (its valid rows) with values from `data`, cycling.
pub fn fill<L: Leaf>(g: &mut Graph<'_, f64>, x: L, data: &[f64]) {
    for (v, d) in leaf_iter(x.values(g)).zip(data.iter().cycle()) {
        *v = *d;
    }
}

fn leaf_iter(xs: &mut [f64]) -> impl Iterator<Item = &mut f64> {
    xs.iter_mut()
}

/// Uniform values in `[lo, hi)` from a seed.
pub fn uniform(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.uniform_in(lo, hi)).collect()
}

/// One parameter tensor of a graph, by its range in the parameter arena.
#[derive(Clone, Copy)]
pub struct ParamRange(pub usize, pub usize);

impl Leaf for ParamRange {
    fn values<'s>(self, g: &'s mut Graph<'_, f64>) -> &'s mut [f64] {
        &mut g.params_mut()[self.0..self.1]
    }
    fn grad(self, g: &Graph<'_, f64>) -> Vec<f64> {
        g.param_grads()[self.0..self.1].to_vec()
    }
}

/// The ranges of every parameter tensor, in tape order.
pub fn param_ranges(g: &Graph<'_, f64>) -> Vec<(String, ParamRange)> {
    let mut start = 0;
    g.param_tensors()
        .map(|(_, info, values)| {
            let r = ParamRange(start, start + values.len());
            start += values.len();
            (format!("{}.{}", info.layer, info.kind.suffix()), r)
        })
        .collect()
}
