//! # flambeau
//!
//! A neural-network library with **no heap** and a **memory footprint known
//! at compile time**: shapes live in types, a model is recorded once on an
//! explicit tape over caller-owned buffers (arrays, `static`s), and each
//! training step replays that tape forward and backward. It trains on a
//! microcontroller as it does on a desktop, and every gradient is checked
//! against finite differences.
//!
//! Train XOR on stack arrays:
//!
//! ```
//! use flambeau::{BceLoss, Footprint, Linear, Node, Rng, Sequential, Sgd, Sigmoid, Tanh, Trainer};
//!
//! type Net = Sequential<(Linear<2, 8>, Tanh, Linear<8, 1>, Sigmoid)>;
//! type Fp = Footprint<Net, BceLoss, 4>;
//! let mut tape = [Node::EMPTY; Fp::NODES];
//! let mut arena = [0.0f32; Fp::ARENA];
//! let model = Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid));
//! let mut net = Trainer::<f32, Net, BceLoss, 4>::new(model, BceLoss, &mut tape, &mut arena)?;
//! net.init(&mut Rng::new(1));
//! let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
//! let y = [0.0, 1.0, 1.0, 0.0];
//! net.set_batch(&x, &y)?;
//! let mut sgd = Sgd::new(1.0);
//! let first = net.step(&mut sgd)?;
//! for _ in 0..500 {
//!     net.step(&mut sgd)?;
//! }
//! assert!(net.evaluate() < first / 10.0);
//! let p = net.forward();
//! assert!(p[0] < 0.5 && p[1] > 0.5 && p[2] > 0.5 && p[3] < 0.5);
//! # Ok::<(), flambeau::Error>(())
//! ```
//!
//! ## Numerics
//!
//! Every op gives finite outputs and gradients for finite inputs: the clamp
//! bounds are named constants of [`Float`], documented in one place
//! ([`float`]).
#![no_std]
// `unsafe` is denied everywhere but in four documented modules: the Cortex-M4/M7
// int8 dot product (`src/quant/dot.rs`), which measured 3.4× fewer instructions,
// the view of aligned float bytes as floats (`src/ops/regs/view.rs`), the
// fused multiply-add of the opt-in `fma` feature (`src/fma.rs`), which LLVM
// vectorises where `libm`'s call would not be, and which is one `VFMA.F32`
// on a Cortex-M4F, M7F or M33F, and the x86-64 AVX form of the batch-1 dense
// forward's dot products (`src/ops/avx.rs`), whose portable form the
// compiler vectorised 2.3-4× slower in some builds.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod float;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod error;
mod fastmath;
mod fma;
mod footprint;
mod graph;
mod init;
mod io;
mod layers;
mod linreg;
mod loss;
mod network;
mod ops;
mod optim;
mod quant;
mod rng;
mod shape;
mod tape;
mod trainer;

pub use error::{Error, SafetensorsError};
pub use float::Float;
pub use footprint::{Footprint, InferenceFootprint};
pub use graph::{Graph, Layout};
pub use init::{Init, ParamKind};
pub use io::{
    Dims, Dtype, EntryProblem, HEADER_MAX, HeaderProblem, JsonStr, MAX_RANK, NAME_MAX, ParamName, SafeTensors,
    Strictness, TensorData, TensorName, TensorOut, TensorView, param_name, safetensors_len, write_safetensors,
};
pub use layers::TiedLinearReluAutoEncoder;
pub use layers::{AvgPool1d, AvgPool2d, Conv2d, Dropout, MaxPool2d, TiedAutoEncoder, TiedLinearAutoEncoder};
pub use layers::{
    Conv1d, Describe, Flatten, Linear, LogSoftmax, MaxPool1d, Model, Module, ReLU, Sequential, Sigmoid, Softmax, Tanh,
};
pub use linreg::LinearRegression;
pub use loss::{BceLoss, BceWithLogitsLoss, CrossEntropyLoss, CrossEntropyProbLoss, KlDivLoss, Loss, MseLoss};
pub use loss::{HuberLoss, MultiMarginLoss, SmoothL1Loss};
pub use network::{Network, argmax};
pub use ops::{Op, ParamInfo};
pub use optim::{Adam, AdamConfig, Momentum, Optimizer, Sgd, WeightDecay};
pub use quant::{
    LutFunction, QChain, QChainLoad, QConv1d, QFlatten, QFootprint, QLayer, QLinear, QLoad, QLut, QMaxPool1d, QNetwork,
    QReLU, QSoftmax, QUANTIZATION_SCHEME, QuantParams, QuantizedLayer, QuantizedMultiplier, lut_table, quantize_layer,
    rounding_divide_by_pot, saturating_rounding_doubling_high_mul,
};
pub use rng::Rng;
pub use shape::{NodeId, Param, Rank0, Rank1, Rank2, Rank3, Rank4, Scalar, Shape, Var};
pub use tape::{Listing, Node};
pub use trainer::Trainer;
