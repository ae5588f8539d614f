//! `Linear<256, 128>` followed by `Linear<64, 10>`: the second layer does not
//! accept the first one's 128 features, so the chain is not a `Model`.
use flambeau::{CrossEntropyLoss, Linear, Node, Sequential, Trainer};

type Net = Sequential<(Linear<256, 128>, Linear<64, 10>)>;

fn main() {
    let mut tape = [Node::EMPTY; 16];
    let mut arena = [0.0f32; 16];
    let model = Sequential::new((Linear::<256, 128>::new(), Linear::<64, 10>::new()));
    let _ = Trainer::<f32, Net, CrossEntropyLoss, 4>::new(model, CrossEntropyLoss, &mut tape, &mut arena);
}
