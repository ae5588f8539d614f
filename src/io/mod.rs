//! Weight files in the safetensors layout, read and written in place.

mod checks;
mod dtype;
mod errors;
mod json;
mod safetensors;
mod weights;
mod writer;

pub use dtype::Dtype;
pub use errors::{Dims, EntryProblem, HeaderProblem, SafetensorsError, TensorName};
pub use json::JsonStr;
pub use safetensors::{HEADER_MAX, MAX_RANK, SafeTensors, TensorView};
pub use weights::{ParamName, Strictness, param_name};
pub use writer::{NAME_MAX, TensorData, TensorOut, safetensors_len, write_safetensors};
