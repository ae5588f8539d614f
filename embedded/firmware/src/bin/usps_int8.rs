//! Int8 inference from flash: the USPS MLP 256-128-64-10 quantised on the
//! host (`flambeau quantize`, through the `export_int8` example), read in
//! place from its int8 safetensors bytes in flash, classifies USPS test
//! images stored in flash as int8 codes (one byte a pixel). It passes when
//! every prediction equals the host's int8 prediction for the same file and
//! images, and the accuracy reaches the bar. Boards with 1 MiB of flash
//! classify all 2007 test images, the Cortex-M0 the first ones its flash
//! holds (`FLAMBEAU_FW_INT8_IMAGES`; by default as many as fit).
//!
//! Build with the feature `usps` and `FLAMBEAU_FW_DATA` naming the exported
//! folder, into which `export_int8` wrote `int8/`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::{QFootprint, QLinear, QLut, QNetwork};
use flambeau_board::println;
use flambeau_demos::usps::{ACCURACY_BAR_PER_MILLE, PIXELS};
use flambeau_demos::{Bench, Region, per_mille};
use flambeau_firmware::{CHIP, Markers, check_brief, code, finish, print_percent};

/// The int8 model and test images in flash (`FLAMBEAU_FW_DATA/int8`).
mod data {
    include!(concat!(env!("OUT_DIR"), "/fw_int8.rs"));
}

/// The int8 USPS MLP, as the int8 file stores it.
type QMlp<'a> = (
    QLinear<'a, 256, 128>,
    QLut<'a, 128>,
    QLinear<'a, 128, 64>,
    QLut<'a, 64>,
    QLinear<'a, 64, 10>,
);
type Fp<'a> = QFootprint<QMlp<'a>>;

static MODEL: &[u8] = data::USPS_MLP_INT8_SAFETENSORS;
static IMAGES: &[u8] = data::INT8_TEST_IMAGES_I8;
static LABELS: &[u8] = data::INT8_TEST_LABELS_U8;
static HOST: &[u8] = data::INT8_HOST_PREDICTIONS_U8;

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
    println!("demo = usps_int8 on {}", CHIP);
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
    let mut net = check_brief(
        "reading the int8 model",
        QNetwork::<QMlp>::from_safetensors(MODEL, act, wide),
    );
    let (mut correct, mut host_correct, mut mismatches, mut first) = (0usize, 0usize, 0usize, None);
    let samples = IMAGES.chunks_exact(PIXELS).zip(LABELS).zip(HOST);
    for (i, ((pixels, &label), &host)) in samples.enumerate() {
        for (x, &p) in input.iter_mut().zip(pixels) {
            *x = p as i8;
        }
        Markers.start(Region::Infer);
        let class = net.classify(input);
        Markers.stop(Region::Infer);
        let class = check_brief("classifying", class) as u8;
        correct += usize::from(class == label);
        host_correct += usize::from(host == label);
        if class != host {
            mismatches += 1;
            first = first.or(Some((i, class, host)));
        }
    }
    let n = LABELS.len().min(HOST.len()).min(IMAGES.len() / PIXELS);
    println!("images = {} of the {} exported", n, data::INT8_TEST_IMAGES_EXPORTED);
    print_percent("chip_accuracy", per_mille(correct, n));
    print_percent("host_accuracy", per_mille(host_correct, n));
    println!("prediction_mismatches = {}", mismatches);
    if let Some((i, chip, host)) = first {
        println!("first mismatch: image {} chip {} host {}", i, chip, host);
    }
    let status = if mismatches > 0 {
        println!("FAIL: the chip's predictions differ from the host's");
        code::MISMATCH
    } else if n == 0 || per_mille(correct, n) < ACCURACY_BAR_PER_MILLE {
        println!("FAIL: accuracy below {} per-mille", ACCURACY_BAR_PER_MILLE);
        code::ACCURACY
    } else {
        code::PASS
    };
    finish(status)
}
