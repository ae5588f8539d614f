//! The USPS demo: 16×16 grey-level digits as `u8` pixels (in flash on the
//! chip), scaled by `1/255` on the fly, classified or trained on by an MLP.
//!
//! The host and the chip share every step: the pixel scaling
//! ([`to_input`]), the classification loop ([`classify_all`]) and the
//! training epoch ([`Classifier::epoch`]), so that their predictions agree
//! bit for bit.

use crate::{Bench, Region};
use flambeau::{
    CrossEntropyLoss, Error, Footprint, InferenceFootprint, Linear, Model, Network, Node, Optimizer, Rank1, Rng,
    Sequential, Tanh, Trainer, argmax,
};

/// Side of an image in pixels.
pub const SIDE: usize = 16;
/// Pixels of an image.
pub const PIXELS: usize = SIDE * SIDE;
/// Digit classes.
pub const CLASSES: usize = 10;
/// A stored pixel byte is divided by this to give the net's input in `[0, 1]`.
pub const PIXEL_MAX: f32 = 255.0;

/// The USPS MLP: `Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)`.
pub type Mlp = Sequential<(Linear<PIXELS, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, CLASSES>)>;
/// Its inference footprint, one image at a time.
pub type InferFp = InferenceFootprint<Mlp, 1>;
/// Its training footprint at batch size `B`.
pub type TrainFp<const B: usize> = Footprint<Mlp, CrossEntropyLoss, B>;

/// Test accuracy the exported model must reach, in per-mille.
pub const ACCURACY_BAR_PER_MILLE: usize = 850;

/// Batch size of the training the Cortex-M4F runs.
pub const CHIP_BATCH: usize = 8;

/// A training run on `u8` images: plain SGD, so that the only state is the
/// arena (parameters, activations and their gradients).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    /// Seed of the initial weights and of the epoch orders.
    pub seed: u64,
    /// SGD's learning rate.
    pub lr: f32,
    /// Training images (the first ones of the training set).
    pub images: usize,
    /// Passes over them.
    pub epochs: usize,
    /// Test images evaluated afterwards (the first ones of the test set).
    pub eval_images: usize,
}

/// The training the Cortex-M4F runs on images in its flash (and the host
/// repeats, for parity).
pub const CHIP_TRAIN: TrainConfig = TrainConfig {
    seed: 7,
    lr: 0.1,
    images: 2048,
    epochs: 2,
    eval_images: 500,
};

/// A fresh [`Mlp`] with PyTorch's default initialisation.
pub const fn mlp() -> Mlp {
    Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()))
}

/// Writes `pixel / 255` for each pixel into `input` (the shorter length wins).
pub fn to_input(pixels: &[u8], input: &mut [f32]) {
    for (x, &p) in input.iter_mut().zip(pixels) {
        *x = f32::from(p) / PIXEL_MAX;
    }
}

/// Images of [`PIXELS`] bytes each, with their labels.
#[derive(Clone, Copy, Debug)]
pub struct Images<'d> {
    pixels: &'d [u8],
    labels: &'d [u8],
}

impl<'d> Images<'d> {
    /// Checks that `pixels` holds one image per label and every label is a digit.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] or [`Error::LabelOutOfRange`].
    pub fn new(pixels: &'d [u8], labels: &'d [u8]) -> Result<Self, Error> {
        let expected = labels.len() * PIXELS;
        if pixels.len() != expected {
            return Err(Error::LengthMismatch {
                what: "image pixels",
                expected,
                got: pixels.len(),
            });
        }
        if let Some(&label) = labels.iter().find(|&&l| usize::from(l) >= CLASSES) {
            return Err(Error::LabelOutOfRange {
                label: label.into(),
                classes: CLASSES,
            });
        }
        Ok(Images { pixels, labels })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image `i`: its pixels and label.
    pub fn get(&self, i: usize) -> Option<(&'d [u8], u8)> {
        let px = self.pixels.get(i * PIXELS..(i + 1) * PIXELS)?;
        Some((px, *self.labels.get(i)?))
    }

    /// Every image with its label, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'d [u8], u8)> + 'd {
        self.pixels.chunks_exact(PIXELS).zip(self.labels.iter().copied())
    }
}

/// Classifies every image with `net`, one at a time, marking each inference
/// on `bench` and calling `each(index, predicted class)`; returns how many
/// predictions equal the label.
///
/// # Errors
/// Whatever [`Network::predict`] returns.
pub fn classify_all<M: Model<Input = Rank1<PIXELS>>>(
    net: &mut Network<'_, f32, M, 1>,
    images: &Images<'_>,
    bench: &mut impl Bench,
    mut each: impl FnMut(usize, u8),
) -> Result<usize, Error> {
    let mut input = [0.0f32; PIXELS];
    let mut correct = 0;
    for (i, (pixels, label)) in images.iter().enumerate() {
        to_input(pixels, &mut input);
        bench.start(Region::Infer);
        let out = net.predict(&input);
        bench.stop(Region::Infer);
        let class = argmax(out?) as u8;
        correct += usize::from(class == label);
        each(i, class);
    }
    Ok(correct)
}

/// Loss of one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochStats {
    /// Mean of the batch losses, weighted by their rows.
    pub mean_loss: f32,
    /// Training steps (batches) taken.
    pub steps: usize,
}

/// A classifier `M` of `u8` images trained with cross-entropy at batch size `B`.
pub struct Classifier<'a, M: Model<Input = Rank1<PIXELS>, Output = Rank1<CLASSES>>, O, const B: usize> {
    trainer: Trainer<'a, f32, M, CrossEntropyLoss, B>,
    opt: O,
    rng: Rng,
}

impl<'a, M, O, const B: usize> Classifier<'a, M, O, B>
where
    M: Model<Input = Rank1<PIXELS>, Output = Rank1<CLASSES>>,
    O: Optimizer<f32>,
{
    /// Records `model` on `tape` and `arena` (sized by [`Footprint`]) and
    /// draws its weights from `seed`, which also orders the epochs.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`] naming what is needed.
    pub fn new(model: M, opt: O, seed: u64, tape: &'a mut [Node], arena: &'a mut [f32]) -> Result<Self, Error> {
        let mut trainer = Trainer::new(model, CrossEntropyLoss, tape, arena)?;
        let mut rng = Rng::new(seed);
        trainer.init(&mut rng);
        Ok(Classifier { trainer, opt, rng })
    }

    /// One pass over `images` in a seeded order (an affine permutation
    /// `i ↦ (a·i + b) mod n`, which needs no index buffer), in batches of `B`
    /// (the last one partial), marking each step on `bench`.
    ///
    /// # Errors
    /// Whatever a step returns.
    pub fn epoch(&mut self, images: &Images<'_>, bench: &mut impl Bench) -> Result<EpochStats, Error> {
        let n = images.len();
        let (a, b) = affine_order(n, &mut self.rng);
        let (mut weighted, mut steps) = (0.0f32, 0);
        let mut k = 0;
        while k < n {
            let rows = B.min(n - k);
            self.fill_batch(images, (k..k + rows).map(|i| (a * i as u64 + b) % n as u64))?;
            bench.start(Region::Train);
            let loss = self.trainer.step(&mut self.opt);
            bench.stop(Region::Train);
            weighted += loss? * rows as f32;
            steps += 1;
            k += rows;
        }
        Ok(EpochStats {
            mean_loss: if n == 0 { 0.0 } else { weighted / n as f32 },
            steps,
        })
    }

    /// Writes the images at `indices` into the batch, with one-hot targets.
    fn fill_batch(&mut self, images: &Images<'_>, indices: impl Iterator<Item = u64>) -> Result<(), Error> {
        let mut rows = 0;
        for (i, slot) in indices.zip(0..B) {
            let (pixels, label) = images.get(i as usize).unwrap_or((&[], 0));
            let input = self.trainer.input_mut();
            to_input(
                pixels,
                input.get_mut(slot * PIXELS..(slot + 1) * PIXELS).unwrap_or(&mut []),
            );
            let target = self.trainer.target_mut();
            if let Some(t) = target.get_mut(slot * CLASSES..(slot + 1) * CLASSES) {
                t.iter_mut()
                    .enumerate()
                    .for_each(|(c, v)| *v = if c == usize::from(label) { 1.0 } else { 0.0 });
            }
            rows += 1;
        }
        self.trainer.set_rows(rows)
    }

    /// How many of `images` the classifier gets right, one image at a time.
    ///
    /// # Errors
    /// [`Error::RowsOutOfRange`] only if the graph's batch were empty.
    pub fn evaluate(&mut self, images: &Images<'_>, bench: &mut impl Bench) -> Result<usize, Error> {
        let mut correct = 0;
        for (pixels, label) in images.iter() {
            // Scaled straight into the first row of the batch: no staging buffer on the stack.
            to_input(pixels, self.trainer.input_mut());
            self.trainer.set_rows(1)?;
            bench.start(Region::Infer);
            let out = self.trainer.forward();
            bench.stop(Region::Infer);
            correct += usize::from(argmax(out) == usize::from(label));
        }
        Ok(correct)
    }

    /// The trainer (graph, parameters, saving).
    pub fn trainer(&self) -> &Trainer<'a, f32, M, CrossEntropyLoss, B> {
        &self.trainer
    }
}

/// A seeded stride `a` coprime with `n` and an offset `b`, so that
/// `i ↦ (a·i + b) mod n` visits `0..n` once each.
fn affine_order(n: usize, rng: &mut Rng) -> (u64, u64) {
    if n < 2 {
        return (1, 0);
    }
    let n64 = n as u64;
    let mut a = 1 + rng.below(n - 1) as u64;
    while gcd(a, n64) != 1 {
        a = 1 + rng.below(n - 1) as u64;
    }
    (a, rng.below(n) as u64)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_order_is_a_permutation() {
        let mut rng = Rng::new(5);
        for n in [1usize, 2, 7, 12, 100] {
            let (a, b) = affine_order(n, &mut rng);
            let mut seen = [false; 100];
            (0..n).for_each(|i| seen[((a * i as u64 + b) % n as u64) as usize] = true);
            assert!(seen[..n].iter().all(|&s| s), "n = {n}");
        }
    }

    #[test]
    fn images_check_lengths_and_labels() {
        let px = [0u8; 2 * PIXELS];
        assert_eq!(Images::new(&px, &[1, 9]).map(|i| i.len()), Ok(2));
        assert!(Images::new(&px, &[1]).is_err());
        assert!(Images::new(&px, &[1, 10]).is_err());
    }
}
