//! A trainer of batch size 0.
use flambeau::{Linear, MseLoss, Node, Trainer};

fn main() {
    let mut tape = [Node::EMPTY; 16];
    let mut arena = [0.0f32; 4096];
    let _ = Trainer::<f32, Linear<2, 1>, MseLoss, 0>::new(Linear::new(), MseLoss, &mut tape, &mut arena);
}
