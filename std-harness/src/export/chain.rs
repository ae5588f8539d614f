//! The shapes through an architecture: the input each layer takes and the
//! output it gives (a vector, channels × length, or channels × height ×
//! width), its Rust type in the core (with the sizes stable Rust cannot
//! compute written out, as `Conv1d<1, 32, 3, 256, 254>`), and the f32
//! tensors it reads.

use std::fmt;

use super::{ExportError, Layer, printed};

/// The shape of one sample between two layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dims {
    /// A vector of `n` values (`Rank1<n>`).
    Flat(usize),
    /// Channels × length (`Rank2<c, l>`), the input of a `Conv1d`.
    Seq(usize, usize),
    /// Channels × height × width (`Rank3<c, h, w>`), the input of a `Conv2d`.
    Image(usize, usize, usize),
}

impl Dims {
    /// Values of one sample; `usize::MAX` when they do not fit a number
    /// (never for shapes [`steps`] returns: they hold at most [`MAX_VALUES`]).
    pub fn size(self) -> usize {
        self.checked_size().unwrap_or(usize::MAX)
    }

    /// Values of one sample, `None` when they do not fit a number.
    pub fn checked_size(self) -> Option<usize> {
        match self {
            Dims::Flat(n) => Some(n),
            Dims::Seq(c, l) => c.checked_mul(l),
            Dims::Image(c, h, w) => c.checked_mul(h)?.checked_mul(w),
        }
    }

    /// Whether a sample of this shape holds at most [`MAX_VALUES`] values.
    fn bounded(self) -> bool {
        self.checked_size().is_some_and(|n| n <= MAX_VALUES)
    }
}

/// Most values one sample may hold between two layers (16 MiB as f32, far
/// above any chip's memory): larger shapes are refused before any buffer is
/// sized from them.
pub const MAX_VALUES: usize = 1 << 22;

/// The [`ExportError::TooLarge`] of a sample `dims` given by `what`.
fn too_large(what: String, dims: Dims) -> ExportError {
    ExportError::TooLarge {
        layer: what,
        values: dims
            .checked_size()
            .map_or_else(|| format!("{dims}: more than {}", usize::MAX), |n| n.to_string()),
    }
}

impl fmt::Display for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dims::Flat(n) => write!(f, "[{n}]"),
            Dims::Seq(c, l) => write!(f, "[{c}, {l}]"),
            Dims::Image(c, h, w) => write!(f, "[{c}, {h}, {w}]"),
        }
    }
}

/// One layer with the shape it takes and the shape it gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The layer.
    pub layer: Layer,
    /// Its input.
    pub input: Dims,
    /// Its output.
    pub output: Dims,
}

/// Largest input length (or image area) searched for when no shape is given.
const MAX_SIDE: usize = 1 << 16;

/// The shape of the input of `layers`: fixed by the first `Linear` when it
/// comes before any convolution, else by `shape` (the model file's
/// `input_shape`): `[c, l]` or `[c, h, w]` as given, or `[n]` read as
/// `c` channels of `n / c` values (`Conv1d`) or of a square image
/// (`Conv2d`). Without a shape (a PyTorch `state_dict`, an int8 file), a
/// convolution's input is the shortest length (the smallest square image)
/// that the whole chain takes: the one whose every value the pooling windows
/// use, as the experiments' 16 × 16 images.
///
/// # Errors
/// [`ExportError::InputShape`] when no shape is given where one is needed,
/// or the given one does not fit the first layer (or has a size of 0);
/// [`ExportError::TooLarge`] for an input of more than [`MAX_VALUES`] values.
pub fn input_dims(layers: &[Layer], shape: Option<&[usize]>) -> Result<Dims, ExportError> {
    let dims = unbounded_input_dims(layers, shape)?;
    if dims.bounded() {
        Ok(dims)
    } else {
        Err(too_large(format!("the input {dims}"), dims))
    }
}

/// [`input_dims`] before the bound on its size.
fn unbounded_input_dims(layers: &[Layer], shape: Option<&[usize]>) -> Result<Dims, ExportError> {
    let first = layers.iter().copied().find(|l| !l.is_elementwise());
    let bad = |why: String| ExportError::InputShape {
        layer: first.map_or_else(String::new, printed),
        shape: shape.map(<[usize]>::to_vec),
        why,
    };
    if shape.is_some_and(|s| s.contains(&0)) {
        return Err(bad("a size of 0".into()));
    }
    match (first, shape) {
        (Some(Layer::Linear { inputs, .. }), None) => Ok(Dims::Flat(inputs)),
        (Some(Layer::Conv1d { in_channels: c, .. }), None) => (1..=MAX_SIDE)
            .map(|l| Dims::Seq(c, l))
            .find(|&d| steps(layers, d).is_ok())
            .ok_or_else(|| bad(format!("no length up to {MAX_SIDE} goes through the chain"))),
        (Some(Layer::Conv2d { in_channels: c, .. }), None) => (1..=MAX_SIDE.isqrt())
            .map(|side| Dims::Image(c, side, side))
            .find(|&d| steps(layers, d).is_ok())
            .ok_or_else(|| {
                bad(format!(
                    "no square image up to {MAX_SIDE} values goes through the chain"
                ))
            }),
        (_, None) => Err(bad("the layer needs the input's shape and none is given".into())),
        (_, Some(&[c, l])) => Ok(Dims::Seq(c, l)),
        (_, Some(&[c, h, w])) => Ok(Dims::Image(c, h, w)),
        (Some(Layer::Conv1d { in_channels: c, .. }), Some(&[n])) if c > 0 && n.is_multiple_of(c) => {
            Ok(Dims::Seq(c, n / c))
        }
        (Some(Layer::Conv2d { in_channels: c, .. }), Some(&[n])) if c > 0 && n.is_multiple_of(c) => {
            let side = (n / c).isqrt();
            if side * side == n / c {
                Ok(Dims::Image(c, side, side))
            } else {
                Err(bad(format!("{} values per channel are not a square image", n / c)))
            }
        }
        (_, Some(&[n])) => Ok(Dims::Flat(n)),
        (_, Some(_)) => Err(bad("not 1, 2 or 3 sizes".into())),
    }
}

/// `(length − kernel) / stride + 1` (plus `2 · padding` to the length), if the kernel fits.
fn out_len(len: usize, kernel: usize, stride: usize, padding: usize) -> Option<usize> {
    // Saturating: a length this large is refused by the bound on a sample's size.
    let padded = len.saturating_add(padding.saturating_mul(2));
    (kernel > 0 && stride > 0 && kernel <= padded).then(|| (padded - kernel) / stride + 1)
}

/// The output of `layer` (at position `index`) fed `input`.
fn step(index: usize, layer: Layer, input: Dims) -> Result<Dims, ExportError> {
    let fail = |why: String| ExportError::Fit {
        index,
        layer: printed(layer),
        input: input.to_string(),
        why,
    };
    let small = || fail("the kernel is larger than the input".into());
    match (layer, input) {
        (Layer::Tanh | Layer::Sigmoid | Layer::ReLU, d) => Ok(d),
        (Layer::Softmax | Layer::LogSoftmax, Dims::Flat(n)) => Ok(Dims::Flat(n)),
        (Layer::Linear { inputs, outputs }, Dims::Flat(n)) if n == inputs => Ok(Dims::Flat(outputs)),
        (Layer::Linear { inputs, .. }, Dims::Flat(n)) => {
            Err(fail(format!("it takes {inputs} inputs but the layer before gives {n}")))
        }
        (Layer::Flatten, Dims::Seq(..) | Dims::Image(..)) => Ok(Dims::Flat(input.size())),
        (
            Layer::Conv1d {
                in_channels,
                out_channels,
                kernel,
                stride,
            },
            Dims::Seq(c, l),
        ) => {
            if c != in_channels {
                return Err(fail(format!("it takes {in_channels} channels, not {c}")));
            }
            Ok(Dims::Seq(
                out_channels,
                out_len(l, kernel, stride, 0).ok_or_else(small)?,
            ))
        }
        (Layer::MaxPool1d { kernel, stride } | Layer::AvgPool1d { kernel, stride }, Dims::Seq(c, l)) => {
            Ok(Dims::Seq(c, out_len(l, kernel, stride, 0).ok_or_else(small)?))
        }
        (
            Layer::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
            },
            Dims::Image(c, h, w),
        ) => {
            if c != in_channels {
                return Err(fail(format!("it takes {in_channels} channels, not {c}")));
            }
            let side = |s| out_len(s, kernel, stride, padding).ok_or_else(small);
            Ok(Dims::Image(out_channels, side(h)?, side(w)?))
        }
        (Layer::MaxPool2d { kernel, stride } | Layer::AvgPool2d { kernel, stride }, Dims::Image(c, h, w)) => {
            let side = |s| out_len(s, kernel, stride, 0).ok_or_else(small);
            Ok(Dims::Image(c, side(h)?, side(w)?))
        }
        _ => Err(fail("the layer does not take a sample of this shape".into())),
    }
}

/// The layers with their shapes, from the input `input`.
///
/// # Errors
/// [`ExportError::Fit`] naming the first layer that cannot take what the
/// one before gives; [`ExportError::TooLarge`] naming the first that gives
/// more than [`MAX_VALUES`] values.
pub fn steps(layers: &[Layer], input: Dims) -> Result<Vec<Step>, ExportError> {
    if !input.bounded() {
        return Err(too_large(format!("the input {input}"), input));
    }
    let mut current = input;
    let mut out = Vec::with_capacity(layers.len());
    for (index, &layer) in layers.iter().enumerate() {
        let output = step(index, layer, current)?;
        if !output.bounded() {
            return Err(too_large(format!("layer {index} {}", printed(layer)), output));
        }
        out.push(Step {
            layer,
            input: current,
            output,
        });
        current = output;
    }
    Ok(out)
}

/// ", S" when `s` is not the default `default`.
fn unless(s: usize, default: usize) -> String {
    if s == default { String::new() } else { format!(", {s}") }
}

/// The core's f32 type of a step, as `model.rs` names it.
pub fn rust_type(s: &Step) -> String {
    match (s.layer, s.input, s.output) {
        (Layer::Linear { inputs, outputs }, ..) => format!("Linear<{inputs}, {outputs}>"),
        (
            Layer::Conv1d {
                in_channels: ci,
                out_channels: co,
                kernel: k,
                stride,
            },
            Dims::Seq(_, l),
            Dims::Seq(_, lo),
        ) => {
            format!("Conv1d<{ci}, {co}, {k}, {l}, {lo}{}>", unless(stride, 1))
        }
        (Layer::MaxPool1d { kernel, stride }, _, Dims::Seq(_, lo)) => format!("MaxPool1d<{kernel}, {stride}, {lo}>"),
        (Layer::AvgPool1d { kernel, stride }, _, Dims::Seq(_, lo)) => format!("AvgPool1d<{kernel}, {stride}, {lo}>"),
        (Layer::Flatten, _, out) => format!("Flatten<{}>", out.size()),
        (
            Layer::Conv2d {
                in_channels: ci,
                out_channels: co,
                kernel: k,
                stride,
                padding,
            },
            Dims::Image(_, h, w),
            Dims::Image(_, ho, wo),
        ) => format!("Conv2d<{ci}, {co}, {k}, {h}, {w}, {ho}, {wo}, {stride}, {padding}>"),
        (Layer::MaxPool2d { kernel, stride }, _, Dims::Image(_, ho, wo)) => {
            format!("MaxPool2d<{kernel}, {stride}, {ho}, {wo}>")
        }
        (Layer::AvgPool2d { kernel, stride }, _, Dims::Image(_, ho, wo)) => {
            format!("AvgPool2d<{kernel}, {stride}, {ho}, {wo}>")
        }
        (other, ..) => format!("{other:?}"),
    }
}

/// The type's name alone (`Conv1d` of `Conv1d<…>`), for the `use` line.
pub fn kind(s: &Step) -> String {
    let ty = rust_type(s);
    ty[..ty.find('<').unwrap_or(ty.len())].to_owned()
}

/// The value of a step in `Sequential::new((…))`.
pub fn value(s: &Step) -> String {
    match s.layer {
        Layer::Linear { .. } | Layer::Conv1d { .. } | Layer::Conv2d { .. } => format!("{}::new()", kind(s)),
        _ => kind(s),
    }
}

/// The f32 tensors a step reads: `(suffix, shape)` (named `{index}.{suffix}`).
pub fn tensors(s: &Step) -> Vec<(&'static str, Vec<usize>)> {
    match s.layer {
        Layer::Linear { inputs, outputs } => vec![("weight", vec![outputs, inputs]), ("bias", vec![outputs])],
        Layer::Conv1d {
            in_channels,
            out_channels,
            kernel,
            ..
        } => vec![
            ("weight", vec![out_channels, in_channels, kernel]),
            ("bias", vec![out_channels]),
        ],
        Layer::Conv2d {
            in_channels,
            out_channels,
            kernel,
            ..
        } => vec![
            ("weight", vec![out_channels, in_channels, kernel, kernel]),
            ("bias", vec![out_channels]),
        ],
        _ => Vec::new(),
    }
}
