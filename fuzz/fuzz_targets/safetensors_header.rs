//! Arbitrary bytes as a safetensors buffer: parsing, lookups, loading into a
//! model and reading weights in place must never panic.
#![no_main]

use flambeau::{CrossEntropyLoss, Footprint, InferenceFootprint, Linear, Network, Node, SafeTensors, Sequential, Tanh, Trainer};
use libfuzzer_sys::fuzz_target;

type Mlp = Sequential<(Linear<4, 3>, Tanh, Linear<3, 2>)>;
const MLP: Mlp = Sequential((Linear::new(), Tanh, Linear::new()));

fuzz_target!(|data: &[u8]| {
    if let Ok(st) = SafeTensors::parse(data) {
        let _ = st.get("0.weight");
        st.for_each(|_, name, view| {
            let _ = (name.raw(), view.shape(), view.values::<f64>().count());
            true
        });
    }
    type Fp = Footprint<Mlp, CrossEntropyLoss, 2>;
    let (mut tape, mut arena) = ([Node::EMPTY; Fp::NODES], [0.0f32; Fp::ARENA]);
    if let Ok(mut net) = Trainer::<f32, Mlp, CrossEntropyLoss, 2>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena) {
        if net.graph_mut().load_safetensors(data).is_ok() {
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
