//! Numerical safety at the edges of `f32`: for any finite input up to the
//! crate's promise (`|x| ≤ 1e30`, see `flambeau::float`), every value and
//! every gradient the graph computes is finite — through each op, each loss
//! and the report's whole networks, with parameters set to extreme values
//! too. Non-finite inputs are refused with `Error::NonFinite`.
//!
//! Each case draws values from a mix of ±1e30, ±1e20, ±1e10, ±0, subnormals
//! and ordinary numbers. An op reads `x Wᵀ + b`, with `x` an input whose
//! gradient is kept, and `W`, `b` either extreme or the identity and zero (so
//! the op sees the raw extreme `x`). After `forward` and `backward`, the test
//! reads every node's value and gradient through the public API, the
//! parameters and their gradients, and finally the whole arena.

use flambeau::{
    Adam, AdamConfig, BceLoss, BceWithLogitsLoss, Conv1d, CrossEntropyLoss, CrossEntropyProbLoss, Error, Flatten,
    Footprint, Graph, Init, KlDivLoss, Layout, Linear, Loss, MaxPool1d, Model, Momentum, MseLoss, Node, Param,
    ParamKind, Rank1, Rank2, Rank3, Rng, Scalar, Sequential, Sgd, Shape, Sigmoid, Tanh, Trainer, Var,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Cases per op; the whole networks run fewer.
const CASES: u32 = 32;
const NET_CASES: u32 = 6;

/// The smallest positive subnormal `f32`.
const TINY: f32 = 1e-45;

/// Extreme finite values mixed with ordinary ones.
fn extreme() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(1e30f32),
        Just(-1e30f32),
        Just(1e20f32),
        Just(-1e20f32),
        Just(1e10f32),
        Just(-1e10f32),
        Just(0.0f32),
        Just(-0.0f32),
        Just(TINY),
        Just(-TINY),
        Just(1e-40f32),
        Just(f32::MIN_POSITIVE),
        -10.0f32..10.0,
        -1.0f32..1.0,
    ]
}

/// Values for one case, handed out in order (cycling), and whether the
/// sources' parameters are extreme or the identity.
#[derive(Clone, Debug)]
struct Draw {
    values: Vec<f32>,
    identity: bool,
}

fn draws() -> impl Strategy<Value = Draw> {
    (vec(extreme(), 97), any::<bool>()).prop_map(|(values, identity)| Draw { values, identity })
}

fn assert_all_finite(what: &str, xs: &[f32]) {
    if let Some(i) = xs.iter().position(|v| !v.is_finite()) {
        panic!("{what}: element {i} is {} (of {} elements)", xs[i], xs.len());
    }
}

/// A node to read back after `backward`: its values and its gradient.
trait Probe {
    fn id(&self) -> usize;
    fn check(&self, g: &Graph<'_, f32>, op: &str);
}

impl<const B: usize, S: Shape> Probe for Var<B, S> {
    fn id(&self) -> usize {
        Var::id(*self)
    }

    fn check(&self, g: &Graph<'_, f32>, op: &str) {
        let n = g.rows() * S::SIZE;
        let id = Var::id(*self);
        let value = g.value(*self);
        assert_eq!(value.len(), n, "{op}: node #{id} values");
        assert_all_finite(&format!("{op}: node #{id} value"), value);
        let grad = g.grad(*self);
        assert_eq!(grad.len(), n, "{op}: node #{id} gradient");
        assert_all_finite(&format!("{op}: node #{id} gradient"), grad);
    }
}

/// A graph being built for one case, with the nodes to read back.
struct Case<'g, 'a> {
    g: &'g mut Graph<'a, f32>,
    draw: Draw,
    next: usize,
    probes: Vec<Box<dyn Probe>>,
    /// Nodes a loss records inside `Loss::build`, which have no handle:
    /// they are checked through the arena only.
    opaque: core::ops::Range<usize>,
}

impl Case<'_, '_> {
    fn values(&mut self, n: usize) -> Vec<f32> {
        let len = self.draw.values.len();
        let out = (0..n).map(|i| self.draw.values[(self.next + i) % len]).collect();
        self.next += n;
        out
    }

    fn keep<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> Var<B, S> {
        self.probes.push(Box::new(x));
        x
    }

    /// An input of extreme values whose gradient is kept.
    fn input<const B: usize, S: Shape>(&mut self) -> Var<B, S> {
        let x = self.g.input_with_grad::<B, S>().unwrap();
        let v = self.values(B * S::SIZE);
        self.g.set_input(x, &v).unwrap();
        self.keep(x)
    }

    /// A parameter holding `values` (the newest parameter is the tail of
    /// `params_mut`: parameters are laid out in tape order).
    fn param<S: Shape>(&mut self, kind: ParamKind, values: &[f32]) -> Param<S> {
        let start = self.g.params().len();
        let p = self.g.param::<S>(kind, Init::Zeros, 1, 1).unwrap();
        self.g.params_mut()[start..].copy_from_slice(values);
        p
    }

    /// `x Wᵀ + b` over an extreme input, with `W`, `b` extreme or `I`, `0`.
    fn source<const B: usize, const N: usize>(&mut self) -> Var<B, Rank1<N>> {
        let x = self.input::<B, Rank1<N>>();
        let (w, b) = if self.draw.identity {
            let eye: Vec<f32> = (0..N * N).map(|i| if i % (N + 1) == 0 { 1.0 } else { 0.0 }).collect();
            (eye, vec![0.0; N])
        } else {
            (self.values(N * N), self.values(N))
        };
        let w = self.param::<Rank2<N, N>>(ParamKind::Weight, &w);
        let b = self.param::<Rank1<N>>(ParamKind::Bias, &b);
        let y = self.g.linear(x, w, b).unwrap();
        self.keep(y)
    }

    /// Records `loss` of `y` against `t`, noting the nodes it adds.
    fn loss<L: Loss<S>, S: Shape>(&mut self, loss: L, y: Var<B, S>, t: Var<B, S>) -> Scalar {
        let start = self.g.nodes().len();
        let l = loss.build(self.g, y, t).unwrap();
        self.opaque = start..self.g.nodes().len();
        l
    }

    /// `mean(y + y ⊙ c)` with `c` another source of `N = S::SIZE`: every
    /// element of `y` gets its own, possibly extreme, upstream gradient.
    fn finish<const B: usize, S: Shape, const N: usize>(&mut self, y: Var<B, S>) -> Scalar {
        let y = self.keep(y);
        let c = self.source::<B, N>().reshape::<S>();
        let m = self.g.mul(y, c).unwrap();
        let m = self.keep(m);
        let s = self.g.add(y, m).unwrap();
        let s = self.keep(s);
        self.g.mean(s).unwrap()
    }
}

/// Builds a case with `build`, runs it forward and backward, and checks that
/// every value and gradient is finite.
fn exercise(op: &str, draw: &Draw, rows: usize, build: impl FnOnce(&mut Case<'_, '_>) -> Scalar) {
    let mut tape = vec![Node::EMPTY; 64];
    let layout = Layout {
        params: 1024,
        values: 1024,
        grads: true,
    };
    let mut arena = vec![0.0f32; layout.arena_len()];
    {
        let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
        let mut case = Case {
            g: &mut g,
            draw: draw.clone(),
            next: 0,
            probes: Vec::new(),
            opaque: 0..0,
        };
        let loss = build(&mut case);
        let (probes, opaque) = (case.probes, case.opaque);
        g.set_rows(rows).unwrap();
        g.forward();
        g.zero_grad();
        g.backward(loss).unwrap();

        // Every node is read back: a parameter, a probed node or the loss.
        for (id, node) in g.nodes().iter().enumerate() {
            assert!(
                node.is_param() || id == loss.id() || opaque.contains(&id) || probes.iter().any(|p| p.id() == id),
                "{op}: node #{id} ({}) is not checked",
                node.op()
            );
        }
        assert!(g.scalar(loss).unwrap().is_finite(), "{op}: loss");
        for p in &probes {
            p.check(&g, op);
        }
        assert_all_finite(&format!("{op}: params"), g.params());
        assert_all_finite(&format!("{op}: param grads"), g.param_grads());
        assert_eq!(g.param_grads().len(), g.params().len());
    }
    // And every scalar the graph wrote: values and gradients of all nodes.
    assert_all_finite(&format!("{op}: arena"), &arena);
}

const B: usize = 3;

/// Rows of a partial batch drawn per case (1..=B).
fn rows() -> impl Strategy<Value = usize> {
    1..=B
}

type V4 = Var<B, Rank1<4>>;

/// `op(x Wᵀ + b)` for an element-wise or per-row op on rows of 4.
fn unary(op: &str, d: &Draw, rows: usize, f: impl Fn(&mut Graph<'_, f32>, V4) -> Result<V4, Error>) {
    exercise(op, d, rows, |c| {
        let a = c.source::<B, 4>();
        let y = f(c.g, a).unwrap();
        c.finish::<B, _, 4>(y)
    });
}

/// `op(a, b)` for two sources of rows of 4.
fn binary(op: &str, d: &Draw, rows: usize, f: impl Fn(&mut Graph<'_, f32>, V4, V4) -> Result<V4, Error>) {
    exercise(op, d, rows, |c| {
        let a = c.source::<B, 4>();
        let b = c.source::<B, 4>();
        let y = f(c.g, a, b).unwrap();
        c.finish::<B, _, 4>(y)
    });
}

/// A loss of a source against another source (with the identity, the raw
/// extreme targets), so both of its inputs get gradients.
fn loss_case<L: Loss<Rank1<4>>>(d: &Draw, rows: usize, loss: L) {
    let name = loss.to_string();
    exercise(&name, d, rows, |c| {
        let y = c.source::<B, 4>();
        let t = c.source::<B, 4>();
        c.loss(loss, y, t)
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn linear_is_finite(d in draws(), r in rows()) {
        exercise("linear", &d, r, |c| {
            let x = c.input::<B, Rank1<5>>();
            let (w, b) = (c.values(15), c.values(3));
            let w = c.param::<Rank2<3, 5>>(ParamKind::Weight, &w);
            let b = c.param::<Rank1<3>>(ParamKind::Bias, &b);
            let y = c.g.linear(x, w, b).unwrap();
            c.finish::<B, _, 3>(y)
        });
    }

    #[test]
    fn conv1d_is_finite(d in draws(), r in rows()) {
        for stride in [1, 2] {
            exercise("conv1d", &d, r, |c| {
                let x = c.input::<B, Rank2<2, 7>>();
                let (w, b) = (c.values(3 * 2 * 3), c.values(3));
                let w = c.param::<Rank3<3, 2, 3>>(ParamKind::Weight, &w);
                let b = c.param::<Rank1<3>>(ParamKind::Bias, &b);
                if stride == 1 {
                    let y = c.g.conv1d::<B, 2, 3, 3, 7, 5, 1>(x, w, b).unwrap();
                    c.finish::<B, _, 15>(y)
                } else {
                    let y = c.g.conv1d::<B, 2, 3, 3, 7, 3, 2>(x, w, b).unwrap();
                    c.finish::<B, _, 9>(y)
                }
            });
        }
    }

    #[test]
    fn max_pool1d_is_finite(d in draws(), r in rows()) {
        exercise("max_pool1d k2 s2", &d, r, |c| {
            let x = c.source::<B, 12>().reshape::<Rank2<2, 6>>();
            let y = c.g.max_pool1d::<B, 2, 6, 2, 2, 3>(x).unwrap();
            c.finish::<B, _, 6>(y)
        });
        exercise("max_pool1d k3 s1", &d, r, |c| {
            let x = c.source::<B, 12>().reshape::<Rank2<2, 6>>();
            let y = c.g.max_pool1d::<B, 2, 6, 3, 1, 4>(x).unwrap();
            c.finish::<B, _, 8>(y)
        });
    }

    #[test]
    fn tanh_is_finite(d in draws(), r in rows()) {
        unary("tanh", &d, r, |g, x| g.tanh(x));
    }

    #[test]
    fn sigmoid_is_finite(d in draws(), r in rows()) {
        unary("sigmoid", &d, r, |g, x| g.sigmoid(x));
    }

    #[test]
    fn relu_is_finite(d in draws(), r in rows()) {
        unary("relu", &d, r, |g, x| g.relu(x));
    }

    #[test]
    fn softmax_is_finite(d in draws(), r in rows()) {
        unary("softmax", &d, r, |g, x| g.softmax(x));
    }

    #[test]
    fn log_softmax_is_finite(d in draws(), r in rows()) {
        unary("log_softmax", &d, r, |g, x| g.log_softmax(x));
    }

    #[test]
    fn square_is_finite(d in draws(), r in rows()) {
        unary("square", &d, r, |g, x| g.square(x));
    }

    #[test]
    fn add_is_finite(d in draws(), r in rows()) {
        binary("add", &d, r, |g, a, b| g.add(a, b));
    }

    #[test]
    fn sub_is_finite(d in draws(), r in rows()) {
        binary("sub", &d, r, |g, a, b| g.sub(a, b));
    }

    #[test]
    fn mul_is_finite(d in draws(), r in rows()) {
        binary("mul", &d, r, |g, a, b| g.mul(a, b));
        // x ⊙ x: one node feeding both inputs.
        unary("mul (same node)", &d, r, |g, x| g.mul(x, x));
    }

    #[test]
    fn bce_is_finite(d in draws(), r in rows()) {
        binary("bce", &d, r, |g, p, t| g.bce(p, t));
    }

    #[test]
    fn bce_logits_is_finite(d in draws(), r in rows()) {
        binary("bce_logits", &d, r, |g, z, t| g.bce_logits(z, t));
    }

    #[test]
    fn cross_entropy_prob_is_finite(d in draws(), r in rows()) {
        binary("cross_entropy_prob", &d, r, |g, p, t| g.cross_entropy_prob(p, t));
    }

    #[test]
    fn kl_div_is_finite(d in draws(), r in rows()) {
        binary("kl_div", &d, r, |g, x, t| g.kl_div(x, t));
    }

    #[test]
    fn cross_entropy_logits_is_finite(d in draws(), r in rows()) {
        exercise("cross_entropy_logits", &d, r, |c| {
            let z = c.source::<B, 4>();
            let t = c.source::<B, 4>();
            let y = c.g.cross_entropy_logits(z, t).unwrap();
            c.finish::<B, _, 1>(y)
        });
    }

    #[test]
    fn mean_is_finite(d in draws(), r in rows()) {
        exercise("mean", &d, r, |c| {
            let a = c.source::<B, 4>();
            let b = c.source::<B, 4>();
            let m = c.g.mul(a, b).unwrap();
            let m = c.keep(m);
            c.g.mean(m).unwrap()
        });
    }

    #[test]
    fn mean_rows_is_finite(d in draws(), r in rows()) {
        exercise("mean_rows", &d, r, |c| {
            let a = c.source::<B, 4>();
            let b = c.source::<B, 4>();
            let m = c.g.mul(a, b).unwrap();
            let m = c.keep(m);
            c.g.mean_rows(m).unwrap()
        });
    }

    #[test]
    fn losses_are_finite(d in draws(), r in rows()) {
        loss_case(&d, r, MseLoss);
        loss_case(&d, r, BceLoss);
        loss_case(&d, r, BceWithLogitsLoss);
        loss_case(&d, r, CrossEntropyLoss);
        loss_case(&d, r, CrossEntropyProbLoss);
        loss_case(&d, r, KlDivLoss);
        loss_case(&d, r, flambeau::HuberLoss::default());
        loss_case(&d, r, flambeau::SmoothL1Loss { beta: 0.5 });
        loss_case(&d, r, flambeau::MultiMarginLoss);
    }

    #[test]
    fn conv2d_is_finite(d in draws(), r in rows()) {
        for (stride, pad) in [(1, 0), (2, 1)] {
            exercise("conv2d", &d, r, |c| {
                let x = c.input::<B, Rank3<2, 4, 4>>();
                let (w, b) = (c.values(3 * 2 * 9), c.values(3));
                let w = c.param::<flambeau::Rank4<3, 2, 3, 3>>(ParamKind::Weight, &w);
                let b = c.param::<Rank1<3>>(ParamKind::Bias, &b);
                if (stride, pad) == (1, 0) {
                    let y = c.g.conv2d::<B, 2, 3, 3, 4, 4, 2, 2, 1, 0>(x, w, b).unwrap();
                    c.finish::<B, _, 12>(y)
                } else {
                    let y = c.g.conv2d::<B, 2, 3, 3, 4, 4, 2, 2, 2, 1>(x, w, b).unwrap();
                    c.finish::<B, _, 12>(y)
                }
            });
        }
    }

    #[test]
    fn pools_2d_and_avg_1d_are_finite(d in draws(), r in rows()) {
        for max in [true, false] {
            exercise(if max { "max_pool2d" } else { "avg_pool2d" }, &d, r, |c| {
                let x = c.source::<B, 18>().reshape::<Rank3<2, 3, 3>>();
                let y = c.g.pool2d::<B, 2, 3, 3, 2, 1, 2, 2>(x, max).unwrap();
                c.finish::<B, _, 8>(y)
            });
        }
        exercise("avg_pool1d", &d, r, |c| {
            let x = c.source::<B, 12>().reshape::<Rank2<2, 6>>();
            let y = c.g.avg_pool1d::<B, 2, 6, 3, 1, 4>(x).unwrap();
            c.finish::<B, _, 8>(y)
        });
    }
}

// --- non-finite inputs are refused ---------------------------------------------

fn non_finite() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(-f32::NAN)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn set_input_refuses_nan_and_infinity(
        mut data in vec(extreme(), 12),
        bad in non_finite(),
        at in 0usize..12,
        also in proptest::option::of((non_finite(), 0usize..12)),
    ) {
        data[at] = bad;
        if let Some((v, i)) = also {
            data[i] = v;
        }
        let first = data.iter().position(|v| !v.is_finite()).unwrap();
        let mut tape = [Node::EMPTY; 4];
        let mut arena = [0.0f32; 64];
        let layout = Layout { params: 0, values: 24, grads: true };
        let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
        let x = g.input::<3, Rank1<4>>().unwrap();
        let xg = g.input_with_grad::<3, Rank1<4>>().unwrap();
        g.input_mut(x).fill(7.0);
        let want = Err(Error::NonFinite { what: "input", index: first });
        prop_assert_eq!(g.set_input(x, &data), want);
        prop_assert_eq!(g.set_input(xg, &data), want);
        // Refused before any element is copied.
        prop_assert!(g.input_mut(x).iter().all(|&v| v == 7.0));
        // A prefix of whole rows before the bad element is accepted.
        let rows = first / 4;
        if rows > 0 {
            prop_assert_eq!(g.set_input(x, &data[..rows * 4]), Ok(()));
        }
    }
}

// --- the report's networks ---------------------------------------------------------

/// Trains `model` one step under extreme inputs and targets (and extreme
/// parameters when given), checking every value and gradient.
fn network<M, L, const NB: usize>(model: M, loss: L, inputs: &[f32], targets: &[f32], params: Option<&[f32]>)
where
    M: Model + core::fmt::Display,
    L: Loss<M::Output>,
{
    let mut tape = vec![Node::EMPTY; Footprint::<M, L, NB>::NODES];
    let mut arena = vec![0.0f32; Footprint::<M, L, NB>::ARENA];
    {
        let mut net = Trainer::<f32, M, L, NB>::new(model, loss, &mut tape, &mut arena).unwrap();
        let name = format!("{} with {}", net.model(), net.loss_fn());
        net.init(&mut Rng::new(7));
        if let Some(p) = params {
            let all = net.graph_mut().params_mut();
            // Step through the 101 draws by 31 (coprime) so neighbours differ.
            for (i, v) in all.iter_mut().enumerate() {
                *v = p[(i * 31) % p.len()];
            }
        }
        net.set_batch(inputs, targets).unwrap();
        let loss = net.compute_grads().unwrap();
        assert!(loss.is_finite(), "{name}: loss {loss}");
        assert_all_finite(&format!("{name}: param grads"), net.graph().param_grads());
        assert_all_finite(&format!("{name}: outputs"), net.forward());
        net.step(&mut Sgd::new(0.1)).unwrap();
        assert_all_finite(&format!("{name}: params after a step"), net.graph().params());
        let after = net.evaluate();
        assert!(after.is_finite(), "{name}: loss after a step {after}");
    }
    assert_all_finite("arena", &arena);
}

type Usps = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
type Checker = Sequential<(Linear<2, 16>, Tanh, Linear<16, 1>, Sigmoid)>;
type Cnn = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 10>,
)>;

fn usps() -> Usps {
    Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()))
}

fn checker() -> Checker {
    Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid))
}

fn cnn() -> Cnn {
    Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new()))
}

/// Inputs for up to `nb` rows of `n`, the row count, and extreme parameters
/// (or `None`: the layers' own initialisation).
fn batch(nb: usize, n: usize) -> impl Strategy<Value = (Vec<f32>, usize, Option<Vec<f32>>)> {
    (
        vec(extreme(), nb * n),
        1..=nb,
        proptest::option::of(vec(extreme(), 101)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(NET_CASES))]

    #[test]
    fn usps_mlp_with_cross_entropy_is_finite((x, rows, p) in batch(8, 256), t in vec(extreme(), 80)) {
        network::<_, _, 8>(usps(), CrossEntropyLoss, &x[..rows * 256], &t[..rows * 10], p.as_deref());
    }

    #[test]
    fn usps_mlp_with_mse_is_finite((x, rows, p) in batch(8, 256), t in vec(extreme(), 80)) {
        network::<_, _, 8>(usps(), MseLoss, &x[..rows * 256], &t[..rows * 10], p.as_deref());
    }

    #[test]
    fn checkerboard_net_with_bce_is_finite((x, rows, p) in batch(16, 2), t in vec(extreme(), 16)) {
        network::<_, _, 16>(checker(), BceLoss, &x[..rows * 2], &t[..rows], p.as_deref());
    }

    #[test]
    fn cnn_with_cross_entropy_is_finite((x, rows, p) in batch(4, 256), t in vec(extreme(), 40)) {
        network::<_, _, 4>(cnn(), CrossEntropyLoss, &x[..rows * 256], &t[..rows * 10], p.as_deref());
    }

    #[test]
    fn momentum_and_adam_steps_stay_finite((x, rows, p) in batch(16, 2), t in vec(extreme(), 16)) {
        type Fp = Footprint<Checker, BceLoss, 16>;
        let mut tape = [Node::EMPTY; Fp::NODES];
        let mut arena = vec![0.0f32; Fp::ARENA];
        let mut net = Trainer::<f32, Checker, BceLoss, 16>::new(checker(), BceLoss, &mut tape, &mut arena).unwrap();
        net.init(&mut Rng::new(3));
        if let Some(p) = &p {
            for (i, v) in net.graph_mut().params_mut().iter_mut().enumerate() {
                *v = p[i % p.len()];
            }
        }
        net.set_batch(&x[..rows * 2], &t[..rows]).unwrap();
        let mut velocity = vec![0.0f32; Fp::optimizer_state(1)];
        let mut moments = vec![0.0f32; Fp::optimizer_state(2)];
        let mut momentum = Momentum::new(0.1, 0.9, &mut velocity);
        let mut adam = Adam::new(AdamConfig::default(), &mut moments);
        for _ in 0..3 {
            prop_assert!(net.step(&mut momentum).unwrap().is_finite());
            prop_assert!(net.step(&mut adam).unwrap().is_finite());
        }
        assert_all_finite("params", net.graph().params());
        assert_all_finite("momentum state", &velocity);
        assert_all_finite("adam state", &moments);
    }
}

#[test]
fn trainer_refuses_non_finite_batches() {
    type Fp = Footprint<Checker, BceLoss, 4>;
    let mut tape = [Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; Fp::ARENA];
    let mut net = Trainer::<f32, Checker, BceLoss, 4>::new(checker(), BceLoss, &mut tape, &mut arena).unwrap();
    let x = [0.0, 1.0, f32::NAN, 0.5];
    assert_eq!(
        net.set_batch(&x, &[1.0, 0.0]),
        Err(Error::NonFinite {
            what: "input",
            index: 2
        })
    );
    let t = [1.0, 0.0, 1.0, f32::INFINITY];
    let err = net.set_batch(&[0.0; 8], &t).unwrap_err();
    assert!(matches!(err, Error::NonFinite { index: 3, .. }), "{err:?}");
    assert!(matches!(
        net.predict(&[f32::NEG_INFINITY, 0.0]),
        Err(Error::NonFinite { index: 0, .. })
    ));
}
