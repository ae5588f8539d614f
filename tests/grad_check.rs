//! Analytic gradients against central finite differences in f64, for every
//! op, layer and loss, over random values, seeds, partial batches and
//! several shapes; then for the whole networks of the report.
//!
//! Tolerance: relative error ≤ 1e-6 with an absolute floor of 1e-8 (see
//! `common/mod.rs`). Values keep away from kinks (ReLU at 0, ties in a
//! max-pooling window) and clamps (probabilities in `[0.05, 0.95]`); whole
//! networks with ReLU or max pooling are checked piecewise (see
//! `common::check_piecewise`).

mod common;

use common::{buffers, check, fill, layout, uniform};
use flambeau::{Error, Graph, Init, ParamKind, Rank0, Rank1, Rank2, Rank3, Scalar, Shape, Var};
use proptest::prelude::*;

const CASES: u32 = 16;

type G<'a, 'b> = &'a mut Graph<'b, f64>;
type Unary<const B: usize, S> = for<'a, 'b> fn(G<'a, 'b>, Var<B, S>) -> Result<Var<B, S>, Error>;
type Binary<const B: usize, S> = for<'a, 'b> fn(G<'a, 'b>, Var<B, S>, Var<B, S>) -> Result<Var<B, S>, Error>;

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

fn unary<const B: usize, S: Shape>(op: Unary<B, S>, lo: f64, hi: f64, seed: u64) {
    let (mut tape, mut arena) = buffers(8, 4 * 8 * B * S::SIZE + 8);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 4 * B * S::SIZE + 4)).unwrap();
    let x = g.input_with_grad::<B, S>().unwrap();
    let y = op(&mut g, x).unwrap();
    let loss = probe(&mut g, y, seed);
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &uniform(seed, B * S::SIZE, lo, hi));
    check(&mut g, loss, x, usize::MAX, "x");
}

/// Away from ReLU's kink at 0: values in ±[0.01, 3].
fn relu_case<const B: usize, const N: usize>(seed: u64) {
    let (mut tape, mut arena) = buffers(8, 16 * B * N + 8);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 4 * B * N + 4)).unwrap();
    let x = g.input_with_grad::<B, Rank1<N>>().unwrap();
    let y = g.relu(x).unwrap();
    let loss = probe(&mut g, y, seed);
    g.set_rows(rows_of::<B>(seed)).unwrap();
    let xs: Vec<f64> = uniform(seed, B * N, 0.01, 3.0)
        .iter()
        .enumerate()
        .map(|(i, v)| if i % 2 == 0 { *v } else { -v })
        .collect();
    fill(&mut g, x, &xs);
    check(&mut g, loss, x, usize::MAX, "x");
}

/// A binary op or an element-wise loss term; `b` ranges separately.
fn binary<const B: usize, S: Shape>(op: Binary<B, S>, a_range: (f64, f64), b_range: (f64, f64), seed: u64) {
    let (mut tape, mut arena) = buffers(8, 16 * B * S::SIZE + 8);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 5 * B * S::SIZE + 4)).unwrap();
    let a = g.input_with_grad::<B, S>().unwrap();
    let b = g.input_with_grad::<B, S>().unwrap();
    let y = op(&mut g, a, b).unwrap();
    let loss = probe(&mut g, y, seed);
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, a, &uniform(seed, B * S::SIZE, a_range.0, a_range.1));
    fill(&mut g, b, &uniform(seed + 1, B * S::SIZE, b_range.0, b_range.1));
    check(&mut g, loss, a, usize::MAX, "a");
    check(&mut g, loss, b, usize::MAX, "b");
}

fn reduction<const B: usize, S: Shape>(rows_mean: bool, seed: u64) {
    let (mut tape, mut arena) = buffers(4, 8 * B * S::SIZE + 8);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, B * S::SIZE + 1)).unwrap();
    let x = g.input_with_grad::<B, S>().unwrap();
    let loss = if rows_mean { g.mean_rows(x) } else { g.mean(x) }.unwrap();
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &uniform(seed, B * S::SIZE, -3.0, 3.0));
    check(&mut g, loss, x, usize::MAX, "x");
}

fn cross_entropy_logits<const B: usize, const N: usize>(seed: u64) {
    let (mut tape, mut arena) = buffers(8, 16 * B * N + 16);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 3 * B * N + 4 * B + 4)).unwrap();
    let z = g.input_with_grad::<B, Rank1<N>>().unwrap();
    let t = g.input_with_grad::<B, Rank1<N>>().unwrap();
    let l = g.cross_entropy_logits(z, t).unwrap();
    let loss = probe::<B, Rank0>(&mut g, l, seed);
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, z, &uniform(seed, B * N, -4.0, 4.0));
    fill(&mut g, t, &uniform(seed + 1, B * N, 0.0, 1.0));
    check(&mut g, loss, z, usize::MAX, "z");
    check(&mut g, loss, t, usize::MAX, "t");
}

fn linear<const B: usize, const IN: usize, const OUT: usize>(seed: u64) {
    let (mut tape, mut arena) = buffers(8, 4096);
    let mut g = Graph::new(&mut tape, &mut arena, layout(OUT * IN + OUT, 4 * B * (IN + OUT) + 4)).unwrap();
    let x = g.input_with_grad::<B, Rank1<IN>>().unwrap();
    let w = g
        .param::<Rank2<OUT, IN>>(ParamKind::Weight, Init::XavierNormal, IN, OUT)
        .unwrap();
    let b = g
        .param::<Rank1<OUT>>(ParamKind::Bias, Init::TorchDefault, IN, OUT)
        .unwrap();
    let y = g.linear(x, w, b).unwrap();
    let loss = probe(&mut g, y, seed);
    g.init_params(&mut flambeau::Rng::new(seed));
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &uniform(seed, B * IN, -2.0, 2.0));
    check(&mut g, loss, x, usize::MAX, "x");
    check(&mut g, loss, w, usize::MAX, "weight");
    check(&mut g, loss, b, usize::MAX, "bias");
}

#[allow(clippy::type_complexity)]
fn conv1d<
    const B: usize,
    const CI: usize,
    const CO: usize,
    const K: usize,
    const LI: usize,
    const LO: usize,
    const S: usize,
>(
    seed: u64,
) {
    let (mut tape, mut arena) = buffers(8, 8192);
    let params = CO * CI * K + CO;
    let mut g = Graph::new(&mut tape, &mut arena, layout(params, 4 * B * (CI * LI + CO * LO) + 4)).unwrap();
    let x = g.input_with_grad::<B, Rank2<CI, LI>>().unwrap();
    let w = g
        .param::<Rank3<CO, CI, K>>(ParamKind::Weight, Init::HeNormal, CI * K, CO * K)
        .unwrap();
    let b = g
        .param::<Rank1<CO>>(ParamKind::Bias, Init::TorchDefault, CI * K, CO * K)
        .unwrap();
    let y = g.conv1d::<B, CI, CO, K, LI, LO, S>(x, w, b).unwrap();
    let loss = probe(&mut g, y, seed);
    g.init_params(&mut flambeau::Rng::new(seed));
    g.set_rows(rows_of::<B>(seed)).unwrap();
    fill(&mut g, x, &uniform(seed, B * CI * LI, -2.0, 2.0));
    check(&mut g, loss, x, usize::MAX, "x");
    check(&mut g, loss, w, usize::MAX, "weight");
    check(&mut g, loss, b, usize::MAX, "bias");
}

/// Distinct values per window (a shuffled ramp plus small noise), so no tie sits within `h`.
fn max_pool1d<const B: usize, const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize>(
    seed: u64,
) {
    let (mut tape, mut arena) = buffers(8, 8192);
    let mut g = Graph::new(&mut tape, &mut arena, layout(0, 4 * B * C * (LI + LO) + 4)).unwrap();
    let x = g.input_with_grad::<B, Rank2<C, LI>>().unwrap();
    let y = g.max_pool1d::<B, C, LI, K, S, LO>(x).unwrap();
    let loss = probe(&mut g, y, seed);
    g.set_rows(rows_of::<B>(seed)).unwrap();
    let mut ramp: Vec<f64> = (0..B * C * LI).map(|i| i as f64 * 0.1).collect();
    flambeau::Rng::new(seed).shuffle(&mut ramp);
    let noise = uniform(seed, ramp.len(), -0.01, 0.01);
    let xs: Vec<f64> = ramp.iter().zip(&noise).map(|(r, n)| r + n).collect();
    fill(&mut g, x, &xs);
    check(&mut g, loss, x, usize::MAX, "x");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn tanh_grad(seed in any::<u64>()) {
        unary::<1, Rank1<1>>(|g, x| g.tanh(x), -3.0, 3.0, seed);
        unary::<3, Rank1<5>>(|g, x| g.tanh(x), -3.0, 3.0, seed);
        unary::<2, Rank2<3, 6>>(|g, x| g.tanh(x), -3.0, 3.0, seed);
    }

    #[test]
    fn sigmoid_grad(seed in any::<u64>()) {
        unary::<1, Rank1<1>>(|g, x| g.sigmoid(x), -6.0, 6.0, seed);
        unary::<3, Rank1<17>>(|g, x| g.sigmoid(x), -6.0, 6.0, seed);
    }

    #[test]
    fn relu_grad(seed in any::<u64>()) {
        relu_case::<1, 1>(seed);
        relu_case::<3, 17>(seed);
    }

    #[test]
    fn softmax_grad(seed in any::<u64>()) {
        unary::<1, Rank1<1>>(|g, x| g.softmax(x), -4.0, 4.0, seed);
        unary::<3, Rank1<10>>(|g, x| g.softmax(x), -4.0, 4.0, seed);
    }

    #[test]
    fn log_softmax_grad(seed in any::<u64>()) {
        unary::<1, Rank1<2>>(|g, x| g.log_softmax(x), -4.0, 4.0, seed);
        unary::<3, Rank1<10>>(|g, x| g.log_softmax(x), -4.0, 4.0, seed);
    }

    #[test]
    fn square_grad(seed in any::<u64>()) {
        unary::<2, Rank1<9>>(|g, x| g.square(x), -3.0, 3.0, seed);
    }

    #[test]
    fn add_sub_mul_grad(seed in any::<u64>()) {
        binary::<2, Rank1<9>>(|g, a, b| g.add(a, b), (-3.0, 3.0), (-3.0, 3.0), seed);
        binary::<2, Rank1<9>>(|g, a, b| g.sub(a, b), (-3.0, 3.0), (-3.0, 3.0), seed);
        binary::<3, Rank2<2, 5>>(|g, a, b| g.mul(a, b), (-3.0, 3.0), (-3.0, 3.0), seed);
    }

    #[test]
    fn mean_grad(seed in any::<u64>()) {
        reduction::<1, Rank1<1>>(false, seed);
        reduction::<4, Rank1<7>>(false, seed);
        reduction::<4, Rank1<7>>(true, seed);
    }

    #[test]
    fn bce_grad(seed in any::<u64>()) {
        binary::<3, Rank1<4>>(|g, p, t| g.bce(p, t), (0.05, 0.95), (0.0, 1.0), seed);
        binary::<3, Rank1<4>>(|g, z, t| g.bce_logits(z, t), (-6.0, 6.0), (0.0, 1.0), seed);
    }

    #[test]
    fn cross_entropy_grad(seed in any::<u64>()) {
        binary::<3, Rank1<5>>(|g, p, t| g.cross_entropy_prob(p, t), (0.05, 0.95), (0.0, 1.0), seed);
        cross_entropy_logits::<1, 2>(seed);
        cross_entropy_logits::<3, 10>(seed);
    }

    #[test]
    fn kl_div_grad(seed in any::<u64>()) {
        binary::<3, Rank1<5>>(|g, x, t| g.kl_div(x, t), (-4.0, 0.0), (0.05, 1.0), seed);
    }

    #[test]
    fn linear_grad(seed in any::<u64>()) {
        linear::<1, 1, 1>(seed);
        linear::<3, 5, 4>(seed);
        linear::<2, 17, 9>(seed);
        // full register tiles of the matrix products, and their remainders
        linear::<5, 37, 9>(seed);
        linear::<8, 32, 8>(seed);
    }

    #[test]
    fn conv1d_grad(seed in any::<u64>()) {
        conv1d::<1, 1, 1, 1, 4, 4, 1>(seed);
        conv1d::<2, 2, 3, 3, 9, 7, 1>(seed);
        conv1d::<2, 3, 2, 3, 10, 4, 2>(seed);
    }

    #[test]
    fn max_pool1d_grad(seed in any::<u64>()) {
        max_pool1d::<1, 1, 4, 2, 2, 2>(seed);
        max_pool1d::<2, 3, 9, 3, 2, 4>(seed);
        max_pool1d::<2, 2, 7, 3, 1, 5>(seed);
    }
}

mod networks {
    use super::common::{at_an_uncrowded_point, check, check_piecewise_kinks, crowded, param_ranges, uniform};
    use flambeau::{
        BceLoss, Conv1d, CrossEntropyLoss, Flatten, Footprint, Linear, Loss, MaxPool1d, Model, MseLoss, Node, ReLU,
        Rng, Sequential, Shape, Sigmoid, Tanh, Trainer,
    };
    use proptest::prelude::*;

    /// Parameter elements checked per tensor (spread evenly): whole networks
    /// hold up to 400k parameters.
    const PER_TENSOR: usize = 24;

    type UspsMlp = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
    type Checkerboard = Sequential<(Linear<2, 16>, Tanh, Linear<16, 1>, Sigmoid)>;
    type CnnSmall = Sequential<(
        Conv1d<1, 32, 3, 256, 254>,
        MaxPool1d<2, 2, 127>,
        Flatten<4064>,
        Linear<4064, 10>,
    )>;
    type CnnReport = Sequential<(
        Conv1d<1, 32, 3, 256, 254>,
        MaxPool1d<2, 2, 127>,
        Flatten<4064>,
        Linear<4064, 100>,
        ReLU,
        Linear<100, 10>,
    )>;

    /// Builds `model` with `loss` at batch `B`, feeds random inputs and
    /// targets, and checks every parameter tensor (a piecewise-smooth model
    /// at the next inputs when the first are crowded with kinks:
    /// [`at_an_uncrowded_point`]).
    fn network<M: Model + Clone, L: Loss<M::Output> + Clone, const B: usize>(
        model: M,
        loss: L,
        one_hot: bool,
        piecewise: bool,
        seed: u64,
    ) {
        at_an_uncrowded_point(seed, |point| {
            network_at::<M, L, B>(model.clone(), loss.clone(), one_hot, piecewise, seed, point)
        });
    }

    /// [`network`] at the inputs and targets drawn from `point`: `None`, or
    /// the tensor with more than a quarter of its elements near a kink.
    fn network_at<M: Model, L: Loss<M::Output>, const B: usize>(
        model: M,
        loss: L,
        one_hot: bool,
        piecewise: bool,
        seed: u64,
        point: u64,
    ) -> Option<String> {
        let mut tape = vec![Node::EMPTY; Footprint::<M, L, B>::NODES];
        let mut arena = vec![0.0f64; Footprint::<M, L, B>::ARENA];
        let mut net = Trainer::<f64, M, L, B>::new(model, loss, &mut tape, &mut arena).unwrap();
        net.init(&mut Rng::new(seed));
        let (n_in, n_out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
        let rows = 1 + seed as usize % B;
        let x = uniform(point, rows * n_in, 0.0, 1.0);
        let t: Vec<f64> = if one_hot {
            let labels = uniform(point.wrapping_add(1), rows, 0.0, n_out as f64);
            (0..rows * n_out)
                .map(|i| f64::from(u8::from(i % n_out == labels[i / n_out] as usize)))
                .collect()
        } else {
            uniform(point.wrapping_add(1), rows * n_out, 0.0, 1.0)
        };
        net.set_batch(&x, &t).unwrap();
        let loss = net.loss();
        let g = net.graph_mut();
        param_ranges(g).into_iter().find_map(|(name, range)| {
            if piecewise {
                crowded(&name, check_piecewise_kinks(g, loss, range, PER_TENSOR, &name), point)
            } else {
                check(g, loss, range, PER_TENSOR, &name);
                None
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4))]

        #[test]
        fn usps_mlp_grad(seed in any::<u64>()) {
            let mlp = || Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()));
            network::<UspsMlp, CrossEntropyLoss, 3>(mlp(), CrossEntropyLoss, true, false, seed);
            network::<UspsMlp, MseLoss, 3>(mlp(), MseLoss, true, false, seed);
        }

        #[test]
        fn checkerboard_grad(seed in any::<u64>()) {
            let net = Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid));
            network::<Checkerboard, BceLoss, 8>(net, BceLoss, false, false, seed);
        }

        #[test]
        fn cnn_1d_grad(seed in any::<u64>()) {
            let small = Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new()));
            network::<CnnSmall, CrossEntropyLoss, 2>(small, CrossEntropyLoss, true, true, seed);
            let report = Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new(), ReLU, Linear::new()));
            network::<CnnReport, CrossEntropyLoss, 2>(report, CrossEntropyLoss, true, true, seed);
        }
    }
}

/// Layers through `Module::build` and losses through `Loss::build`: the same
/// checks, on the code paths users take.
mod layers_and_losses {
    use super::common::{buffers, check, check_piecewise, fill, layout, param_ranges, uniform};
    use flambeau::{
        BceLoss, BceWithLogitsLoss, Conv1d, CrossEntropyLoss, CrossEntropyProbLoss, Flatten, Graph, KlDivLoss, Linear,
        LogSoftmax, Loss, MaxPool1d, Module, MseLoss, Rank1, Rank2, ReLU, Rng, Sequential, Shape, Sigmoid, Softmax,
        Tanh,
    };
    use proptest::prelude::*;

    /// Builds `m` on an input with gradient, probes its output, and checks
    /// the input and every parameter tensor.
    fn layer<In: Shape, M: Module<In>, const B: usize>(m: M, lo: f64, hi: f64, piecewise: bool, seed: u64) {
        let (mut tape, mut arena) = buffers(64, 2 * (M::PARAMS + 4 * B * (In::SIZE + M::ACTIVATIONS) + 8));
        let lay = layout(M::PARAMS, 4 * B * (In::SIZE + M::ACTIVATIONS) + 8);
        let mut g = Graph::new(&mut tape, &mut arena, lay).unwrap();
        let x = g.input_with_grad::<B, In>().unwrap();
        let y = m.build(&mut g, x).unwrap();
        let loss = super::probe(&mut g, y, seed);
        g.init_params(&mut Rng::new(seed));
        g.set_rows(super::rows_of::<B>(seed)).unwrap();
        let mut xs = uniform(seed, B * In::SIZE, lo, hi);
        if piecewise {
            // distinct values, so max-pooling windows hold no near-ties
            xs.iter_mut().enumerate().for_each(|(i, v)| *v += i as f64 * 1e-3);
        }
        fill(&mut g, x, &xs);
        let run = if piecewise {
            check_piecewise::<flambeau::Var<B, In>>
        } else {
            check::<flambeau::Var<B, In>>
        };
        run(&mut g, loss, x, usize::MAX, "x");
        for (name, range) in param_ranges(&g) {
            if piecewise {
                check_piecewise(&mut g, loss, range, usize::MAX, &name);
            } else {
                check(&mut g, loss, range, usize::MAX, &name);
            }
        }
    }

    fn loss<L: Loss<Rank1<N>>, const B: usize, const N: usize>(l: L, y: (f64, f64), t: (f64, f64), seed: u64) {
        let (mut tape, mut arena) = buffers(8, 2 * (6 * B * N + 8));
        let mut g = Graph::new(&mut tape, &mut arena, layout(0, 6 * B * N + 8)).unwrap();
        let yv = g.input_with_grad::<B, Rank1<N>>().unwrap();
        let tv = g.input_with_grad::<B, Rank1<N>>().unwrap();
        let s = l.build(&mut g, yv, tv).unwrap();
        g.set_rows(super::rows_of::<B>(seed)).unwrap();
        fill(&mut g, yv, &uniform(seed, B * N, y.0, y.1));
        fill(&mut g, tv, &uniform(seed + 1, B * N, t.0, t.1));
        check(&mut g, s, yv, usize::MAX, "output");
        check(&mut g, s, tv, usize::MAX, "target");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(super::CASES))]

        #[test]
        fn linear_layer_grad(seed in any::<u64>()) {
            layer::<Rank1<7>, Linear<7, 5>, 3>(Linear::new(), -2.0, 2.0, false, seed);
        }

        #[test]
        fn conv_pool_flatten_layers_grad(seed in any::<u64>()) {
            layer::<Rank2<2, 11>, Conv1d<2, 3, 3, 11, 9>, 2>(Conv1d::new(), -2.0, 2.0, false, seed);
            layer::<Rank2<2, 11>, Conv1d<2, 3, 3, 11, 5, 2>, 2>(Conv1d::new(), -2.0, 2.0, false, seed);
            layer::<Rank2<3, 8>, MaxPool1d<2, 2, 4>, 2>(MaxPool1d, -2.0, 2.0, true, seed);
            let cnn = Sequential::new((Conv1d::<1, 4, 3, 16, 14>::new(), MaxPool1d::<2, 2, 7>, Flatten::<28>, Linear::<28, 3>::new()));
            layer::<Rank2<1, 16>, _, 2>(cnn, -2.0, 2.0, true, seed);
        }

        #[test]
        fn activation_layers_grad(seed in any::<u64>()) {
            let smooth = Sequential::new((Linear::<6, 5>::new(), Tanh, Linear::<5, 5>::new(), Sigmoid, Linear::<5, 4>::new(), Softmax));
            layer::<Rank1<6>, _, 3>(smooth, -2.0, 2.0, false, seed);
            let logs = Sequential::new((Linear::<6, 4>::new(), LogSoftmax));
            layer::<Rank1<6>, _, 3>(logs, -2.0, 2.0, false, seed);
            let relu = Sequential::new((Linear::<6, 8>::new(), ReLU, Linear::<8, 2>::new()));
            layer::<Rank1<6>, _, 3>(relu, -2.0, 2.0, true, seed);
        }

        #[test]
        fn loss_grads(seed in any::<u64>()) {
            loss::<MseLoss, 3, 4>(MseLoss, (-2.0, 2.0), (-2.0, 2.0), seed);
            loss::<BceLoss, 3, 4>(BceLoss, (0.05, 0.95), (0.0, 1.0), seed);
            loss::<BceWithLogitsLoss, 3, 4>(BceWithLogitsLoss, (-5.0, 5.0), (0.0, 1.0), seed);
            loss::<CrossEntropyLoss, 3, 5>(CrossEntropyLoss, (-4.0, 4.0), (0.0, 1.0), seed);
            loss::<CrossEntropyProbLoss, 3, 5>(CrossEntropyProbLoss, (0.05, 0.95), (0.0, 1.0), seed);
            loss::<KlDivLoss, 3, 5>(KlDivLoss, (-4.0, 0.0), (0.05, 1.0), seed);
        }
    }
}
