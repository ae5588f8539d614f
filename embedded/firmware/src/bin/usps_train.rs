//! On-device training of the USPS MLP 256-128-64-10 (Cortex-M4F): plain SGD
//! over a subset of the training images held in flash as `u8`, then an
//! evaluation on test images in flash. The whole state is the arena and the
//! tape, sized by the core's footprint; the firmware reports the RAM it took
//! and checks that the trained weights are bit-identical to the host's.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::{Node, Sgd};
use flambeau_board::println;
use flambeau_demos::usps::{self, CHIP_BATCH as B, Classifier, Images, Mlp, TrainFp};
use flambeau_demos::{bits_hash, per_mille};
use flambeau_firmware::{CHIP, Markers, check, code, data, finish, print_fixed, print_percent, stack_used};

static mut TAPE: [Node; TrainFp::<B>::NODES] = [Node::EMPTY; TrainFp::<B>::NODES];
static mut ARENA: [f32; TrainFp::<B>::ARENA] = [0.0; TrainFp::<B>::ARENA];

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
    let chip = usps::CHIP_TRAIN;
    let state_bytes = TrainFp::<B>::training_bytes(4, 0);
    println!("demo = usps_train on {}", CHIP);
    println!(
        "footprint: {} parameters, {} tape nodes, {} arena scalars = {} bytes",
        TrainFp::<B>::PARAMS,
        TrainFp::<B>::NODES,
        TrainFp::<B>::ARENA,
        state_bytes
    );
    let train = check(
        "training images",
        Images::new(data::TRAIN_IMAGES_U8, data::TRAIN_LABELS_U8),
    );
    let eval = check("test images", Images::new(data::EVAL_IMAGES_U8, data::EVAL_LABELS_U8));
    let sgd = Sgd::new(chip.lr);
    let mut clf = check(
        "building the net",
        Classifier::<Mlp, _, B>::new(usps::mlp(), sgd, chip.seed, tape, arena),
    );
    println!(
        "training: {} images in flash, batch {}, {} epochs",
        train.len(),
        B,
        chip.epochs
    );
    for epoch in 1..=chip.epochs {
        let stats = check("training", clf.epoch(&train, &mut Markers));
        println!("epoch {}: {} steps", epoch, stats.steps);
        print_fixed("mean_loss", stats.mean_loss);
    }
    let correct = check("evaluating", clf.evaluate(&eval, &mut Markers));
    println!(
        "eval_correct = {}/{} (host: {})",
        correct,
        eval.len(),
        data::USPS_TRAIN_CORRECT
    );
    print_percent("eval_accuracy", per_mille(correct, eval.len()));
    let hash = bits_hash(clf.trainer().graph().params());
    println!("hash = {:#018x}", hash);
    println!("host_hash = {:#018x}", data::USPS_TRAIN_HASH);
    let parity = hash == data::USPS_TRAIN_HASH && correct == data::USPS_TRAIN_CORRECT;
    println!("parity = {}", if parity { "bit-identical" } else { "MISMATCH" });
    println!(
        "ram_needed = {} bytes (training state) + {} bytes (stack)",
        state_bytes,
        stack_used()
    );
    let status = if !parity {
        code::PARITY
    } else if per_mille(correct, eval.len()) < usps::ACCURACY_BAR_PER_MILLE {
        println!("FAIL: accuracy below {} per-mille", usps::ACCURACY_BAR_PER_MILLE);
        code::ACCURACY
    } else {
        code::PASS
    };
    finish(status)
}
