//! Int8 1-D CNN inference from flash: the `conv1d` experiment's small
//! network, `Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10)`,
//! trained and quantised on the host (`flambeau quantize`, through the
//! `export_cnn_int8` example), read in place from its int8 safetensors bytes
//! in flash, classifies USPS test images stored in flash as int8 codes. It
//! passes when every image's 10 output codes equal the host's (so the
//! classes and the accuracy are the host's too) and the accuracy reaches
//! the bar. Its RAM is the chain's [`QFootprint`]: two ping-pong buffers of
//! the convolution's 32 × 254 codes, the output, and the widened input of
//! the widest layer.
//!
//! Build with the feature `usps` and `FLAMBEAU_FW_DATA` naming the exported
//! folder, into which `export_cnn_int8` wrote `cnn/`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::{QConv1d, QFlatten, QFootprint, QLinear, QMaxPool1d, QNetwork};
use flambeau_board::println;
use flambeau_demos::usps::{ACCURACY_BAR_PER_MILLE, PIXELS};
use flambeau_demos::{Bench, Region, per_mille};
use flambeau_firmware::{CHIP, Markers, check, code, finish, print_percent};

/// The int8 model and test images in flash (`FLAMBEAU_FW_DATA/cnn`).
mod data {
    include!(concat!(env!("OUT_DIR"), "/fw_cnn.rs"));
}

/// The int8 1-D CNN, as the int8 file stores it.
type QCnn<'a> = (
    QConv1d<'a, 1, 32, 3, 256, 254>,
    QMaxPool1d<32, 254, 2, 2, 127>,
    QFlatten<4064>,
    QLinear<'a, 4064, 10>,
);
type Fp<'a> = QFootprint<QCnn<'a>>;
/// Output codes of one image.
const CLASSES: usize = 10;

static MODEL: &[u8] = data::USPS_CNN_INT8_SAFETENSORS;
static IMAGES: &[u8] = data::CNN_TEST_IMAGES_I8;
static LABELS: &[u8] = data::CNN_TEST_LABELS_U8;
static HOST: &[u8] = data::CNN_HOST_PREDICTIONS_U8;
static HOST_OUTPUTS: &[u8] = data::CNN_HOST_OUTPUTS_I8;

// Activations and scratch only: the parameters stay in flash.
static mut ACT: [i8; Fp::ACT] = [0; Fp::ACT];
static mut WIDE: [i16; Fp::WIDE] = [0; Fp::WIDE];
// The image being classified, copied from flash as int8 codes.
static mut INPUT: [i8; PIXELS] = [0; PIXELS];

#[entry]
fn main() -> ! {
    flambeau_firmware::init();
    // SAFETY: `main` runs once and is the only code that touches these statics.
    let (act, wide, input) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(ACT),
            &mut *core::ptr::addr_of_mut!(WIDE),
            &mut *core::ptr::addr_of_mut!(INPUT),
        )
    };
    println!("demo = cnn_int8 on {}", CHIP);
    println!(
        "weights = {} bytes in flash at {:#010x}",
        MODEL.len(),
        MODEL.as_ptr() as usize
    );
    println!(
        "footprint: {} int8 activations + {} int16 scratch = {} bytes of RAM",
        Fp::ACT,
        Fp::WIDE,
        Fp::RAM
    );
    let mut net = check(
        "reading the int8 model",
        QNetwork::<QCnn>::from_safetensors(MODEL, act, wide),
    );
    let (mut correct, mut host_correct, mut mismatches, mut first) = (0usize, 0usize, 0usize, None);
    let samples = IMAGES
        .chunks_exact(PIXELS)
        .zip(LABELS)
        .zip(HOST.iter().zip(HOST_OUTPUTS.chunks_exact(CLASSES)));
    for (i, ((pixels, &label), (&host, host_out))) in samples.enumerate() {
        for (x, &p) in input.iter_mut().zip(pixels) {
            *x = p as i8;
        }
        Markers.start(Region::Infer);
        let out = net.predict(input);
        Markers.stop(Region::Infer);
        let out = check("classifying", out);
        let best = out.iter().copied().max().unwrap_or(0);
        let class = out.iter().position(|&v| v == best).unwrap_or(0) as u8;
        correct += usize::from(class == label);
        host_correct += usize::from(host == label);
        let same = class == host && out.iter().zip(host_out).all(|(&o, &h)| o as u8 == h);
        if !same {
            mismatches += 1;
            first = first.or(Some((i, class, host)));
        }
    }
    let n = LABELS.len().min(HOST.len()).min(IMAGES.len() / PIXELS);
    println!("images = {} of the {} exported", n, data::CNN_TEST_IMAGES_EXPORTED);
    print_percent("chip_accuracy", per_mille(correct, n));
    print_percent("host_accuracy", per_mille(host_correct, n));
    println!("output_mismatches = {}", mismatches);
    if let Some((i, chip, host)) = first {
        println!("first mismatch: image {} chip class {} host class {}", i, chip, host);
    }
    let status = if mismatches > 0 {
        println!("FAIL: the chip's output codes differ from the host's");
        code::MISMATCH
    } else if n == 0 || per_mille(correct, n) < ACCURACY_BAR_PER_MILLE {
        println!("FAIL: accuracy below {} per-mille", ACCURACY_BAR_PER_MILLE);
        code::ACCURACY
    } else {
        code::PASS
    };
    finish(status)
}
