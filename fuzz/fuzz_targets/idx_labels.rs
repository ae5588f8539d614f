//! IDX labels parser: any bytes give labels below the class count or an error.
#![no_main]

use flambeau_harness::data::idx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let classes = usize::from(data.first().copied().unwrap_or(10) % 12);
    if let Ok(labels) = idx::parse_labels(data.get(1..).unwrap_or_default(), "fuzz", classes) {
        assert!(labels.iter().all(|&l| usize::from(l) < classes));
    }
});
