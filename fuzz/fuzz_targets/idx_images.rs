//! IDX images parser: any bytes, raw (the gzip path when they start with
//! 1f 8b) and gzip-compressed, give a value or an error, never a panic.
#![no_main]

use std::io::Write;

use flambeau_harness::data::idx;
use flate2::{Compression, write::GzEncoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(images) = idx::parse_images(data, "fuzz") {
        assert_eq!(images.pixels.len(), images.n * images.rows * images.cols);
        assert!(images.pixels.iter().all(|p| (0.0..=1.0).contains(p)));
        let _ = idx::expect_size(&images, "fuzz", 16, 16);
    }
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    if enc.write_all(data).is_ok() {
        if let Ok(packed) = enc.finish() {
            let _ = idx::parse_images(&packed, "fuzz.gz");
        }
    }
});
