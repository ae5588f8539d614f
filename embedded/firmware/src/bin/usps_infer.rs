//! Inference from flash: the USPS MLP 256-128-64-10, trained on the host,
//! read in place from its safetensors bytes in flash (never copied to RAM),
//! classifies USPS test images stored in flash as `u8` pixels. It passes
//! when every prediction equals the host's for the same weights and images
//! (so the accuracies are equal) and the accuracy reaches the bar.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::{Network, Node};
use flambeau_board::println;
use flambeau_demos::per_mille;
use flambeau_demos::usps::{self, Images, InferFp, Mlp};
use flambeau_firmware::{CHIP, Markers, check, code, data, finish, print_percent};

// Activations only: the parameters stay in flash.
static mut TAPE: [Node; InferFp::NODES] = [Node::EMPTY; InferFp::NODES];
static mut ARENA: [f32; InferFp::FLASH_ARENA] = [0.0; InferFp::FLASH_ARENA];

#[entry]
fn main() -> ! {
    flambeau_firmware::init();
    // SAFETY: `main` runs once and is the only code that touches these statics.
    let (tape, arena) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(TAPE),
            &mut *core::ptr::addr_of_mut!(ARENA),
        )
    };
    let weights: &'static [u8] = data::USPS_MLP_SAFETENSORS;
    println!("demo = usps_infer on {}", CHIP);
    println!(
        "weights = {} bytes in flash at {:#010x}",
        weights.len(),
        weights.as_ptr() as usize
    );
    println!(
        "footprint: {} tape nodes, {} activation scalars in RAM",
        InferFp::NODES,
        InferFp::FLASH_ARENA
    );
    let model = usps::mlp();
    let mut net = check(
        "reading the weights",
        Network::<f32, Mlp, 1>::from_safetensors(&model, tape, arena, weights),
    );
    let images = check("test images", Images::new(data::TEST_IMAGES_U8, data::TEST_LABELS_U8));
    let host = data::HOST_PREDICTIONS_U8;
    let (mut mismatches, mut first) = (0usize, None);
    let each = |i: usize, class: u8| {
        if host.get(i) != Some(&class) {
            mismatches += 1;
            first = first.or(Some((i, class)));
        }
    };
    let correct = check("classifying", usps::classify_all(&mut net, &images, &mut Markers, each));
    let n = images.len();
    println!("images = {} of the {} exported", n, data::TEST_IMAGES_EXPORTED);
    println!("chip_correct = {}/{}", correct, n);
    print_percent("chip_accuracy", per_mille(correct, n));
    println!("host_correct = {}/{}", data::HOST_CORRECT, n);
    print_percent("host_accuracy", per_mille(data::HOST_CORRECT, n));
    println!("prediction_mismatches = {}", mismatches);
    if let Some((i, class)) = first {
        println!("first mismatch: image {} chip {} host {:?}", i, class, host.get(i));
    }
    let status = if mismatches > 0 || correct != data::HOST_CORRECT {
        println!("FAIL: the chip's predictions differ from the host's");
        code::MISMATCH
    } else if n == 0 || per_mille(correct, n) < usps::ACCURACY_BAR_PER_MILLE {
        println!("FAIL: accuracy below {} per-mille", usps::ACCURACY_BAR_PER_MILLE);
        code::ACCURACY
    } else {
        code::PASS
    };
    finish(status)
}
