//! The compile-fail cases with the right sizes: these build and run.
use flambeau::{
    Conv1d, CrossEntropyLoss, Flatten, Footprint, Graph, Layout, Linear, MaxPool1d, Module, MseLoss, Node, Rank1,
    Rank2, Sequential, Trainer,
};

type Cnn = Sequential<(Conv1d<1, 4, 3, 16, 14>, MaxPool1d<2, 2, 7>, Flatten<28>, Linear<28, 10>)>;
type Fp = Footprint<Cnn, CrossEntropyLoss, 4>;

fn main() {
    let mut tape = [Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; Fp::ARENA];
    let model = Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new()));
    let net = Trainer::<f32, Cnn, CrossEntropyLoss, 4>::new(model, CrossEntropyLoss, &mut tape, &mut arena);
    assert!(net.is_ok());

    let mut tape = [Node::EMPTY; 8];
    let mut arena = [0.0f32; 4096];
    let layout = Layout {
        params: 1024,
        values: 1024,
        grads: true,
    };
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input::<1, Rank2<1, 16>>().unwrap();
    let y = Conv1d::<1, 4, 3, 16, 7, 2>::new().build(&mut g, x).unwrap();
    let _: flambeau::Var<1, Rank1<28>> = y.reshape();
    assert!(MseLoss.to_string() == "MSELoss");
}
