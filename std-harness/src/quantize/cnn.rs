//! The `conv1d` experiment's 1-D CNNs in int8, and the predictions of any
//! f32 or int8 network the quantiser evaluates.

use flambeau::{
    InferenceFootprint, Model, Network, Node, QChainLoad, QConv1d, QFlatten, QFootprint, QLinear, QMaxPool1d, QNetwork,
    QReLU, Shape,
};

use crate::error::{CoreContext, Result};
use crate::experiments::conv1d::{DeepNet, ReportNet, SmallNet};

/// `ReportNet` in int8: Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,100) -> ReLU -> Linear(100,10).
pub type QReportNet<'a> = (
    QConv1d<'a, 1, 32, 3, 256, 254>,
    QMaxPool1d<32, 254, 2, 2, 127>,
    QFlatten<4064>,
    QLinear<'a, 4064, 100>,
    QReLU<100>,
    QLinear<'a, 100, 10>,
);
/// `SmallNet` in int8: Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10).
pub type QSmallNet<'a> = (
    QConv1d<'a, 1, 32, 3, 256, 254>,
    QMaxPool1d<32, 254, 2, 2, 127>,
    QFlatten<4064>,
    QLinear<'a, 4064, 10>,
);
/// `DeepNet` in int8: Conv1d(1,32,k=35) -> ReLU -> MaxPool1d(2,2) -> Flatten -> Linear(3552,100) -> ReLU -> Linear(100,10).
pub type QDeepNet<'a> = (
    QConv1d<'a, 1, 32, 35, 256, 222>,
    QReLU<7104>,
    QMaxPool1d<32, 222, 2, 2, 111>,
    QFlatten<3552>,
    QLinear<'a, 3552, 100>,
    QReLU<100>,
    QLinear<'a, 100, 10>,
);

/// The 1-D CNNs `quantize` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cnn {
    /// [`ReportNet`].
    Report,
    /// [`SmallNet`].
    Small,
    /// [`DeepNet`].
    Deep,
}

impl Cnn {
    /// The network whose f32 form prints as `arch` (blanks ignored), if any.
    pub fn of(arch: &str) -> Option<Self> {
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let arch = squeeze(arch);
        [
            (Cnn::Report, ReportNet::default().to_string()),
            (Cnn::Small, SmallNet::default().to_string()),
            (Cnn::Deep, DeepNet::default().to_string()),
        ]
        .into_iter()
        .find_map(|(c, name)| (squeeze(&name) == arch).then_some(c))
    }

    /// The f32 model's classes for `images` (256 values each).
    ///
    /// # Errors
    /// The core's errors reading the model.
    pub fn f32_classes(self, bytes: &[u8], images: &[f32]) -> Result<Vec<usize>> {
        match self {
            Cnn::Report => f32_classes::<ReportNet>(bytes, images),
            Cnn::Small => f32_classes::<SmallNet>(bytes, images),
            Cnn::Deep => f32_classes::<DeepNet>(bytes, images),
        }
    }

    /// The int8 model's classes for `images` (f32, quantised by the file's
    /// input params), its output codes, and the int8 images.
    ///
    /// # Errors
    /// The core's errors reading the int8 file.
    pub fn int8_classes(self, bytes: &[u8], images: &[f32]) -> Result<Int8Run> {
        match self {
            Cnn::Report => int8_classes::<QReportNet>(bytes, images),
            Cnn::Small => int8_classes::<QSmallNet>(bytes, images),
            Cnn::Deep => int8_classes::<QDeepNet>(bytes, images),
        }
    }
}

/// What an int8 network gave for a set of images.
#[derive(Debug, Clone)]
pub struct Int8Run {
    /// The class of each image (the first largest output code).
    pub classes: Vec<usize>,
    /// The output codes of every image, one after the other.
    pub outputs: Vec<i8>,
    /// The images as int8 codes.
    pub codes: Vec<i8>,
}

/// The classes the f32 network `M` stored in `bytes` predicts, one image at a time.
///
/// # Errors
/// The core's errors reading the model or running it.
pub fn f32_classes<M: Model + Default>(bytes: &[u8], images: &[f32]) -> Result<Vec<usize>> {
    let mut tape = vec![Node::EMPTY; InferenceFootprint::<M, 1>::NODES];
    let mut arena = vec![0.0f32; InferenceFootprint::<M, 1>::FLASH_ARENA];
    let model = M::default();
    let mut net = Network::<f32, M, 1>::from_safetensors(&model, &mut tape, &mut arena, bytes)
        .context(|| "reading the f32 model".to_owned())?;
    let width = <M::Input as Shape>::SIZE;
    let mut class = [0usize];
    images
        .chunks_exact(width.max(1))
        .map(|x| net.classify(x, &mut class).map(|()| class[0]))
        .collect::<std::result::Result<_, _>>()
        .context(|| "f32 inference".to_owned())
}

/// The int8 chain `L` stored in `bytes` run on `images` (f32 values,
/// quantised by the file's input params).
///
/// # Errors
/// The core's errors reading the int8 file.
pub fn int8_classes<'a, L: QChainLoad<'a>>(bytes: &'a [u8], images: &[f32]) -> Result<Int8Run> {
    let (mut act, mut wide) = (vec![0i8; QFootprint::<L>::ACT], vec![0i16; QFootprint::<L>::WIDE]);
    let mut net =
        QNetwork::<L>::from_safetensors(bytes, &mut act, &mut wide).context(|| "reading the int8 model".to_owned())?;
    let p = net.input_params();
    let codes: Vec<i8> = images.iter().map(|&v| p.quantize(v)).collect();
    let (mut classes, mut outputs) = (Vec::new(), Vec::new());
    for x in codes.chunks_exact(L::IN.max(1)) {
        let out = net.predict(x).context(|| "int8 inference".to_owned())?;
        outputs.extend_from_slice(out);
        let best = out.iter().copied().max().unwrap_or(0);
        classes.push(out.iter().position(|&v| v == best).unwrap_or(0));
    }
    Ok(Int8Run {
        classes,
        outputs,
        codes,
    })
}
