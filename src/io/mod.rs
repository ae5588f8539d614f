//! Weight files in the safetensors layout, read and written in place.

mod json;
mod safetensors;
mod weights;

pub use json::JsonStr;
pub use safetensors::{HEADER_MAX, MAX_RANK, SafeTensors, TensorView};
