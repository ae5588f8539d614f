//! `Graph::backward_from_zero`, the walk a training step runs, gives the
//! bits of `zero_grad` followed by `backward` on every parameter and input
//! gradient, whatever the gradient store held before (stale gradients, NaN):
//! dense layers at batch 1, a partial batch and more rows than one cache
//! block, a weight used twice, a tied auto-encoder (a weight read by a
//! dense layer and its transpose), a parameter no op reads, and operands
//! large enough that the weight gradients saturate.
//!
//! `Graph::backward_sgd`, the walk of a training step with plain SGD, gives
//! the bits of `zero_grad`, `backward` and `Sgd::step` on every parameter,
//! gradient and value, in the same cases.

use flambeau::{
    Error, Graph, Init, Layout, Node, Optimizer, ParamKind, Rank1, Rank2, Rank3, Rank4, Rng, Scalar, Sgd, Shape, Var,
};

/// A graph builder: records the ops on `g`, fills the inputs with values up
/// to `scale` and returns the loss.
type Build = fn(&mut Graph<'_, f32>, f32) -> Scalar;

/// An input of `g` filled with values in `(-scale, scale)`.
fn input<const B: usize, S: Shape>(g: &mut Graph<'_, f32>, scale: f32, seed: u64) -> Var<B, S> {
    let x = g.input::<B, S>().unwrap();
    let mut rng = Rng::new(seed);
    for v in g.input_mut(x) {
        *v = scale * (2.0 * rng.uniform() as f32 - 1.0);
    }
    x
}

fn layout() -> Layout {
    Layout {
        params: 40_000,
        values: 60_000,
        grads: true,
    }
}

/// How a graph runs its backward walk.
#[derive(Clone, Copy, Debug)]
enum Walk {
    /// `zero_grad`, `backward`.
    Plain,
    /// `backward_from_zero`.
    FromZero,
    /// `zero_grad`, `backward`, then `Sgd::step` over every parameter.
    PlainSgd,
    /// `backward_sgd`.
    FusedSgd,
}

/// The learning rate of the SGD walks.
const LR: f32 = 0.3;

/// Runs `build` on a fresh arena, with the parameters and inputs of every
/// run (inputs scaled by `scale`) and `rows` valid rows, through `walk`, the
/// gradient store first filled with `junk`; returns the arena.
fn run(build: Build, rows: usize, scale: f32, junk: f32, walk: Walk) -> Vec<f32> {
    let mut tape = vec![Node::EMPTY; 32];
    let mut arena = vec![0.0f32; layout().arena_len()];
    {
        let mut g = Graph::new(&mut tape, &mut arena, layout()).unwrap();
        let loss = build(&mut g, scale);
        g.init_params(&mut Rng::new(3));
        g.set_rows(rows).unwrap();
        g.forward();
        g.param_grads_mut().fill(junk);
        match walk {
            Walk::Plain | Walk::PlainSgd => {
                g.zero_grad();
                g.backward(loss).unwrap();
            }
            Walk::FromZero => g.backward_from_zero(loss).unwrap(),
            Walk::FusedSgd => g.backward_sgd(loss, LR).unwrap(),
        }
        if let Walk::PlainSgd = walk {
            let (params, grads) = g.params_and_grads();
            Sgd::new(LR).step(params, grads).unwrap();
        }
    }
    arena
}

fn assert_same(what: &str, build: Build, rows: usize, scale: f32) {
    for junk in [0.0, -0.0, 7.5, f32::NAN] {
        for (a, b) in [(Walk::Plain, Walk::FromZero), (Walk::PlainSgd, Walk::FusedSgd)] {
            let (want, got) = (run(build, rows, scale, junk, a), run(build, rows, scale, junk, b));
            let first = want.iter().zip(&got).position(|(p, q)| p.to_bits() != q.to_bits());
            assert_eq!(
                first, None,
                "{what}, rows {rows}, scale {scale}, store filled with {junk}: {b:?} against {a:?}"
            );
        }
    }
}

/// 64 → 32 → tanh → 10, cross-entropy, at batch `B`.
fn mlp<const B: usize>(g: &mut Graph<'_, f32>, scale: f32) -> Scalar {
    let x = input::<B, Rank1<64>>(g, scale, 1);
    let t = input::<B, Rank1<10>>(g, 1.0, 2);
    let w1 = g
        .param::<Rank2<32, 64>>(ParamKind::Weight, Init::TorchDefault, 64, 32)
        .unwrap();
    let b1 = g
        .param::<Rank1<32>>(ParamKind::Bias, Init::TorchDefault, 64, 32)
        .unwrap();
    let w2 = g
        .param::<Rank2<10, 32>>(ParamKind::Weight, Init::TorchDefault, 32, 10)
        .unwrap();
    let b2 = g
        .param::<Rank1<10>>(ParamKind::Bias, Init::TorchDefault, 32, 10)
        .unwrap();
    let h = g.linear(x, w1, b1).unwrap();
    let h = g.tanh(h).unwrap();
    let y = g.linear(h, w2, b2).unwrap();
    let l = g.cross_entropy_logits(y, t).unwrap();
    g.mean(l).unwrap()
}

/// One 16 × 16 weight in two dense layers, and a parameter nothing reads.
fn shared<const B: usize>(g: &mut Graph<'_, f32>, scale: f32) -> Scalar {
    let x = input::<B, Rank1<16>>(g, scale, 1);
    let w = g
        .param::<Rank2<16, 16>>(ParamKind::Weight, Init::TorchDefault, 16, 16)
        .unwrap();
    let b = g
        .param::<Rank1<16>>(ParamKind::Bias, Init::TorchDefault, 16, 16)
        .unwrap();
    let _unused = g.param::<Rank1<5>>(ParamKind::Bias, Init::TorchDefault, 4, 5).unwrap();
    let h = g.linear(x, w, b).unwrap();
    let h = g.tanh(h).unwrap();
    let y = g.linear(h, w, b).unwrap();
    let y = g.square(y).unwrap();
    g.mean(y).unwrap()
}

/// A tied auto-encoder 24 → 8 → 24: the encoder's weight, transposed, decodes.
fn tied<const B: usize>(g: &mut Graph<'_, f32>, scale: f32) -> Scalar {
    let x = input::<B, Rank1<24>>(g, scale, 1);
    let w = g
        .param::<Rank2<8, 24>>(ParamKind::Weight, Init::TorchDefault, 24, 8)
        .unwrap();
    let b = g.param::<Rank1<8>>(ParamKind::Bias, Init::TorchDefault, 24, 8).unwrap();
    let c = g.param::<Rank1<24>>(ParamKind::Bias, Init::Zeros, 8, 24).unwrap();
    let h = g.linear(x, w, b).unwrap();
    let h = g.tanh(h).unwrap();
    let y = g.linear_t(h, w, c).unwrap();
    let d = g.sub(y, x).unwrap();
    let d = g.square(d).unwrap();
    g.mean(d).unwrap()
}

#[test]
fn dense_layers() {
    assert_same("mlp b1", mlp::<1>, 1, 1.0);
    assert_same("mlp b32", mlp::<32>, 32, 1.0);
    assert_same("mlp b32, partial", mlp::<32>, 19, 1.0);
    assert_same("mlp b300 (two blocks)", mlp::<300>, 300, 1.0);
    assert_same("mlp b3, saturating", mlp::<3>, 3, 1e25);
}

#[test]
fn weight_used_twice_and_unused_parameter() {
    assert_same("shared b1", shared::<1>, 1, 1.0);
    assert_same("shared b5", shared::<5>, 4, 1.0);
    assert_same("shared b2, saturating", shared::<2>, 2, 1e25);
}

#[test]
fn tied_auto_encoder() {
    assert_same("tied b1", tied::<1>, 1, 1.0);
    assert_same("tied b9", tied::<9>, 9, 1.0);
}

/// Every walk refuses a graph without gradients and a loss that is not one
/// of the graph's scalars, with the same errors.
#[test]
fn refuses_what_backward_refuses() {
    let mut tape = vec![Node::EMPTY; 32];
    let mut arena = vec![0.0f32; layout().arena_len()];
    let mut big = Graph::new(&mut tape, &mut arena, layout()).unwrap();
    let far = mlp::<1>(&mut big, 1.0);
    for lazy in [Walk::Plain, Walk::FromZero, Walk::FusedSgd] {
        let walk = |g: &mut Graph<'_, f32>, loss| match lazy {
            Walk::FromZero => g.backward_from_zero(loss),
            Walk::FusedSgd => g.backward_sgd(loss, LR),
            _ => g.backward(loss),
        };
        let (mut tape, mut arena) = (vec![Node::EMPTY; 32], vec![0.0f32; layout().arena_len()]);
        let mut small = Graph::new(&mut tape, &mut arena, layout()).unwrap();
        let x = input::<1, Rank1<3>>(&mut small, 1.0, 1);
        let m = small.mean(x).unwrap();
        small.forward();
        assert!(
            matches!(walk(&mut small, far), Err(Error::NotAScalar { .. })),
            "{lazy:?}"
        );
        let no_grads = Layout {
            grads: false,
            ..layout()
        };
        let (mut tape, mut arena) = (vec![Node::EMPTY; 32], vec![0.0f32; no_grads.arena_len()]);
        let mut frozen = Graph::new(&mut tape, &mut arena, no_grads).unwrap();
        let x = input::<1, Rank1<3>>(&mut frozen, 1.0, 1);
        let m2 = frozen.mean(x).unwrap();
        assert_eq!(walk(&mut frozen, m2), Err(Error::NoGradients), "{lazy:?}");
        assert_eq!(walk(&mut small, m), Ok(()), "{lazy:?}");
        // A refused walk leaves the parameters as they were (`m` names an input of `big`).
        big.init_params(&mut Rng::new(3));
        big.param_grads_mut().fill(1.0);
        let before = big.params().to_vec();
        assert!(matches!(walk(&mut big, m), Err(Error::NotAScalar { .. })), "{lazy:?}");
        assert_eq!(big.params(), &before[..], "{lazy:?}");
    }
}

/// The gradients a test reads from a graph after its walk.
type Collect = Box<dyn Fn(&Graph<'_, f32>) -> Vec<f32>>;

/// Records a graph large enough that the walk clears each activation
/// gradient at its first edge, or writes it fresh there, instead of
/// clearing the store first; fills its inputs from `rng` scaled by `scale`
/// and gives its loss and what to collect. `reach`: whether the loss reads
/// a value `dead`, recorded in the same place either way.
type Stale = fn(&mut Graph<'_, f32>, bool, &mut Rng, f32) -> (Scalar, Collect);

/// An input with a gradient, a value read by two ops, ops with and without
/// a fresh form, and a value that the loss may not read.
fn branches(g: &mut Graph<'_, f32>, reach: bool, rng: &mut Rng, scale: f32) -> (Scalar, Collect) {
    let x = g.input_with_grad::<48, Rank1<64>>().unwrap();
    for v in g.input_mut(x) {
        *v = scale * (2.0 * rng.uniform() as f32 - 1.0);
    }
    let w1 = g
        .param::<Rank2<128, 64>>(ParamKind::Weight, Init::TorchDefault, 64, 128)
        .unwrap();
    let b1 = g
        .param::<Rank1<128>>(ParamKind::Bias, Init::TorchDefault, 64, 128)
        .unwrap();
    let w2 = g
        .param::<Rank2<10, 128>>(ParamKind::Weight, Init::TorchDefault, 128, 10)
        .unwrap();
    let b2 = g
        .param::<Rank1<10>>(ParamKind::Bias, Init::TorchDefault, 128, 10)
        .unwrap();
    let h = g.linear(x, w1, b1).unwrap();
    let t = g.tanh(h).unwrap();
    let r = g.relu(h).unwrap();
    let s = g.sigmoid(t).unwrap();
    let dead = g.tanh(s).unwrap();
    let a = g.add(if reach { dead } else { s }, r).unwrap();
    let q = g.square(a).unwrap();
    let y = g.linear(q, w2, b2).unwrap();
    let y = g.square(y).unwrap();
    let collect = move |g: &Graph<'_, f32>| {
        let mut all = g.grad(x).to_vec();
        for v in [h, t, r, s, a, q] {
            all.extend_from_slice(g.grad(v));
        }
        all
    };
    (g.mean(y).unwrap(), Box::new(collect))
}

/// A convolution, ReLU and 2 × 2 max pooling that covers its input (its
/// gradient written fresh), and a second pooling that does not (cleared at
/// its first edge).
fn pooled(g: &mut Graph<'_, f32>, reach: bool, rng: &mut Rng, scale: f32) -> (Scalar, Collect) {
    let x = g.input_with_grad::<24, Rank3<2, 10, 10>>().unwrap();
    for v in g.input_mut(x) {
        *v = scale * (2.0 * rng.uniform() as f32 - 1.0);
    }
    let w = g
        .param::<Rank4<6, 2, 3, 3>>(ParamKind::Weight, Init::TorchDefault, 18, 6)
        .unwrap();
    let b = g.param::<Rank1<6>>(ParamKind::Bias, Init::TorchDefault, 18, 6).unwrap();
    let c = g.conv2d::<24, 2, 6, 3, 10, 10, 8, 8, 1, 0>(x, w, b).unwrap();
    let r = g.relu(c).unwrap();
    let p = g.pool2d::<24, 6, 8, 8, 2, 2, 4, 4>(r, true).unwrap();
    // (ReLU, not tanh: the large first inputs would saturate a tanh, and
    // the stale gradients it passes back would all be zero)
    let dead = g.relu(p).unwrap();
    let p = if reach { dead } else { p };
    let q = g.pool2d::<24, 6, 4, 4, 3, 1, 2, 2>(p, true).unwrap();
    let q = g.square(q).unwrap();
    let collect = move |g: &Graph<'_, f32>| {
        let mut all = g.grad(x).to_vec();
        all.extend_from_slice(g.grad(c));
        all.extend_from_slice(g.grad(r));
        all.extend_from_slice(g.grad(p));
        all
    };
    (g.mean(q).unwrap(), Box::new(collect))
}

/// Every parameter gradient and the gradients `build` collects, after a
/// forward and a walk on inputs drawn from each of `seeds` in turn, each on
/// a graph built anew over the last one's arena (so over its gradients; all
/// but the last graph's loss read `dead`), through `plain` (`zero_grad`,
/// `backward`) or not (`backward_from_zero`).
fn stale_grads(build: Stale, seeds: &[u64], plain: bool) -> Vec<f32> {
    let mut tape = vec![Node::EMPTY; 32];
    let mut arena = vec![0.0f32; layout().arena_len()];
    let mut all = vec![];
    for (i, &seed) in seeds.iter().enumerate() {
        let last = i + 1 == seeds.len();
        let mut g = Graph::new(&mut tape, &mut arena, layout()).unwrap();
        // the earlier inputs large, so that stale gradients are large too
        let scale = if last { 1.0 } else { 1e6 };
        let (loss, collect) = build(&mut g, !last, &mut Rng::new(seed), scale);
        g.init_params(&mut Rng::new(3));
        g.forward();
        if plain {
            g.zero_grad();
            g.backward(loss).unwrap();
        } else {
            g.backward_from_zero(loss).unwrap();
        }
        all = g.param_grads().to_vec();
        all.extend(collect(&g));
    }
    all
}

/// A walk over a store full of the last step's gradients gives the bits of
/// a walk on a fresh graph: no gradient is read before its first edge
/// clears or writes it, and the fresh forms (dense input, tanh, sigmoid,
/// ReLU, add, square, the mean, max pooling) give the bits of a clear, the
/// accumulation and the saturating pass.
#[test]
fn activation_gradients_start_at_their_first_edge() {
    // (max pooling passes a gradient to one input in four, or fewer)
    for (what, build, part) in [("branches", branches as Stale, 3), ("pooled", pooled, 12)] {
        for plain in [false, true] {
            let fresh = stale_grads(build, &[8], plain);
            let stale = stale_grads(build, &[7, 8], plain);
            assert!(fresh.iter().all(|v| v.is_finite()), "{what}, plain {plain}");
            assert!(
                fresh.iter().filter(|v| **v != 0.0).count() > fresh.len() / part,
                "{what}, plain {plain}: non-zero gradients"
            );
            let first = fresh.iter().zip(&stale).position(|(p, q)| p.to_bits() != q.to_bits());
            assert_eq!(first, None, "{what}, plain {plain}");
        }
    }
}
