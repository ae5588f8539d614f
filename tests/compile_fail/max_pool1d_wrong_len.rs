//! `MaxPool1d` with window 2 and stride 2 from length 254 gives 127, not 128.
use flambeau::{Graph, Layout, MaxPool1d, Module, Node, Rank2};

fn main() {
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 4096];
    let layout = Layout {
        params: 0,
        values: 2048,
        grads: true,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<1, Rank2<4, 254>>().unwrap();
    let _ = MaxPool1d::<2, 2, 128>.build(&mut g, x);
}
