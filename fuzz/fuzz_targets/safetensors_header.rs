//! Arbitrary bytes as a safetensors buffer: parsing, lookups, loading into a
//! model and reading weights in place must never panic.
#![no_main]

use flambeau::{CrossEntropyLoss, Footprint, InferenceFootprint, Linear, Network, Node, SafeTensors, Sequential, Strictness, Tanh, Trainer};
use libfuzzer_sys::fuzz_target;

type Mlp = Sequential<(Linear<4, 3>, Tanh, Linear<3, 2>)>;
const MLP: Mlp = Sequential((Linear::new(), Tanh, Linear::new()));

fuzz_target!(|data: &[u8]| {
    if let Ok(st) = SafeTensors::parse(data) {
        let _ = st.get("0.weight");
        let mut bytes = 0;
        st.for_each(|_, name, view| {
            let _ = (name.raw(), view.shape(), view.values::<f64>().count());
            bytes += view.data.len();
            true
        });
        // Whatever parses tiles its data section exactly.
        assert_eq!(bytes, st.data().len());
        for (k, v) in st.metadata() {
            let _ = (k.chars().count(), v.chars().count());
        }
    }
    type Fp = Footprint<Mlp, CrossEntropyLoss, 2>;
    let (mut tape, mut arena) = ([Node::EMPTY; Fp::NODES], [0.0f32; Fp::ARENA]);
    if let Ok(mut net) = Trainer::<f32, Mlp, CrossEntropyLoss, 2>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena) {
        if net.graph_mut().load_safetensors(data).is_ok() {
            assert!(net.graph().params().iter().all(|p| p.is_finite()));
        }
        if net.graph_mut().load_safetensors_with(data, Strictness::IgnoreUnexpected).is_ok() {
            assert!(net.graph().params().iter().all(|p| p.is_finite()));
        }
    }
    type Ifp = InferenceFootprint<Mlp, 2>;
    let (mut tape, mut arena) = ([Node::EMPTY; Ifp::NODES], [0.0f32; Ifp::FLASH_ARENA]);
    if let Ok(mut net) = Network::<f32, Mlp, 2>::from_safetensors(&MLP, &mut tape, &mut arena, data) {
        let out = net.predict(&[0.5; 8]).map(|o| o.to_vec());
        assert!(out.is_ok_and(|o| o.iter().all(|v| v.is_finite())));
    }
});
