// Generated from the architecture in the model file: do not edit by hand.
use flambeau::{Linear, Sequential, Sigmoid, Tanh};

/// The architecture, as the model file's metadata states it and `Model` prints it.
pub const ARCHITECTURE: &str = "Linear(2,16) -> Tanh -> Linear(16,1) -> Sigmoid";
/// The network as a type: its shapes, layer order and footprint.
pub type Model = Sequential<(Linear<2, 16>, Tanh, Linear<16, 1>, Sigmoid)>;
/// Inputs of one sample.
pub const INPUTS: usize = 2;
/// Outputs of one sample.
pub const OUTPUTS: usize = 1;
/// Largest accepted |output − reference output| of the test vectors.
pub const TOLERANCE: f32 = 1e-5;

/// The network, its weights still to be read.
pub const fn model() -> Model {
    Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid))
}
