//! Prints the compile-time footprint of the report's networks: every number
//! here is a constant the crate computes from the model's type.
//!
//! `cargo run --example footprint`

use flambeau::{
    Adam, BceLoss, Conv1d, CrossEntropyLoss, Flatten, Footprint, InferenceFootprint, Linear, MaxPool1d, Model, Node,
    Optimizer, ReLU, Sequential, Sigmoid, Tanh,
};

type UspsMlp = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
type Checkerboard = Sequential<(Linear<2, 16>, Tanh, Linear<16, 1>, Sigmoid)>;
type Cnn = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 100>,
    ReLU,
    Linear<100, 10>,
)>;

fn row<M: Model, L: flambeau::Loss<M::Output>, const B: usize>(name: &str) {
    let adam = <Adam<'_, f32> as Optimizer<f32>>::STATE_PER_PARAM;
    println!(
        "| {name} | {B} | {} | {} | {} | {} | {} | {} |",
        Footprint::<M, L, B>::PARAMS,
        Footprint::<M, L, B>::VALUES,
        Footprint::<M, L, B>::NODES,
        Footprint::<M, L, B>::training_bytes(4, 0),
        Footprint::<M, L, B>::training_bytes(4, adam),
        InferenceFootprint::<M, 1>::FLASH_ARENA * 4 + InferenceFootprint::<M, 1>::NODES * size_of::<Node>(),
    );
}

fn main() {
    println!("f32, bytes; a tape node is {} bytes", size_of::<Node>());
    println!();
    println!(
        "| model | batch | parameters | activations | tape nodes | training RAM, SGD | training RAM, Adam | inference RAM, weights in flash (batch 1) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    row::<UspsMlp, CrossEntropyLoss, 32>("USPS MLP 256-128-64-10");
    row::<UspsMlp, CrossEntropyLoss, 1>("USPS MLP 256-128-64-10");
    row::<Checkerboard, BceLoss, 16>("checkerboard 2-16-1");
    row::<Cnn, CrossEntropyLoss, 32>("1-D CNN (report)");
}
