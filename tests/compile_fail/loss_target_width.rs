//! A loss whose targets have another width than the output.
use flambeau::{Graph, Layout, Loss, MseLoss, Node, Rank1};

fn main() {
    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 4096];
    let layout = Layout {
        params: 0,
        values: 1024,
        grads: false,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let y = g.input::<4, Rank1<10>>().unwrap();
    let t = g.input::<4, Rank1<8>>().unwrap();
    let _ = MseLoss.build(&mut g, y, t);
}
