//! `Flatten<4000>` of 32 channels of length 127 (4064 features).
use flambeau::{Flatten, Graph, Layout, Module, Node, Rank2};

fn main() {
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 8192];
    let layout = Layout {
        params: 0,
        values: 4064,
        grads: false,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<1, Rank2<32, 127>>().unwrap();
    let _ = Flatten::<4000>.build(&mut g, x);
}
