//! USPS text parser: any bytes give 16x16 images in [0, 1] or an error.
#![no_main]

use flambeau_harness::data::usps_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = usps_text::parse(data, "fuzz") {
        assert_eq!(set.features.len(), set.n * 256);
        assert!(set.features.iter().all(|x| (0.0..=1.0).contains(x)));
        assert!(set.labels.iter().all(|&l| l < 10));
    }
});
