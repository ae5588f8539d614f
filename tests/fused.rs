//! The `fma` feature changes how each product is rounded, and nothing else:
//! a dense layer whose sum keeps a product's low bits only when the product
//! and the sum are rounded once.
//!
//! With `a = 1 + 2⁻¹²` and `c = −(1 + 2⁻¹¹)`, `a · a = 1 + 2⁻¹¹ + 2⁻²⁴`
//! exactly. A multiply rounds that to `1 + 2⁻¹¹` (a tie, to even), and the
//! sum `c + a · a` is then 0; a fused multiply-add gives `2⁻²⁴`. The two
//! products are placed in the same lane of the crate's summation order
//! (inputs 0 and 8), or in the tail, so the sum is one multiply-add after
//! the other; every form of the forward kernel (one row, a tile of rows,
//! the packed panels of a batch) must give the same answer.

use flambeau::{Graph, Init, Layout, Node, ParamKind, Rank1, Rank2};

/// 2⁻²⁴ with the `fma` feature, 0 without.
fn expected() -> f32 {
    if cfg!(feature = "fma") {
        f32::from_bits(0x3380_0000)
    } else {
        0.0
    }
}

/// A `Linear(IN, OUT)` at batch `B` whose every output is `c · 1 + a · a`,
/// the two products at inputs `first` and `second`.
fn run<const B: usize, const IN: usize, const OUT: usize>(first: usize, second: usize) -> Vec<f32> {
    let a = 1.0 + f32::EPSILON * 2048.0;
    let c = -(1.0 + f32::EPSILON * 4096.0);
    let layout = Layout {
        params: OUT * IN + OUT,
        values: B * (IN + OUT),
        grads: false,
    };
    let mut tape = vec![Node::EMPTY; 8];
    let mut arena = vec![0.0f32; layout.arena_len()];
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<B, Rank1<IN>>().unwrap();
    let w = g
        .param::<Rank2<OUT, IN>>(ParamKind::Weight, Init::Zeros, IN, OUT)
        .unwrap();
    let b = g.param::<Rank1<OUT>>(ParamKind::Bias, Init::Zeros, IN, OUT).unwrap();
    let y = g.linear(x, w, b).unwrap();
    {
        let params = g.params_mut();
        for row in params[..OUT * IN].chunks_exact_mut(IN) {
            row[first] = c;
            row[second] = a;
        }
    }
    let mut input = vec![0.0f32; B * IN];
    for row in input.chunks_exact_mut(IN) {
        row[first] = 1.0;
        row[second] = a;
    }
    g.set_input(x, &input).unwrap();
    g.forward();
    g.value(y).to_vec()
}

fn check(what: &str, got: &[f32]) {
    let want = expected();
    for (i, v) in got.iter().enumerate() {
        assert_eq!(
            v.to_bits(),
            want.to_bits(),
            "{what}: output {i} is {v:e}, want {want:e}"
        );
    }
}

#[test]
fn one_rounding_per_product_in_the_tail() {
    check("1 row, 2 inputs", &run::<1, 2, 1>(0, 1));
    check("4 rows, 3 inputs", &run::<4, 3, 5>(0, 1));
}

#[test]
fn one_rounding_per_product_in_a_lane() {
    check("1 row", &run::<1, 16, 32>(0, 8));
    check("tiles of 4 rows", &run::<8, 16, 12>(0, 8));
    check("packed panels of a batch", &run::<256, 16, 32>(0, 8));
    check("a wide layer at batch 64", &run::<64, 24, 300>(3, 11));
}
