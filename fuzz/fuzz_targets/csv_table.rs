//! CSV table reader: any bytes give a finite, rectangular table or an error.
//! The target column is the first header cell, so most inputs get past the
//! header and exercise the encoders.
#![no_main]

use flambeau_harness::data::{TableSpec, parse_table};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = data.split(|&b| b == b',' || b == b'\n').next().unwrap_or_default();
    let target = String::from_utf8_lossy(first).trim().to_owned();
    if let Ok(table) = parse_table(data, "fuzz", &TableSpec::new(target)) {
        assert_eq!(table.features.len(), table.n * table.d);
        assert_eq!(table.names.len(), table.d);
        assert_eq!(table.target.len(), table.n);
        assert!(table.features.iter().chain(&table.target).all(|x| x.is_finite()));
    }
});
