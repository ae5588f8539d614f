//! # flambeau-demos
//!
//! The training and inference routines of the firmware demos, in one
//! `no_std`, allocation-free library used by both the firmware (on a
//! Cortex-M under QEMU) and the host (the parity test and the exporter), so
//! that chip and host run exactly the same code:
//!
//! - [`checkerboard`]: a `2-16-1` net trained on points drawn from a seed
//!   (four Gaussian clusters, label = XOR of the signs), with a hash of the
//!   trained weights' bit patterns for host–device parity;
//! - [`usps`]: the USPS digit MLP `256-128-64-10`, classifying `u8` images
//!   (from flash) and training on them.
//!
//! Every buffer is the caller's: statics sized by
//! [`Footprint`](flambeau::Footprint) on the chip, vectors on the host.
//!
//! ```
//! use flambeau::Node;
//! use flambeau_demos::{NoBench, checkerboard as cb};
//!
//! let mut tape = [Node::EMPTY; cb::NODES];
//! let mut arena = [0.0f32; cb::ARENA];
//! let mut state = [0.0f32; cb::STATE];
//! let config = cb::Config { steps: 50, held_out: 100, ..cb::Config::default() };
//! let mut demo = cb::Checkerboard::<{ cb::HIDDEN }>::new(config, &mut tape, &mut arena, &mut state)?;
//! let outcome = demo.run(&mut NoBench)?;
//! assert!(outcome.last_loss < outcome.first_loss);
//! # Ok::<(), flambeau::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod checkerboard;
pub mod usps;

/// The measured regions of a demo (instruction counts on the chip).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// One training step: forward, backward and update on one batch.
    Train,
    /// One inference: the forward pass on one sample.
    Infer,
}

/// Marks the start and end of measured regions; the firmware brackets them
/// with symbols an instruction-counting emulator plugin watches, the host
/// does nothing.
pub trait Bench {
    /// Entering `region`.
    fn start(&mut self, region: Region) {
        let _ = region;
    }
    /// Leaving `region`.
    fn stop(&mut self, region: Region) {
        let _ = region;
    }
}

/// A [`Bench`] that measures nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBench;

impl Bench for NoBench {}

/// FNV-1a, 64 bits: offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a, 64 bits: prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a (64 bits) over the little-endian bit patterns of `values`: equal
/// hashes mean bit-identical parameters (to the odds of a collision).
///
/// ```
/// assert_eq!(flambeau_demos::bits_hash(&[]), 0xcbf2_9ce4_8422_2325);
/// assert_ne!(flambeau_demos::bits_hash(&[0.0]), flambeau_demos::bits_hash(&[-0.0]));
/// ```
pub fn bits_hash(values: &[f32]) -> u64 {
    values
        .iter()
        .flat_map(|v| v.to_bits().to_le_bytes())
        .fold(FNV_OFFSET, |h, byte| (h ^ u64::from(byte)).wrapping_mul(FNV_PRIME))
}

/// `correct / total` as whole per-mille (rounded down; 0 for an empty set),
/// so that the firmware prints accuracies without float formatting.
pub fn per_mille(correct: usize, total: usize) -> usize {
    (correct * 1000).checked_div(total).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_known_value() {
        // FNV-1a 64 of the bytes 00 00 80 3f (1.0f32), computed by hand from the definition.
        let mut h = FNV_OFFSET;
        for b in [0x00u8, 0x00, 0x80, 0x3f] {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        assert_eq!(bits_hash(&[1.0]), h);
    }

    #[test]
    fn per_mille_rounds_down() {
        assert_eq!(per_mille(999, 1000), 999);
        assert_eq!(per_mille(2, 3), 666);
        assert_eq!(per_mille(1, 0), 0);
    }
}
