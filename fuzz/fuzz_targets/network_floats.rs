//! A network fed arbitrary floats: parameters take any bit pattern (NaN and
//! infinities included), inputs any value. Non-finite inputs must be
//! rejected with an error; otherwise outputs, loss, gradients and updated
//! parameters must all be finite, and nothing may panic.
#![no_main]

use flambeau::{CrossEntropyLoss, Error, Footprint, Linear, Node, Sequential, Sgd, Tanh, Trainer};
use libfuzzer_sys::fuzz_target;

type Mlp = Sequential<(Linear<6, 5>, Tanh, Linear<5, 3>)>;
type Fp = Footprint<Mlp, CrossEntropyLoss, 2>;

fuzz_target!(|data: &[u8]| {
    let mut floats = data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let (mut tape, mut arena) = ([Node::EMPTY; Fp::NODES], [0.0f32; Fp::ARENA]);
    let model = Sequential((Linear::new(), Tanh, Linear::new()));
    let Ok(mut net) = Trainer::<f32, Mlp, CrossEntropyLoss, 2>::new(model, CrossEntropyLoss, &mut tape, &mut arena) else {
        return;
    };
    for (p, v) in net.graph_mut().params_mut().iter_mut().zip(&mut floats) {
        *p = v;
    }
    let x: Vec<f32> = floats.by_ref().take(12).collect();
    let t: Vec<f32> = floats.take(6).collect();
    if x.len() < 12 || t.len() < 6 {
        return;
    }
    match net.set_batch(&x, &t) {
        Err(Error::NonFinite { .. }) => assert!(x.iter().chain(&t).any(|v| !v.is_finite())),
        Err(e) => panic!("unexpected error {e}"),
        Ok(()) => {
            let loss = net.step(&mut Sgd::new(0.1));
            assert!(loss.is_ok_and(|l| l.is_finite()));
            assert!(net.graph().param_grads().iter().all(|g| g.is_finite()));
            assert!(net.graph().params().iter().all(|p| p.is_finite()));
            assert!(net.forward().iter().all(|y| y.is_finite()));
        }
    }
});
