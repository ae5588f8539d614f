//! Arbitrary bytes as an int8 model file: `QNetwork::from_safetensors` must
//! return a value or an error, never panic; a file it accepts must run on
//! any input codes.
#![no_main]

use flambeau::{QFootprint, QLinear, QLut, QNetwork};
use libfuzzer_sys::fuzz_target;

type Net<'a> = (QLinear<'a, 4, 3>, QLut<'a, 3>, QLinear<'a, 3, 2>);

fuzz_target!(|data: &[u8]| {
    let (mut act, mut wide) = ([0i8; QFootprint::<Net>::ACT], [0i16; QFootprint::<Net>::WIDE]);
    if let Ok(mut net) = QNetwork::<Net>::from_safetensors(data, &mut act, &mut wide) {
        let input = [data.first().copied().unwrap_or(0) as i8; 4];
        let class = net.classify(&input).unwrap_or(0);
        assert!(class < 2);
    }
});
