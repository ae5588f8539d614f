//! `Graph::backward_from_zero`, the walk a training step runs, gives the
//! bits of `zero_grad` followed by `backward` on every parameter and input
//! gradient, whatever the gradient store held before (stale gradients, NaN):
//! dense layers at batch 1, a partial batch and more rows than one cache
//! block, a weight used twice, a tied auto-encoder (a weight read by a
//! dense layer and its transpose), a parameter no op reads, and operands
//! large enough that the weight gradients saturate.

use flambeau::{Error, Graph, Init, Layout, Node, ParamKind, Rank1, Rank2, Rng, Scalar, Shape, Var};

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

/// Runs `build` twice on fresh arenas, with the same parameters and inputs
/// (inputs scaled by `scale`) and `rows` valid rows, once through each walk,
/// the gradient store first filled with `junk`; returns both arenas.
fn both_walks(build: Build, rows: usize, scale: f32, junk: f32) -> [Vec<f32>; 2] {
    [false, true].map(|lazy| {
        let mut tape = vec![Node::EMPTY; 32];
        let mut arena = vec![0.0f32; layout().arena_len()];
        {
            let mut g = Graph::new(&mut tape, &mut arena, layout()).unwrap();
            let loss = build(&mut g, scale);
            g.init_params(&mut Rng::new(3));
            g.set_rows(rows).unwrap();
            g.forward();
            g.param_grads_mut().fill(junk);
            if lazy {
                g.backward_from_zero(loss).unwrap();
            } else {
                g.zero_grad();
                g.backward(loss).unwrap();
            }
        }
        arena
    })
}

fn assert_same(what: &str, build: Build, rows: usize, scale: f32) {
    for junk in [0.0, -0.0, 7.5, f32::NAN] {
        let [plain, lazy] = both_walks(build, rows, scale, junk);
        let first = plain.iter().zip(&lazy).position(|(a, b)| a.to_bits() != b.to_bits());
        assert_eq!(
            first, None,
            "{what}, rows {rows}, scale {scale}, store filled with {junk}"
        );
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

/// Both walks refuse a graph without gradients and a loss that is not one
/// of the graph's scalars, with the same errors.
#[test]
fn refuses_what_backward_refuses() {
    let mut tape = vec![Node::EMPTY; 32];
    let mut arena = vec![0.0f32; layout().arena_len()];
    let mut big = Graph::new(&mut tape, &mut arena, layout()).unwrap();
    let far = mlp::<1>(&mut big, 1.0);
    for lazy in [false, true] {
        let walk = |g: &mut Graph<'_, f32>, loss| {
            if lazy {
                g.backward_from_zero(loss)
            } else {
                g.backward(loss)
            }
        };
        let (mut tape, mut arena) = (vec![Node::EMPTY; 32], vec![0.0f32; layout().arena_len()]);
        let mut small = Graph::new(&mut tape, &mut arena, layout()).unwrap();
        let x = input::<1, Rank1<3>>(&mut small, 1.0, 1);
        let m = small.mean(x).unwrap();
        small.forward();
        assert!(
            matches!(walk(&mut small, far), Err(Error::NotAScalar { .. })),
            "lazy {lazy}"
        );
        let no_grads = Layout {
            grads: false,
            ..layout()
        };
        let (mut tape, mut arena) = (vec![Node::EMPTY; 32], vec![0.0f32; no_grads.arena_len()]);
        let mut frozen = Graph::new(&mut tape, &mut arena, no_grads).unwrap();
        let x = input::<1, Rank1<3>>(&mut frozen, 1.0, 1);
        let m2 = frozen.mean(x).unwrap();
        assert_eq!(walk(&mut frozen, m2), Err(Error::NoGradients), "lazy {lazy}");
        assert_eq!(walk(&mut small, m), Ok(()), "lazy {lazy}");
    }
}
