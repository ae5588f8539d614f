//! `CrossEntropyLoss` is defined on vectors of logits only: a model ending in
//! a `[channels][length]` output cannot be trained with it.
use flambeau::{Conv1d, CrossEntropyLoss, Node, Trainer};

type Net = Conv1d<1, 4, 3, 16, 14>;

fn main() {
    let mut tape = [Node::EMPTY; 16];
    let mut arena = [0.0f32; 4096];
    let _ = Trainer::<f32, Net, CrossEntropyLoss, 4>::new(Net::new(), CrossEntropyLoss, &mut tape, &mut arena);
}
