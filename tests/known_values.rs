//! Known values through the public graph API, each against a result computed
//! by hand (the computation is in a comment beside it), and the properties
//! the rest of the crate leans on: partial batches average over their valid
//! rows only, tied weights sum their gradients, a seed fixes a run bit for
//! bit, the tape and models print themselves, capacity failures are values,
//! and the footprint constants are the sizes the graph really uses.

use flambeau::{
    BceLoss, BceWithLogitsLoss, CrossEntropyLoss, CrossEntropyProbLoss, Error, Float, Footprint, Graph, Init,
    KlDivLoss, Layout, Linear, LogSoftmax, Loss, Model, MseLoss, Node, Param, ParamKind, Rank1, Rank2, Rank3, Rng,
    Sequential, Sgd, Shape, Sigmoid, Softmax, Tanh, Trainer,
};

/// A tape and an arena for a graph of at most `params` parameter and
/// `values` activation scalars.
struct Mem<T> {
    tape: Vec<Node>,
    arena: Vec<T>,
    layout: Layout,
}

impl<T: Float> Mem<T> {
    fn new(params: usize, values: usize) -> Self {
        let layout = Layout {
            params,
            values,
            grads: true,
        };
        Mem {
            tape: vec![Node::EMPTY; 32],
            arena: vec![T::ZERO; layout.arena_len()],
            layout,
        }
    }

    fn graph(&mut self) -> Graph<'_, T> {
        Graph::new(&mut self.tape, &mut self.arena, self.layout).unwrap()
    }
}

/// A parameter of shape `S` holding `values` (parameters are laid out in
/// tape order, so the newest one is the tail of `params_mut`).
fn param_with<T: Float, S: Shape>(g: &mut Graph<'_, T>, kind: ParamKind, values: &[T]) -> Param<S> {
    assert_eq!(values.len(), S::SIZE);
    let start = g.params().len();
    let p = g.param::<S>(kind, Init::Zeros, 1, 1).unwrap();
    g.params_mut()[start..].copy_from_slice(values);
    p
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}[{i}]: got {g}, want {w} (all: {got:?})");
    }
}

// --- softmax and log-softmax -----------------------------------------------

// softmax([1, 2, 3]): e¹ = 2.718281828459045, e² = 7.38905609893065,
// e³ = 20.085536923187668, sum = 30.19287485057736, so
// [0.09003057317038046, 0.24472847105479764, 0.6652409557748219].
// log_softmax: lse = 3 + ln(1 + e⁻¹ + e⁻²) = 3 + ln 1.5032147244080551
// = 3.40760596444438, so [1, 2, 3] − lse = [−2.40760596444438,
// −1.40760596444438, −0.40760596444438].
const SOFTMAX_123: [f64; 3] = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];
const LOG_SOFTMAX_123: [f64; 3] = [-2.40760596444438, -1.40760596444438, -0.40760596444438];

#[test]
fn softmax_of_1_2_3() {
    let mut mem = Mem::<f64>::new(0, 64);
    let mut g = mem.graph();
    let x = g.input::<2, Rank1<3>>().unwrap();
    let y = g.softmax(x).unwrap();
    // The second row is shifted by 100: softmax is shift-invariant.
    g.set_input(x, &[1.0, 2.0, 3.0, 101.0, 102.0, 103.0]).unwrap();
    g.forward();
    let want: Vec<f64> = SOFTMAX_123.iter().chain(&SOFTMAX_123).copied().collect();
    assert_close("softmax", g.value(y), &want, 1e-15);
}

#[test]
fn log_softmax_of_1_2_3() {
    let mut mem = Mem::<f64>::new(0, 64);
    let mut g = mem.graph();
    let x = g.input::<2, Rank1<3>>().unwrap();
    let y = g.log_softmax(x).unwrap();
    g.set_input(x, &[1.0, 2.0, 3.0, -99.0, -98.0, -97.0]).unwrap();
    g.forward();
    let want: Vec<f64> = LOG_SOFTMAX_123.iter().chain(&LOG_SOFTMAX_123).copied().collect();
    assert_close("log_softmax", g.value(y), &want, 1e-13);
}

#[test]
fn log_softmax_in_f32_of_huge_logits_is_exact() {
    // [1e30, 0]: the first element dominates, lse = 1e30, so [0, −1e30].
    let mut mem = Mem::<f32>::new(0, 16);
    let mut g = mem.graph();
    let x = g.input::<1, Rank1<2>>().unwrap();
    let y = g.log_softmax(x).unwrap();
    g.set_input(x, &[1e30, 0.0]).unwrap();
    g.forward();
    assert_eq!(g.value(y), &[0.0, -1e30]);
}

#[test]
fn log_softmax_and_cross_entropy_of_equal_huge_logits() {
    // [c, c] for any c: log_softmax = [−ln 2, −ln 2]; cross-entropy against
    // class 0 is ln 2 = 0.6931472 with gradient softmax − t = [−½, ½].
    // Computing (x − m) − ln Σ e^(x − m) keeps this exact for every c;
    // x − (m + ln Σ) rounds ln 2 away once the spacing of f32 near c exceeds it.
    for c in [0.0f32, 1e6, 1e7, 1e8, 1e30, -1e30] {
        let mut mem = Mem::<f32>::new(0, 64);
        let mut g = mem.graph();
        let x = g.input_with_grad::<1, Rank1<2>>().unwrap();
        let y = g.log_softmax(x).unwrap();
        let t = g.input::<1, Rank1<2>>().unwrap();
        let l = CrossEntropyLoss.build(&mut g, x, t).unwrap();
        g.set_input(x, &[c, c]).unwrap();
        g.set_input(t, &[1.0, 0.0]).unwrap();
        g.forward();
        g.backward(l).unwrap();
        let ln2 = core::f64::consts::LN_2;
        let f = |v: &[f32]| v.iter().map(|&e| f64::from(e)).collect::<Vec<f64>>();
        assert_close(&format!("log_softmax at {c}"), &f(g.value(y)), &[-ln2, -ln2], 1e-6);
        assert_close(
            &format!("cross-entropy at {c}"),
            &f(&[g.scalar(l).unwrap()]),
            &[ln2],
            1e-6,
        );
        assert_close(&format!("gradient at {c}"), &f(g.grad(x)), &[-0.5, 0.5], 1e-6);
    }
}

// --- conv1d ------------------------------------------------------------------

// Input (one sample, 2 channels of length 5):
//   x₀ = [1, 2, 3, 4, 5], x₁ = [0, −1, 2, 1, 0]
// Weight [out][in][k] and bias:
//   w₀ = [[1, 2], [0, −1]], w₁ = [[−1, 0], [3, 1]], b = [0.5, −1]
// y[o][l] = b[o] + Σ_c Σ_j w[o][c][j] x[c][l·s + j]
const CONV_X: [f64; 10] = [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, -1.0, 2.0, 1.0, 0.0];
const CONV_W: [f64; 8] = [1.0, 2.0, 0.0, -1.0, -1.0, 0.0, 3.0, 1.0];
const CONV_B: [f64; 2] = [0.5, -1.0];

#[test]
fn conv1d_stride_1_by_hand() {
    // Stride 1, L_OUT = (5 − 2) / 1 + 1 = 4.
    // o = 0: 0.5 + (x₀[l] + 2 x₀[l+1]) − x₁[l+1]
    //   l=0: 0.5 + (1 + 4) − (−1) = 6.5    l=1: 0.5 + (2 + 6) − 2 = 6.5
    //   l=2: 0.5 + (3 + 8) − 1 = 10.5      l=3: 0.5 + (4 + 10) − 0 = 14.5
    // o = 1: −1 − x₀[l] + 3 x₁[l] + x₁[l+1]
    //   l=0: −1 − 1 + 0 − 1 = −3           l=1: −1 − 2 − 3 + 2 = −4
    //   l=2: −1 − 3 + 6 + 1 = 3            l=3: −1 − 4 + 3 + 0 = −2
    // The second sample is −x, whose output is 2b − y:
    //   o = 0: 1 − y, o = 1: −2 − y.
    let mut mem = Mem::<f64>::new(16, 64);
    let mut g = mem.graph();
    let x = g.input::<2, Rank2<2, 5>>().unwrap();
    let w = param_with::<f64, Rank3<2, 2, 2>>(&mut g, ParamKind::Weight, &CONV_W);
    let b = param_with::<f64, Rank1<2>>(&mut g, ParamKind::Bias, &CONV_B);
    let y = g.conv1d::<2, 2, 2, 2, 5, 4, 1>(x, w, b).unwrap();
    let neg: Vec<f64> = CONV_X.iter().map(|v| -v).collect();
    let both: Vec<f64> = CONV_X.iter().chain(&neg).copied().collect();
    g.set_input(x, &both).unwrap();
    g.forward();
    #[rustfmt::skip]
    let want = [
        6.5, 6.5, 10.5, 14.5, -3.0, -4.0, 3.0, -2.0,
        -5.5, -5.5, -9.5, -13.5, 1.0, 2.0, -5.0, 0.0,
    ];
    assert_close("conv1d stride 1", g.value(y), &want, 0.0);
}

#[test]
fn conv1d_stride_2_by_hand() {
    // Stride 2, L_OUT = (5 − 2) / 2 + 1 = 2: the windows start at 0 and 2,
    // so the outputs are positions 0 and 2 of the stride-1 result:
    //   o = 0: [6.5, 10.5], o = 1: [−3, 3].
    // Gradients of mean(y) (4 outputs, ∂y = 1/4 each):
    //   ∂b[o] = 2 · 1/4 = 0.5
    //   ∂w[o][c][j] = 1/4 Σ_l x[c][2l + j]:
    //     c=0: j=0: (1 + 3)/4 = 1, j=1: (2 + 4)/4 = 1.5
    //     c=1: j=0: (0 + 2)/4 = 0.5, j=1: (−1 + 1)/4 = 0
    let mut mem = Mem::<f64>::new(16, 64);
    let mut g = mem.graph();
    let x = g.input::<1, Rank2<2, 5>>().unwrap();
    let w = param_with::<f64, Rank3<2, 2, 2>>(&mut g, ParamKind::Weight, &CONV_W);
    let b = param_with::<f64, Rank1<2>>(&mut g, ParamKind::Bias, &CONV_B);
    let y = g.conv1d::<1, 2, 2, 2, 5, 2, 2>(x, w, b).unwrap();
    let loss = g.mean(y).unwrap();
    g.set_input(x, &CONV_X).unwrap();
    g.forward();
    assert_close("conv1d stride 2", g.value(y), &[6.5, 10.5, -3.0, 3.0], 0.0);
    assert_eq!(g.scalar(loss).unwrap(), (6.5 + 10.5 - 3.0 + 3.0) / 4.0);
    g.backward(loss).unwrap();
    let want_grads = [1.0, 1.5, 0.5, 0.0, 1.0, 1.5, 0.5, 0.0, 0.5, 0.5];
    assert_close("conv1d stride 2 grads", g.param_grads(), &want_grads, 0.0);
}

// --- max_pool1d ----------------------------------------------------------------

/// A row of `N` values whose gradient is observable: `Linear<1, N>` with zero
/// weight, bias `values` and input 1 gives `y = values`, and `∂bias = ∂y`.
fn lifted<const N: usize>(g: &mut Graph<'_, f64>, values: &[f64]) -> flambeau::Var<1, Rank1<N>> {
    let one = g.input::<1, Rank1<1>>().unwrap();
    let w = param_with::<f64, Rank2<N, 1>>(g, ParamKind::Weight, &[0.0; N]);
    let b = param_with::<f64, Rank1<N>>(g, ParamKind::Bias, values);
    g.set_input(one, &[1.0]).unwrap();
    g.linear(one, w, b).unwrap()
}

#[test]
fn max_pool1d_by_hand() {
    // Two channels of length 5: c₀ = [1, 3, 2, 5, 4], c₁ = [−1, −2, −3, 0, −4].
    // K = 2, S = 2, L_OUT = (5 − 2)/2 + 1 = 2: windows [0, 1] and [2, 3]:
    //   c₀: max(1, 3) = 3, max(2, 5) = 5; c₁: max(−1, −2) = −1, max(−3, 0) = 0.
    // ∂ of mean over 4 outputs: 1/4 to each window's argmax (indices 1, 3 of
    // c₀ and 0, 3 of c₁); index 4 is in no window.
    // K = 3, S = 1, L_OUT = 3: c₀: 3, 5, 5; c₁: −1, 0, 0.
    let xs = [1.0, 3.0, 2.0, 5.0, 4.0, -1.0, -2.0, -3.0, 0.0, -4.0];
    let mut mem = Mem::<f64>::new(64, 64);
    let mut g = mem.graph();
    let x = lifted::<10>(&mut g, &xs).reshape::<Rank2<2, 5>>();
    let y = g.max_pool1d::<1, 2, 5, 2, 2, 2>(x).unwrap();
    let z = g.max_pool1d::<1, 2, 5, 3, 1, 3>(x).unwrap();
    let loss = g.mean(y).unwrap();
    g.forward();
    assert_close("pool k2 s2", g.value(y), &[3.0, 5.0, -1.0, 0.0], 0.0);
    assert_close("pool k3 s1", g.value(z), &[3.0, 5.0, 5.0, -1.0, 0.0, 0.0], 0.0);
    g.backward(loss).unwrap();
    let grad_x = &g.param_grads()[10..];
    let want = [0.0, 0.25, 0.0, 0.25, 0.0, 0.25, 0.0, 0.0, 0.25, 0.0];
    assert_close("pool grad", grad_x, &want, 0.0);
}

#[test]
fn max_pool1d_tie_goes_to_the_first_maximum() {
    // One channel [2, 2, 1, 1], K = S = 2: both windows tie; PyTorch routes
    // each window's gradient to its first maximum (indices 0 and 2).
    let mut mem = Mem::<f64>::new(64, 64);
    let mut g = mem.graph();
    let x = lifted::<4>(&mut g, &[2.0, 2.0, 1.0, 1.0]).reshape::<Rank2<1, 4>>();
    let y = g.max_pool1d::<1, 1, 4, 2, 2, 2>(x).unwrap();
    let loss = g.mean(y).unwrap();
    g.forward();
    g.backward(loss).unwrap();
    assert_close("tie grad", &g.param_grads()[4..], &[0.5, 0.0, 0.5, 0.0], 0.0);
}

// --- losses ----------------------------------------------------------------------

/// The loss `L` of outputs `y` against targets `t` (`R` rows of `N`).
fn loss_of<L: Loss<Rank1<N>>, const R: usize, const N: usize>(loss: L, y: &[f64], t: &[f64]) -> f64 {
    let mut mem = Mem::<f64>::new(0, 256);
    let mut g = mem.graph();
    let yv = g.input::<R, Rank1<N>>().unwrap();
    let tv = g.input::<R, Rank1<N>>().unwrap();
    let l = loss.build(&mut g, yv, tv).unwrap();
    g.set_input(yv, y).unwrap();
    g.set_input(tv, t).unwrap();
    g.forward();
    g.scalar(l).unwrap()
}

#[test]
fn bce_at_p_08_t_1() {
    // −(1 · ln 0.8 + 0 · ln 0.2) = −ln 0.8 = 0.22314355131420976
    let l = loss_of::<_, 1, 1>(BceLoss, &[0.8], &[1.0]);
    assert!((l - 0.223_143_551_314_209_76).abs() < 1e-15, "{l}");
    // And at t = 0: −ln 0.2 = 1.6094379124341003.
    let l = loss_of::<_, 1, 1>(BceLoss, &[0.8], &[0.0]);
    assert!((l - 1.609_437_912_434_100_3).abs() < 1e-15, "{l}");
}

#[test]
fn bce_with_logits_equals_bce_of_the_sigmoid() {
    // At z = 0 the loss is ln 2 = 0.6931471805599453 whatever t (the first
    // row); elsewhere BCEWithLogits(z, t) = BCE(σ(z), t).
    let z = [0.0, 0.0, -2.0, -0.5, 0.7, 3.0, 1.5, -4.0];
    let t = [0.0, 1.0, 0.0, 1.0, 0.3, 0.0, 1.0, 0.5];
    let p: Vec<f64> = z.iter().map(|&v| 1.0 / (1.0 + f64::exp(-v))).collect();
    let first = loss_of::<_, 1, 2>(BceWithLogitsLoss, &z[..2], &t[..2]);
    assert!((first - core::f64::consts::LN_2).abs() < 1e-15, "{first}");
    let logits = loss_of::<_, 4, 2>(BceWithLogitsLoss, &z, &t);
    let probs = loss_of::<_, 4, 2>(BceLoss, &p, &t);
    assert!((logits - probs).abs() < 1e-12, "{logits} vs {probs}");
}

#[test]
fn cross_entropy_on_logits_is_minus_log_softmax_at_the_target() {
    // Row 0 targets class 0: −log_softmax([1, 2, 3])₀ = 2.40760596444438;
    // row 1 targets class 2: 0.40760596444438; the mean over rows is
    // 1.40760596444438.
    let z = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
    let t = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    let l = loss_of::<_, 2, 3>(CrossEntropyLoss, &z, &t);
    assert!((l - 1.40760596444438).abs() < 1e-13, "{l}");
    let one = loss_of::<_, 1, 3>(CrossEntropyLoss, &z[..3], &t[..3]);
    assert!((one + LOG_SOFTMAX_123[0]).abs() < 1e-13, "{one}");
    // On probabilities, the same number from the softmax:
    let p: Vec<f64> = SOFTMAX_123.iter().chain(&SOFTMAX_123).copied().collect();
    let lp = loss_of::<_, 2, 3>(CrossEntropyProbLoss, &p, &t);
    assert!((lp - 1.40760596444438).abs() < 1e-13, "{lp}");
}

#[test]
fn kl_divergence_of_equal_distributions_is_zero() {
    // x = ln t: every term t (ln t − ln t) is 0; a zero target contributes 0.
    let t = [0.2, 0.3, 0.5, 0.0, 0.25, 0.75];
    let x: Vec<f64> = t.iter().map(|&v: &f64| if v > 0.0 { v.ln() } else { -5.0 }).collect();
    let l = loss_of::<_, 2, 3>(KlDivLoss, &x, &t);
    assert!(l.abs() < 1e-15, "{l}");
    // t = [½, ½], x = ln [¼, ¾]: ½ ln(½/¼) + ½ ln(½/¾) = ½ ln(4/3)
    // = 0.14384103622589042.
    let l = loss_of::<_, 1, 2>(KlDivLoss, &[0.25f64.ln(), 0.75f64.ln()], &[0.5, 0.5]);
    assert!((l - 0.143_841_036_225_890_42).abs() < 1e-15, "{l}");
}

#[test]
fn mse_of_a_known_pair() {
    // y − t = [1 − 0, 2 − 2, 3 − 5, 4 − 1] = [1, 0, −2, 3]; squares
    // [1, 0, 4, 9]; mean over all 4 elements = 14 / 4 = 3.5.
    let l = loss_of::<_, 2, 2>(MseLoss, &[1.0, 2.0, 3.0, 4.0], &[0.0, 2.0, 5.0, 1.0]);
    assert_eq!(l, 3.5);
}

// --- partial batches ---------------------------------------------------------

/// The same three rows through a trainer of batch 4 (`set_rows(3)`, the
/// fourth row of both buffers filled with garbage) and one of batch 3: the
/// loss, the outputs and every parameter gradient must agree exactly.
fn partial_batch_matches<M, L>(model: M, loss: L, targets: [f64; 6])
where
    M: Model<Input = Rank1<3>, Output = Rank1<2>> + Copy,
    L: Loss<Rank1<2>> + Copy,
{
    let inputs = [0.5, -1.0, 2.0, 1.5, 0.25, -0.75, -2.0, 1.0, 0.1];
    let params = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6, 0.05, -0.15];

    let mut tape4 = vec![Node::EMPTY; Footprint::<M, L, 4>::NODES];
    let mut arena4 = vec![0.0f64; Footprint::<M, L, 4>::ARENA];
    let mut four = Trainer::<f64, M, L, 4>::new(model, loss, &mut tape4, &mut arena4).unwrap();
    four.graph_mut().params_mut().copy_from_slice(&params);
    // Written in place, the fourth row garbage, then `set_rows(3)`.
    four.input_mut().fill(1e6);
    four.target_mut().fill(-7.0);
    four.input_mut()[..9].copy_from_slice(&inputs);
    four.target_mut()[..6].copy_from_slice(&targets);
    four.set_rows(3).unwrap();
    let loss4 = four.compute_grads().unwrap();

    let mut tape3 = vec![Node::EMPTY; Footprint::<M, L, 3>::NODES];
    let mut arena3 = vec![0.0f64; Footprint::<M, L, 3>::ARENA];
    let mut three = Trainer::<f64, M, L, 3>::new(model, loss, &mut tape3, &mut arena3).unwrap();
    three.graph_mut().params_mut().copy_from_slice(&params);
    three.set_batch(&inputs, &targets).unwrap();
    let loss3 = three.compute_grads().unwrap();

    let name = loss.to_string();
    assert!(loss3.is_finite() && loss3 != 0.0, "{name}: {loss3}");
    assert_eq!(loss4, loss3, "{name}: loss");
    assert_eq!(four.graph().param_grads(), three.graph().param_grads(), "{name}: grads");
    assert_eq!(four.forward(), three.forward(), "{name}: outputs");
}

#[test]
fn partial_batch_averages_over_valid_rows_for_every_loss() {
    let lin = Linear::<3, 2>::new();
    let probs = [0.2, 0.8, 0.6, 0.4, 0.5, 0.5];
    let one_hot = [0.0, 1.0, 1.0, 0.0, 0.0, 1.0];
    let reals = [0.3, -1.2, 2.0, 0.0, -0.5, 0.7];
    partial_batch_matches(lin, MseLoss, reals);
    partial_batch_matches(Sequential::new((lin, Sigmoid)), BceLoss, probs);
    partial_batch_matches(lin, BceWithLogitsLoss, probs);
    partial_batch_matches(lin, CrossEntropyLoss, one_hot);
    partial_batch_matches(Sequential::new((lin, Softmax)), CrossEntropyProbLoss, one_hot);
    partial_batch_matches(Sequential::new((lin, LogSoftmax)), KlDivLoss, probs);
}

#[test]
fn partial_batch_on_a_graph_with_set_rows() {
    // MSE over 3 valid rows of 1: [(1−0)², (2−0)², (3−0)²] / 3 = 14/3; the
    // fourth row (100) must not count.
    let mut mem = Mem::<f64>::new(0, 64);
    let mut g = mem.graph();
    let y = g.input::<4, Rank1<1>>().unwrap();
    let t = g.input::<4, Rank1<1>>().unwrap();
    let l = MseLoss.build(&mut g, y, t).unwrap();
    g.set_input(y, &[1.0, 2.0, 3.0, 100.0]).unwrap();
    g.set_input(t, &[0.0; 4]).unwrap();
    g.set_rows(3).unwrap();
    g.forward();
    assert_eq!(g.scalar(l).unwrap(), 14.0 / 3.0);
    assert_eq!(g.value(y).len(), 3);
    g.set_rows(4).unwrap();
    g.forward();
    assert_eq!(g.scalar(l).unwrap(), (14.0 + 10_000.0) / 4.0);
}

// --- tied weights ----------------------------------------------------------------

const TIE_W: [f64; 6] = [0.3, -0.7, 0.2, 0.5, 0.1, -0.4];
const TIE_B: [f64; 2] = [0.05, -0.1];
const TIE_X1: [f64; 6] = [1.0, 2.0, -1.0, 0.5, -0.5, 0.0];
const TIE_X2: [f64; 6] = [-2.0, 0.3, 0.8, 1.0, 1.0, 1.0];

/// `mean(tanh(x₁ Wᵀ + b) ⊙ (x₂ W'ᵀ + b'))`, with `W' = W`, `b' = b` the same
/// parameters when `tied`, else copies; returns the parameter gradients.
fn tie_grads(tied: bool) -> Vec<f64> {
    let mut mem = Mem::<f64>::new(64, 128);
    let mut g = mem.graph();
    let x1 = g.input::<2, Rank1<3>>().unwrap();
    let x2 = g.input::<2, Rank1<3>>().unwrap();
    let w = param_with::<f64, Rank2<2, 3>>(&mut g, ParamKind::Weight, &TIE_W);
    let b = param_with::<f64, Rank1<2>>(&mut g, ParamKind::Bias, &TIE_B);
    let (w2, b2) = if tied {
        (w, b)
    } else {
        (
            param_with::<f64, Rank2<2, 3>>(&mut g, ParamKind::Weight, &TIE_W),
            param_with::<f64, Rank1<2>>(&mut g, ParamKind::Bias, &TIE_B),
        )
    };
    let h1 = g.linear(x1, w, b).unwrap();
    let a1 = g.tanh(h1).unwrap();
    let h2 = g.linear(x2, w2, b2).unwrap();
    let prod = g.mul(a1, h2).unwrap();
    let loss = g.mean(prod).unwrap();
    g.set_input(x1, &TIE_X1).unwrap();
    g.set_input(x2, &TIE_X2).unwrap();
    g.forward();
    g.backward(loss).unwrap();
    g.param_grads().to_vec()
}

#[test]
fn tied_weights_sum_their_gradients() {
    let tied = tie_grads(true);
    let untied = tie_grads(false);
    assert_eq!(tied.len(), 8);
    assert_eq!(untied.len(), 16);
    let summed: Vec<f64> = (0..8).map(|i| untied[i] + untied[i + 8]).collect();
    assert_close("tied grads", &tied, &summed, 1e-15);
    // Both uses contribute: neither half alone is the tied gradient.
    assert!(tied.iter().zip(&untied[..8]).any(|(a, b)| (a - b).abs() > 1e-3));
}

// --- determinism -------------------------------------------------------------------

type Checker = Sequential<(Linear<2, 16>, Tanh, Linear<16, 1>, Sigmoid)>;
type CheckerFp = Footprint<Checker, BceLoss, 4>;

fn checker() -> Checker {
    Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid))
}

fn ten_steps(seed: u64) -> Vec<f32> {
    let mut tape = [Node::EMPTY; CheckerFp::NODES];
    let mut arena = vec![0.0f32; CheckerFp::ARENA];
    let mut net = Trainer::<f32, Checker, BceLoss, 4>::new(checker(), BceLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut Rng::new(seed));
    net.set_batch(&[0.1, 0.9, 0.6, 0.3, 0.8, 0.8, 0.2, 0.4], &[1.0, 0.0, 1.0, 0.0])
        .unwrap();
    let mut sgd = Sgd::new(0.5);
    for _ in 0..10 {
        net.step(&mut sgd).unwrap();
    }
    net.graph().params().to_vec()
}

#[test]
fn same_seed_gives_bit_identical_params_after_ten_steps() {
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<u32>>();
    let a = bits(ten_steps(42));
    assert_eq!(a.len(), 2 * 16 + 16 + 16 + 1);
    assert_eq!(a, bits(ten_steps(42)));
    assert_ne!(a, bits(ten_steps(43)));
}

// --- printing ----------------------------------------------------------------------

#[test]
fn tape_listing_exact_text() {
    let mut tape = [Node::EMPTY; CheckerFp::NODES];
    let mut arena = vec![0.0f32; CheckerFp::ARENA];
    let net = Trainer::<f32, Checker, BceLoss, 4>::new(checker(), BceLoss, &mut tape, &mut arena).unwrap();
    let want = "\
#0 input [4×2]
#1 param 0.weight [16×2]
#2 param 0.bias [16]
#3 linear(#0, #1, #2) [4×16]
#4 tanh(#3) [4×16]
#5 param 2.weight [1×16]
#6 param 2.bias [1]
#7 linear(#4, #5, #6) [4×1]
#8 sigmoid(#7) [4×1]
#9 input [4×1]
#10 bce(#8, #9) [4×1]
#11 mean(#10) []
";
    assert_eq!(net.graph().listing().to_string(), want);
    assert_eq!(net.graph().nodes().len(), CheckerFp::NODES);
}

#[test]
fn model_and_loss_display() {
    let mlp = Sequential::new((
        Linear::<256, 128>::new(),
        Tanh,
        Linear::<128, 64>::new(),
        Tanh,
        Linear::<64, 10>::new(),
    ));
    assert_eq!(
        mlp.to_string(),
        "Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)"
    );
    assert_eq!(checker().to_string(), "Linear(2,16) -> Tanh -> Linear(16,1) -> Sigmoid");
    assert_eq!(CrossEntropyLoss.to_string(), "CrossEntropyLoss");
    assert_eq!(MseLoss.to_string(), "MSELoss");
}

// --- capacity errors -----------------------------------------------------------------

#[test]
fn tape_too_short_is_tape_full() {
    // Trainer checks the whole tape up front: it needs Footprint::NODES = 12.
    let mut tape = [Node::EMPTY; CheckerFp::NODES - 1];
    let mut arena = vec![0.0f32; CheckerFp::ARENA];
    let err = Trainer::<f32, Checker, BceLoss, 4>::new(checker(), BceLoss, &mut tape, &mut arena).err();
    assert_eq!(
        err,
        Some(Error::TapeFull {
            capacity: 11,
            needed: 12
        })
    );
    // A graph runs out while recording: the third node needs 3 slots.
    let mut tape = [Node::EMPTY; 2];
    let mut arena = [0.0f32; 64];
    let layout = Layout {
        params: 0,
        values: 32,
        grads: false,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<2, Rank1<4>>().unwrap();
    let _ = g.tanh(x).unwrap();
    assert_eq!(g.tanh(x).err(), Some(Error::TapeFull { capacity: 2, needed: 3 }));
    assert_eq!(g.nodes().len(), 2);
}

#[test]
fn arena_too_short_is_buffer_too_small() {
    // Shorter than the layout: Graph::new refuses.
    let layout = Layout {
        params: 10,
        values: 20,
        grads: true,
    };
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 59];
    assert_eq!(
        Graph::new(&mut tape, &mut arena, layout).err(),
        Some(Error::BufferTooSmall {
            what: "arena",
            needed: 60,
            got: 59
        })
    );
    // A layout too small for what is recorded: the node that overflows says so.
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 60];
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<2, Rank1<6>>().unwrap(); // values 0..12
    assert_eq!(
        g.tanh(x).err(),
        Some(Error::BufferTooSmall {
            what: "arena (activations)",
            needed: 24,
            got: 20
        })
    );
    assert_eq!(
        g.param::<Rank2<3, 4>>(ParamKind::Weight, Init::Zeros, 4, 3).err(),
        Some(Error::BufferTooSmall {
            what: "arena (parameters)",
            needed: 12,
            got: 10
        })
    );
    // A trainer whose arena holds only the inference layout names the training size.
    let mut tape = [Node::EMPTY; CheckerFp::NODES];
    let mut arena = vec![0.0f32; CheckerFp::INFER_ARENA - 1];
    let err = Trainer::<f32, Checker, BceLoss, 4>::new(checker(), BceLoss, &mut tape, &mut arena).err();
    assert_eq!(
        err,
        Some(Error::BufferTooSmall {
            what: "arena",
            needed: CheckerFp::ARENA,
            got: CheckerFp::INFER_ARENA - 1
        })
    );
}

#[test]
fn training_arena_one_short_is_an_error() {
    // A trainer needs the whole training arena: one scalar short is named.
    let mut tape = [Node::EMPTY; CheckerFp::NODES];
    let mut arena = vec![0.0f32; CheckerFp::ARENA - 1];
    let err = Trainer::<f32, Checker, BceLoss, 4>::new(checker(), BceLoss, &mut tape, &mut arena).err();
    assert_eq!(
        err,
        Some(Error::BufferTooSmall {
            what: "arena",
            needed: CheckerFp::ARENA,
            got: CheckerFp::ARENA - 1
        })
    );
}

#[test]
fn rows_out_of_range() {
    let mut tape = [Node::EMPTY; CheckerFp::NODES];
    let mut arena = vec![0.0f32; CheckerFp::ARENA];
    let mut net = Trainer::<f32, Checker, BceLoss, 4>::new(checker(), BceLoss, &mut tape, &mut arena).unwrap();
    assert_eq!(net.set_rows(0), Err(Error::RowsOutOfRange { rows: 0, batch: 4 }));
    assert_eq!(net.set_rows(5), Err(Error::RowsOutOfRange { rows: 5, batch: 4 }));
    assert_eq!(net.set_rows(4), Ok(()));
    let g = net.graph_mut();
    assert_eq!(g.set_rows(0), Err(Error::RowsOutOfRange { rows: 0, batch: 4 }));
    assert_eq!(g.set_rows(5), Err(Error::RowsOutOfRange { rows: 5, batch: 4 }));
    assert_eq!(g.rows(), 4);
    // An empty batch through set_batch, and five rows in a batch of four.
    assert_eq!(
        net.set_batch(&[], &[]),
        Err(Error::RowsOutOfRange { rows: 0, batch: 4 })
    );
    assert_eq!(
        net.set_batch(&[0.0; 10], &[0.0; 5]),
        Err(Error::LengthMismatch {
            what: "input",
            expected: 8,
            got: 10
        })
    );
    // A graph with no batched tensor yet has batch 0: no row count is valid.
    let mut tape = [Node::EMPTY; 4];
    let mut arena = [0.0f32; 8];
    let layout = Layout {
        params: 4,
        values: 0,
        grads: false,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    assert_eq!(g.set_rows(1), Err(Error::RowsOutOfRange { rows: 1, batch: 0 }));
}

// --- footprint -------------------------------------------------------------------------

type Usps = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;

fn usps() -> Usps {
    Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()))
}

#[test]
fn usps_mlp_footprint_at_batch_32() {
    type Fp = Footprint<Usps, CrossEntropyLoss, 32>;
    // PARAMS: 256·128 + 128 + 128·64 + 64 + 64·10 + 10
    //       = 32768 + 128 + 8192 + 64 + 640 + 10 = 41802.
    assert_eq!(Fp::PARAMS, 41_802);
    // Per sample: input 256; activations 128 (linear) + 128 (tanh) + 64 + 64
    // + 10 = 394; target 10; one cross-entropy term. Plus the loss scalar:
    // VALUES = 32 · (256 + 394 + 10 + 1) + 1 = 32 · 661 + 1 = 21153.
    assert_eq!(Fp::VALUES, 21_153);
    // NODES: input, target; 3 + 1 + 3 + 1 + 3 = 11 for the layers
    // (a linear is weight, bias and op); 2 for the loss (per-row, mean) = 15.
    assert_eq!(Fp::NODES, 15);
    // ARENA = 2 · (41802 + 21153) = 125910; inference half of it: 62955.
    assert_eq!(Fp::ARENA, 125_910);
    assert_eq!(Fp::INFER_ARENA, 62_955);
    // Adam keeps 2 per parameter: 83604 scalars; in bytes with f32:
    // (125910 + 83604) · 4 + 15 · size_of::<Node>().
    assert_eq!(Fp::optimizer_state(2), 83_604);
    assert_eq!(
        Fp::training_bytes(4, 2),
        (125_910 + 83_604) * 4 + 15 * core::mem::size_of::<Node>()
    );
    // With MSE the loss keeps sub and square per sample (2 · 10) and records
    // 3 nodes: VALUES = 32 · (256 + 394 + 10 + 20) + 1 = 21761, NODES = 16.
    type FpMse = Footprint<Usps, MseLoss, 32>;
    assert_eq!(FpMse::VALUES, 21_761);
    assert_eq!(FpMse::NODES, 16);
}

#[test]
fn footprint_is_exactly_what_the_graph_uses() {
    type Fp = Footprint<Usps, CrossEntropyLoss, 32>;
    let mut tape = vec![Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; Fp::ARENA];
    let net = Trainer::<f32, Usps, CrossEntropyLoss, 32>::new(usps(), CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    assert_eq!(net.graph().nodes().len(), Fp::NODES);
    assert_eq!(net.graph().params().len(), Fp::PARAMS);
    assert_eq!(net.graph().param_grads().len(), Fp::PARAMS);
    let values: usize = net
        .graph()
        .nodes()
        .iter()
        .filter(|n| !n.is_param())
        .map(Node::len)
        .sum();
    assert_eq!(values, Fp::VALUES);
    // One scalar less in the activations and the graph cannot be recorded.
    let small = Layout {
        values: Fp::VALUES - 1,
        ..Fp::TRAIN
    };
    let mut tape = vec![Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; small.arena_len()];
    let mut g = Graph::new(&mut tape, &mut arena, small).unwrap();
    let x = g.input::<32, Rank1<256>>().unwrap();
    let y = flambeau::Module::build(&usps(), &mut g, x).unwrap();
    let t = g.input::<32, Rank1<10>>().unwrap();
    assert_eq!(
        CrossEntropyLoss.build(&mut g, y, t).err(),
        Some(Error::BufferTooSmall {
            what: "arena (activations)",
            needed: Fp::VALUES,
            got: Fp::VALUES - 1
        })
    );
}

#[test]
fn softmax_and_max_pool_of_values_beyond_the_saturation_bound() {
    // Finite inputs below −1e30: softmax of equal values is uniform, and the
    // pooling picks the true maximum of the window.
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 64];
    let layout = Layout {
        params: 0,
        values: 32,
        grads: true,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<1, Rank1<3>>().unwrap();
    let y = g.softmax(x).unwrap();
    let p = g.input_with_grad::<1, Rank2<1, 2>>().unwrap();
    let q = g.max_pool1d::<1, 1, 2, 2, 2, 1>(p).unwrap();
    let loss = g.mean(q).unwrap();
    g.set_input(x, &[-2e30, -2e30, -2e30]).unwrap();
    g.set_input(p, &[-3e38, -2e38]).unwrap();
    g.forward();
    assert!(
        g.value(y).iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6),
        "{:?}",
        g.value(y)
    );
    assert_eq!(g.value(q), &[-1e30]); // −2e38, saturated to the bound
    g.backward(loss).unwrap();
    assert_eq!(g.grad(p), &[0.0, 1.0]); // the gradient goes to the true maximum
}
