//! Probe of the largest trainable USPS net: `256-H-10` (Tanh) with
//! `H = FLAMBEAU_FW_PROBE_USPS_HIDDEN`, plain SGD one image at a time over
//! training images in flash, then scored on test images in flash.
//! `embedded/ci.sh` searches the largest `H` whose training state links
//! within the Cortex-M0's 16 KiB next to the stack reserve, then runs it.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::{CrossEntropyLoss, Footprint, Linear, Node, Sequential, Sgd, Tanh};
use flambeau_board::println;
use flambeau_demos::per_mille;
use flambeau_demos::usps::{CLASSES, Classifier, Images, PIXELS};
use flambeau_firmware::{CHIP, Markers, check, code, data, finish, print_fixed, print_percent};

const H: usize = data::PROBE_USPS_HIDDEN;
const B: usize = 1;
type Net = Sequential<(Linear<PIXELS, H>, Tanh, Linear<H, CLASSES>)>;
type Fp = Footprint<Net, CrossEntropyLoss, B>;
/// SGD's rate, passes over the images and the seed.
const LR: f32 = 0.05;
const EPOCHS: usize = 3;
const SEED: u64 = 7;
/// Accuracy that shows the net learnt (chance is 100 per-mille).
const BAR_PER_MILLE: usize = 500;

static mut TAPE: [Node; Fp::NODES] = [Node::EMPTY; Fp::NODES];
static mut ARENA: [f32; Fp::ARENA] = [0.0; Fp::ARENA];

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
    println!("demo = probe_usps on {}: 256-{}-10, SGD, batch {}", CHIP, H, B);
    println!("parameters = {}", Fp::PARAMS);
    println!("training_bytes = {}", Fp::training_bytes(4, 0));
    let train = check(
        "training images",
        Images::new(data::PROBE_IMAGES_U8, data::PROBE_LABELS_U8),
    );
    let eval = check("test images", Images::new(data::EVAL_IMAGES_U8, data::EVAL_LABELS_U8));
    let model = Sequential::new((Linear::new(), Tanh, Linear::new()));
    let mut clf = check(
        "building the net",
        Classifier::<Net, _, B>::new(model, Sgd::new(LR), SEED, tape, arena),
    );
    for _ in 0..EPOCHS {
        let stats = check("training", clf.epoch(&train, &mut Markers));
        print_fixed("mean_loss", stats.mean_loss);
    }
    let correct = check("evaluating", clf.evaluate(&eval, &mut Markers));
    println!("eval_correct = {}/{}", correct, eval.len());
    print_percent("eval_accuracy", per_mille(correct, eval.len()));
    finish(if per_mille(correct, eval.len()) >= BAR_PER_MILLE {
        code::PASS
    } else {
        code::ACCURACY
    })
}
