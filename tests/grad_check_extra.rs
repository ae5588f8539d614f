//! Gradient checks of the 2-D convolution, the poolings, the Huber,
//! smooth-L1 and hinge losses, and the regularisers, against central finite
//! differences in f64 with the helpers of `common/mod.rs` (relative error
//! ≤ 1e-6, absolute floor 1e-8); then a whole LeNet-like network.
//! Max pooling, ReLU, L1 and the hinge are piecewise smooth: their checks
//! use `common::check_piecewise`. Dropout is checked with a fixed mask: the
//! mask generator is re-seeded before every forward pass.

mod common;

use common::{buffers, check, check_piecewise, fill, layout, param_ranges, uniform};
use flambeau::{
    AvgPool1d, AvgPool2d, Conv2d, CrossEntropyLoss, Dropout, Error, Flatten, Graph, HuberLoss, Init, Linear, Loss,
    MaxPool2d, Module, MultiMarginLoss, ParamKind, Rank1, Rank2, Rank3, Rank4, ReLU, Rng, Scalar, Sequential, Shape,
    SmoothL1Loss, Tanh, TiedAutoEncoder, TiedLinearAutoEncoder, TiedLinearReluAutoEncoder, Var, WeightDecay,
};
use proptest::prelude::*;

const CASES: u32 = 12;

type G<'a, 'b> = &'a mut Graph<'b, f64>;

/// `mean(y ⊙ r)` with fixed random `r`: every output element gets its own upstream gradient.
fn probe<const B: usize, S: Shape>(g: G<'_, '_>, y: Var<B, S>, seed: u64) -> Scalar {
    let r = g.input::<B, S>().unwrap();
    g.set_input(r, &uniform(seed ^ 0x5eed, B * S::SIZE, -1.0, 1.0)).unwrap();
    let m = g.mul(y, r).unwrap();
    g.mean(m).unwrap()
}

fn rows_of<const B: usize>(seed: u64) -> usize {
    1 + (seed as usize % B)
}

/// Distinct values (a shuffled ramp plus small noise), so no pooling window holds a near-tie.
fn distinct(seed: u64, n: usize) -> Vec<f64> {
    let mut ramp: Vec<f64> = (0..n).map(|i| i as f64 * 0.1 - n as f64 * 0.05).collect();
    Rng::new(seed).shuffle(&mut ramp);
    let noise = uniform(seed, n, -0.01, 0.01);
    ramp.iter().zip(&noise).map(|(r, e)| r + e).collect()
}

#[allow(clippy::type_complexity)]
fn conv2d<
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
    seed: u64,
) {
    let (mut tape, mut arena) = buffers(8, 32_768);
    let params = CO * CI * K * K + CO;
    let values = 4 * B * (CI * HI * WI + CO * HO * WO) + 4;
    let mut g = Graph::new(&mut tape, &mut arena, layout(params, values)).unwrap();
    let x = g.input_with_grad::<B, Rank3<CI, HI, WI>>().unwrap();
    let (fan_in, fan_out) = (CI * K * K, CO * K * K);
    let w = g
        .param::<Rank4<CO, CI, K, K>>(ParamKind::Weight, Init::HeNormal, fan_in, fan_out)
        .unwrap();
    let b = g
        .param::<Rank1<CO>>(ParamKind::Bias, Init::TorchDefault, fan_in, fan_out)
        .unwrap();
    let y = g.conv2d::<B, CI, CO, K, HI, WI, HO, WO, S, P>(x, w, b).unwrap();
    let loss = probe(&mut g, y, seed);
    g.init_params(&mut Rng::new(seed));
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &uniform(seed, B * CI * HI * WI, -2.0, 2.0));
    check(&mut g, loss, x, usize::MAX, "x");
    check(&mut g, loss, w, usize::MAX, "weight");
    check(&mut g, loss, b, usize::MAX, "bias");
}

fn pool2d<
    const B: usize,
    const C: usize,
    const HI: usize,
    const WI: usize,
    const K: usize,
    const S: usize,
    const HO: usize,
    const WO: usize,
>(
    max: bool,
    seed: u64,
) {
    let (mut tape, mut arena) = buffers(8, 16_384);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 4 * B * C * (HI * WI + HO * WO) + 4)).unwrap();
    let x = g.input_with_grad::<B, Rank3<C, HI, WI>>().unwrap();
    let y = g.pool2d::<B, C, HI, WI, K, S, HO, WO>(x, max).unwrap();
    let loss = probe(&mut g, y, seed);
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &distinct(seed, B * C * HI * WI));
    check(&mut g, loss, x, usize::MAX, "x");
}

fn avg_pool1d<const B: usize, const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize>(
    seed: u64,
) {
    let (mut tape, mut arena) = buffers(8, 8192);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 4 * B * C * (LI + LO) + 4)).unwrap();
    let x = g.input_with_grad::<B, Rank2<C, LI>>().unwrap();
    let y = g.avg_pool1d::<B, C, LI, K, S, LO>(x).unwrap();
    let loss = probe(&mut g, y, seed);
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &uniform(seed, B * C * LI, -3.0, 3.0));
    check(&mut g, loss, x, usize::MAX, "x");
}

/// Builds `m` on an input with gradient, probes its output, and checks the
/// input and every parameter tensor. A piecewise-smooth `m` (max pooling,
/// ReLU) may put more than a quarter of a tensor's elements within a step
/// of a kink at one input; then the check moves to the next inputs, at most
/// twice, as [`whole_network`] does: a gradient that is wrong agrees nowhere.
fn layer<In: Shape, M: Module<In> + Clone, const B: usize>(m: M, piecewise: bool, seed: u64) {
    common::at_an_uncrowded_point(seed, |point| layer_kinks::<In, M, B>(m.clone(), piecewise, seed, point));
}

/// [`layer`] at the inputs drawn from `point` (parameters, rows and probe
/// from `seed`): `None` when every tensor keeps within the quarter bound of
/// [`common::check_piecewise`], else the tensor that did not. Every element
/// must agree either way (the checks panic otherwise).
fn layer_kinks<In: Shape, M: Module<In>, const B: usize>(
    m: M,
    piecewise: bool,
    seed: u64,
    point: u64,
) -> Option<String> {
    let values = 4 * B * (In::SIZE + M::ACTIVATIONS) + 8;
    let (mut tape, mut arena) = buffers(64, 2 * (M::PARAMS + values));
    let mut g = Graph::new(&mut tape, &mut arena, layout(M::PARAMS, values)).unwrap();
    let x = g.input_with_grad::<B, In>().unwrap();
    let y = m.build(&mut g, x).unwrap();
    let loss = probe(&mut g, y, seed);
    g.init_params(&mut Rng::new(seed));
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &distinct(point, B * In::SIZE));
    if !piecewise {
        check(&mut g, loss, x, 64, "x");
        for (name, range) in param_ranges(&g) {
            check(&mut g, loss, range, 64, &name);
        }
        return None;
    }
    let input = common::check_piecewise_kinks(&mut g, loss, x, 64, "x");
    common::crowded("x", input, point).or_else(|| {
        param_ranges(&g).into_iter().find_map(|(name, range)| {
            let found = common::check_piecewise_kinks(&mut g, loss, range, 64, &name);
            common::crowded(&name, found, point)
        })
    })
}

fn linear_t<const B: usize, const IN: usize, const OUT: usize>(seed: u64) {
    let (mut tape, mut arena) = buffers(8, 8192);
    let mut g = Graph::new(&mut tape, &mut arena, layout(IN * OUT + OUT, 4 * B * (IN + OUT) + 4)).unwrap();
    let x = g.input_with_grad::<B, Rank1<IN>>().unwrap();
    let w = g
        .param::<Rank2<IN, OUT>>(ParamKind::Weight, Init::XavierNormal, OUT, IN)
        .unwrap();
    let b = g
        .param::<Rank1<OUT>>(ParamKind::Bias, Init::TorchDefault, OUT, IN)
        .unwrap();
    let y = g.linear_t(x, w, b).unwrap();
    let loss = probe(&mut g, y, seed);
    g.init_params(&mut Rng::new(seed));
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &uniform(seed, B * IN, -2.0, 2.0));
    check(&mut g, loss, x, usize::MAX, "x");
    check(&mut g, loss, w, usize::MAX, "weight");
    check(&mut g, loss, b, usize::MAX, "bias");
}

/// A loss of outputs against targets; `one_hot` draws one-hot targets.
fn loss<L: Loss<Rank1<N>>, const B: usize, const N: usize>(l: L, y: (f64, f64), one_hot: bool, seed: u64) {
    let (mut tape, mut arena) = buffers(8, 2 * (6 * B * N + 8));
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 6 * B * N + 8)).unwrap();
    let yv = g.input_with_grad::<B, Rank1<N>>().unwrap();
    let tv = g.input_with_grad::<B, Rank1<N>>().unwrap();
    let s = l.build(&mut g, yv, tv).unwrap();
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, yv, &uniform(seed, B * N, y.0, y.1));
    let t: Vec<f64> = if one_hot {
        let labels = uniform(seed + 1, B, 0.0, N as f64);
        (0..B * N)
            .map(|i| f64::from(u8::from(i % N == labels[i / N] as usize)))
            .collect()
    } else {
        uniform(seed + 1, B * N, -2.0, 2.0)
    };
    fill(&mut g, tv, &t);
    check_piecewise(&mut g, s, yv, usize::MAX, "output");
    check_piecewise(&mut g, s, tv, usize::MAX, "target");
}

/// A small network with `decay`: the gradients of `loss + penalty` after
/// `add_penalty_grads` against central differences of `loss + penalty`.
fn regularised(decay: WeightDecay, seed: u64) {
    type Net = Sequential<(Linear<5, 4>, Tanh, Linear<4, 3>)>;
    let net: Net = Sequential::new((Linear::new(), Tanh, Linear::new()));
    let params = <Net as Module<Rank1<5>>>::PARAMS;
    let (mut tape, mut arena) = buffers(32, 2 * (params + 256));
    let mut g = Graph::new(&mut tape, &mut arena, layout(params, 256)).unwrap();
    let x = g.input::<3, Rank1<5>>().unwrap();
    let y = net.build(&mut g, x).unwrap();
    let loss = probe(&mut g, y, seed);
    g.init_params(&mut Rng::new(seed));
    // keep every parameter away from L1's kink at 0
    for p in g.params_mut() {
        *p = if *p >= 0.0 { *p + 0.05 } else { *p - 0.05 };
    }
    g.set_input(x, &uniform(seed, 15, -2.0, 2.0)).unwrap();
    g.forward();
    g.zero_grad();
    g.backward(loss).unwrap();
    g.add_penalty_grads(&decay);
    let analytic = g.param_grads().to_vec();
    let h = common::H;
    for (i, &a) in analytic.iter().enumerate() {
        let v = g.params()[i];
        let at = |g: &mut Graph<'_, f64>, p: f64| {
            g.params_mut()[i] = p;
            g.forward();
            g.scalar(loss).unwrap() + g.penalty(&decay)
        };
        let numeric = (at(&mut g, v + h) - at(&mut g, v - h)) / (2.0 * h);
        g.params_mut()[i] = v;
        let err = (a - numeric).abs();
        assert!(
            err <= common::REL_TOL * a.abs().max(numeric.abs()) + common::ABS_FLOOR,
            "{decay:?} parameter {i}: analytic {a:e}, numeric {numeric:e}"
        );
    }
}

/// `Linear -> Tanh -> Dropout(p) -> Linear` in training mode with one mask
/// (the generator re-seeded before each pass): the gradients of the input
/// and of every parameter against central differences.
fn dropout_grad(p: f32, seed: u64) {
    type Net = Sequential<(Linear<5, 6>, Tanh, Dropout, Linear<6, 3>)>;
    let net: Net = Sequential::new((Linear::new(), Tanh, Dropout::new(p).unwrap(), Linear::new()));
    let params = <Net as Module<Rank1<5>>>::PARAMS;
    let (mut tape, mut arena) = buffers(32, 2 * (params + 512));
    let mut g = Graph::new(&mut tape, &mut arena, layout(params, 512)).unwrap();
    let x = g.input_with_grad::<4, Rank1<5>>().unwrap();
    let y = net.build(&mut g, x).unwrap();
    let loss = probe(&mut g, y, seed);
    g.init_params(&mut Rng::new(seed));
    g.set_rows(rows_of::<4>(seed)).unwrap();
    g.set_input(x, &uniform(seed, 20, -2.0, 2.0)).unwrap();
    let mask_seed = seed ^ 0xD20;
    let at = |g: &mut Graph<'_, f64>| {
        g.seed_dropout(mask_seed);
        g.forward();
        g.scalar(loss).unwrap()
    };
    at(&mut g);
    g.zero_grad();
    g.backward(loss).unwrap();
    let (dx, dp) = (g.grad(x).to_vec(), g.param_grads().to_vec());
    let h = common::H;
    let close = |a: f64, numeric: f64, what: &str| {
        let err = (a - numeric).abs();
        assert!(
            err <= common::REL_TOL * a.abs().max(numeric.abs()) + common::ABS_FLOOR,
            "p {p}, {what}: analytic {a:e}, numeric {numeric:e}"
        );
    };
    for (i, &a) in dx.iter().enumerate() {
        let v = g.input_mut(x)[i];
        g.input_mut(x)[i] = v + h;
        let up = at(&mut g);
        g.input_mut(x)[i] = v - h;
        let down = at(&mut g);
        g.input_mut(x)[i] = v;
        close(a, (up - down) / (2.0 * h), &format!("x[{i}]"));
    }
    for (i, &a) in dp.iter().enumerate() {
        let v = g.params()[i];
        g.params_mut()[i] = v + h;
        let up = at(&mut g);
        g.params_mut()[i] = v - h;
        let down = at(&mut g);
        g.params_mut()[i] = v;
        close(a, (up - down) / (2.0 * h), &format!("parameter {i}"));
    }
}

type LeNet = Sequential<(
    Conv2d<1, 6, 5, 16, 16, 16, 16, 1, 2>,
    ReLU,
    MaxPool2d<2, 2, 8, 8>,
    Conv2d<6, 16, 5, 8, 8, 4, 4>,
    ReLU,
    MaxPool2d<2, 2, 2, 2>,
    Flatten<64>,
    Linear<64, 32>,
    ReLU,
    Linear<32, 10>,
)>;

/// The `fast` network's shape (a 3x3 padded second convolution), with fewer channels.
type FastNet = Sequential<(
    Conv2d<1, 4, 5, 16, 16, 16, 16, 1, 2>,
    ReLU,
    MaxPool2d<2, 2, 8, 8>,
    Conv2d<4, 8, 3, 8, 8, 8, 8, 1, 1>,
    ReLU,
    MaxPool2d<2, 2, 4, 4>,
    Flatten<128>,
    Linear<128, 16>,
    ReLU,
    Linear<16, 10>,
)>;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn conv2d_grad(seed in any::<u64>()) {
        conv2d::<1, 1, 1, 1, 3, 3, 3, 3, 1, 0>(seed);
        conv2d::<2, 2, 3, 3, 6, 5, 4, 3, 1, 0>(seed);
        conv2d::<2, 3, 2, 3, 7, 6, 4, 3, 2, 1>(seed);
        conv2d::<1, 2, 2, 5, 6, 6, 6, 6, 1, 2>(seed);
        conv2d::<2, 2, 9, 3, 5, 5, 5, 5, 1, 1>(seed);
    }

    #[test]
    fn pool_grads(seed in any::<u64>()) {
        pool2d::<1, 1, 4, 4, 2, 2, 2, 2>(true, seed);
        pool2d::<2, 3, 7, 6, 3, 2, 3, 2>(true, seed);
        pool2d::<2, 2, 5, 5, 2, 1, 4, 4>(false, seed);
        pool2d::<2, 3, 7, 6, 3, 2, 3, 2>(false, seed);
        avg_pool1d::<1, 1, 4, 2, 2, 2>(seed);
        avg_pool1d::<2, 3, 9, 3, 2, 4>(seed);
    }

    #[test]
    fn conv2d_pool_flatten_layers_grad(seed in any::<u64>()) {
        layer::<Rank3<2, 6, 5>, Conv2d<2, 3, 3, 6, 5, 4, 3>, 2>(Conv2d::new(), false, seed);
        layer::<Rank3<2, 6, 5>, Conv2d<2, 3, 3, 6, 5, 3, 3, 2, 1>, 2>(Conv2d::new(), false, seed);
        layer::<Rank3<2, 4, 6>, MaxPool2d<2, 2, 2, 3>, 2>(MaxPool2d, true, seed);
        layer::<Rank3<2, 4, 6>, AvgPool2d<2, 2, 2, 3>, 2>(AvgPool2d, false, seed);
        layer::<Rank2<2, 8>, AvgPool1d<2, 2, 4>, 2>(AvgPool1d, false, seed);
        let cnn = Sequential::new((Conv2d::<1, 3, 3, 6, 6, 6, 6, 1, 1>::new(), MaxPool2d::<2, 2, 3, 3>, Flatten::<27>, Linear::<27, 4>::new()));
        layer::<Rank3<1, 6, 6>, _, 2>(cnn, true, seed);
    }

    #[test]
    fn new_loss_grads(seed in any::<u64>()) {
        loss::<HuberLoss, 3, 4>(HuberLoss::default(), (-3.0, 3.0), false, seed);
        loss::<HuberLoss, 3, 4>(HuberLoss { delta: 0.3 }, (-3.0, 3.0), false, seed);
        loss::<SmoothL1Loss, 3, 4>(SmoothL1Loss { beta: 0.5 }, (-3.0, 3.0), false, seed);
        loss::<SmoothL1Loss, 3, 4>(SmoothL1Loss { beta: 0.0 }, (-3.0, 3.0), false, seed);
        loss::<MultiMarginLoss, 3, 5>(MultiMarginLoss, (-2.0, 2.0), true, seed);
    }

    #[test]
    fn tied_decoder_grads(seed in any::<u64>()) {
        linear_t::<3, 4, 6>(seed);
        linear_t::<5, 17, 9>(seed);
        // one weight used twice: its gradient must hold both uses
        layer::<Rank1<7>, TiedAutoEncoder<7, 3>, 3>(TiedAutoEncoder::new(), false, seed);
        layer::<Rank1<20>, TiedAutoEncoder<20, 17>, 5>(TiedAutoEncoder::new(), false, seed);
        layer::<Rank1<7>, TiedLinearAutoEncoder<7, 3>, 3>(TiedLinearAutoEncoder::new(), false, seed);
        // the ReLU output is piecewise: checked away from its kink
        layer::<Rank1<7>, TiedLinearReluAutoEncoder<7, 3>, 3>(TiedLinearReluAutoEncoder::new(), true, seed);
    }

    #[test]
    fn dropout_grads_with_a_fixed_mask(seed in any::<u64>()) {
        dropout_grad(0.5, seed);
        dropout_grad(0.2, seed);
    }

    #[test]
    fn regulariser_grads(seed in any::<u64>()) {
        regularised(WeightDecay::l2(0.3), seed);
        regularised(WeightDecay::l1(0.2), seed);
        regularised(WeightDecay { l2: 0.1, l1: 0.05, biases: true, ..WeightDecay::default() }, seed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]

    #[test]
    fn lenet_grad(seed in any::<u64>()) {
        let net: LeNet = Sequential::new((
            Conv2d::new(), ReLU, MaxPool2d, Conv2d::new(), ReLU, MaxPool2d, Flatten, Linear::new(), ReLU, Linear::new(),
        ));
        whole_network(net, seed);
    }

    #[test]
    fn fast_net_grad(seed in any::<u64>()) {
        whole_network(fast_net(), seed);
    }
}

/// A fresh [`FastNet`].
fn fast_net() -> FastNet {
    Sequential::new((
        Conv2d::new(),
        ReLU,
        MaxPool2d,
        Conv2d::new(),
        ReLU,
        MaxPool2d,
        Flatten,
        Linear::new(),
        ReLU,
        Linear::new(),
    ))
}

/// Every parameter of a whole 16x16-image classifier with cross-entropy,
/// on one or two rows, against central differences. Every element checked
/// must agree (centrally, or one-sided where a kink of ReLU or max pooling
/// lies within the step); at most a quarter of a parameter's elements may
/// need that. A point can sit near many kinks at once (dead ReLUs tied in a
/// pooling window), so when one does, the check moves to the next inputs of
/// the same network, at most twice: a gradient that is wrong agrees nowhere.
fn whole_network<M: flambeau::Model + Clone>(net: M, seed: u64)
where
    CrossEntropyLoss: Loss<M::Output>,
{
    common::at_an_uncrowded_point(seed, |point| network_kinks(net.clone(), seed, point));
}

/// Checks every parameter of `net` (initialised from `seed`) at the inputs
/// drawn from `point`; `None` when every parameter keeps within the quarter
/// bound, else the parameter that did not.
fn network_kinks<M: flambeau::Model>(net: M, seed: u64, point: u64) -> Option<String>
where
    CrossEntropyLoss: Loss<M::Output>,
{
    use flambeau::{Footprint, Node, Trainer};
    let mut tape = vec![Node::EMPTY; Footprint::<M, CrossEntropyLoss, 2>::NODES];
    let mut arena = vec![0.0f64; Footprint::<M, CrossEntropyLoss, 2>::ARENA];
    let mut t = Trainer::<f64, M, CrossEntropyLoss, 2>::new(net, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    t.init(&mut Rng::new(seed));
    let rows = 1 + seed as usize % 2;
    let x = distinct(point, rows * 256).iter().map(|v| v / 12.8).collect::<Vec<_>>();
    let label = seed as usize % 10;
    let targets: Vec<f64> = (0..rows * 10)
        .map(|i| f64::from(u8::from(i % 10 == (label + i / 10) % 10)))
        .collect();
    t.set_batch(&x, &targets).unwrap();
    let l = t.loss();
    let g = t.graph_mut();
    param_ranges(g).into_iter().find_map(|(name, range)| {
        let found = common::check_piecewise_kinks(g, l, range, 24, &name);
        common::crowded(&name, found, point)
    })
}

#[test]
fn a_layer_point_crowded_with_kinks_moves_to_the_next_inputs() {
    // This seed's first inputs put 7 of the 27 elements of the convolution's
    // weight within a step of a kink.
    type Cnn = Sequential<(
        Conv2d<1, 3, 3, 6, 6, 6, 6, 1, 1>,
        MaxPool2d<2, 2, 3, 3>,
        Flatten<27>,
        Linear<27, 4>,
    )>;
    let cnn = || -> Cnn { Sequential::new((Conv2d::new(), MaxPool2d, Flatten, Linear::new())) };
    let seed = 8_225_016_211_096_452_949;
    let first = layer_kinks::<Rank3<1, 6, 6>, Cnn, 2>(cnn(), true, seed, seed);
    assert!(
        first.as_deref().is_some_and(|w| w.starts_with("0.weight: 7 of 27")),
        "{first:?}"
    );
    layer::<Rank3<1, 6, 6>, Cnn, 2>(cnn(), true, seed);
}

#[test]
fn a_point_crowded_with_kinks_moves_to_the_next_inputs() {
    // This seed's first inputs put 11 of the 20 checked elements of the
    // first convolution's weight within a step of a kink.
    let seed = 2_329_154_564_848_262_215;
    let first = network_kinks(fast_net(), seed, seed);
    assert!(
        first.as_deref().is_some_and(|w| w.starts_with("0.weight: 11 of 20")),
        "{first:?}"
    );
    whole_network(fast_net(), seed);
}

/// The regularisers leave biases alone unless asked, and the decoupled
/// decay scales weights by exactly `1 − lr · decoupled`.
#[test]
fn decay_chooses_parameters_by_kind() -> Result<(), Error> {
    let (mut tape, mut arena) = buffers(8, 64);
    let mut g = Graph::new(&mut tape, &mut arena, layout(6, 8))?;
    let x = g.input::<1, Rank1<2>>()?;
    let w = g.param::<Rank2<2, 2>>(ParamKind::Weight, Init::TorchDefault, 2, 2)?;
    let b = g.param::<Rank1<2>>(ParamKind::Bias, Init::TorchDefault, 2, 2)?;
    let y = g.linear(x, w, b)?;
    let _ = g.mean(y)?;
    g.params_mut().copy_from_slice(&[1.0, -2.0, 0.0, 4.0, 0.5, -0.5]);
    g.zero_grad();
    g.add_penalty_grads(&WeightDecay {
        l2: 0.5,
        l1: 0.25,
        ..WeightDecay::default()
    });
    assert_eq!(g.param_grads(), &[0.75, -1.25, 0.0, 2.25, 0.0, 0.0]);
    assert_eq!(g.penalty(&WeightDecay::l2(0.5)), 0.25 * (1.0 + 4.0 + 16.0));
    g.decay_params(
        &WeightDecay {
            decoupled: 0.5,
            biases: true,
            ..WeightDecay::default()
        },
        0.1,
    );
    assert_eq!(g.params(), &[0.95, -1.9, 0.0, 3.8, 0.475, -0.475]);
    Ok(())
}
