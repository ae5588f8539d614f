//! `g.linear` fed 64 features with a weight of 10 × 128.
use flambeau::{Graph, Init, Layout, Node, ParamKind, Rank1, Rank2};

fn main() {
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 4096];
    let layout = Layout {
        params: 2048,
        values: 1024,
        grads: false,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<4, Rank1<64>>().unwrap();
    let w = g
        .param::<Rank2<10, 128>>(ParamKind::Weight, Init::Zeros, 128, 10)
        .unwrap();
    let b = g.param::<Rank1<10>>(ParamKind::Bias, Init::Zeros, 128, 10).unwrap();
    let _ = g.linear(x, w, b);
}
