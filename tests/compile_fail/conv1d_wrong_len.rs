//! `Conv1d` from length 16 with kernel 3 gives length 14, not 15.
use flambeau::{Conv1d, Graph, Layout, Module, Node, Rank2};

fn main() {
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 4096];
    let layout = Layout {
        params: 1024,
        values: 1024,
        grads: true,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<1, Rank2<1, 16>>().unwrap();
    let _ = Conv1d::<1, 4, 3, 16, 15>::new().build(&mut g, x);
}
