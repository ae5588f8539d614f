//! Files of the reference implementation read here, and files written here
//! read by it: the fixtures in `tests/fixtures/` were written by Python's
//! `safetensors` + NumPy (`make_fixtures.py`) as PyTorch's `save_file` lays
//! a `state_dict` out, in F32, F16 and F64, each with an `I64` buffer the
//! model does not have.

use flambeau::{
    CrossEntropyLoss, Footprint, Linear, Node, SafeTensors, Sequential, Strictness, Tanh, TensorData, TensorOut,
    Trainer,
};

type Net = Sequential<(Linear<3, 2>, Tanh, Linear<2, 2>)>;
type Fp = Footprint<Net, CrossEntropyLoss, 1>;

fn fixture(tag: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/pt_{tag}.safetensors", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

#[test]
fn reference_files_load_in_every_float_dtype() {
    let want: Vec<f32> = (1..=14).map(|k| k as f32 / 8.0).collect();
    for tag in ["f32", "f16", "f64"] {
        let bytes = fixture(tag);
        let st = SafeTensors::parse(&bytes).unwrap();
        assert_eq!(st.metadata_value("format").unwrap().to_string(), "pt");
        let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
        let net = Sequential((Linear::new(), Tanh, Linear::new()));
        let mut net =
            Trainer::<f32, Net, CrossEntropyLoss, 1>::new(net, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
        let err = net.graph_mut().load_safetensors(&bytes).unwrap_err();
        assert!(
            err.to_string().contains("unexpected tensor \"1.num_batches_tracked\""),
            "{err}"
        );
        net.graph_mut()
            .load_safetensors_with(&bytes, Strictness::IgnoreUnexpected)
            .unwrap();
        assert_eq!(net.graph().params(), &want[..], "{tag}");
    }
}

#[test]
fn files_written_here_carry_metadata_the_reference_reads() {
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let net = Sequential((Linear::new(), Tanh, Linear::new()));
    let mut net = Trainer::<f32, Net, CrossEntropyLoss, 1>::new(net, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut flambeau::Rng::new(5));
    let meta = [
        ("architecture", "Linear(3,2) -> Tanh -> Linear(2,2)"),
        ("note", "quote \" and \\ and\ttab"),
    ];
    let basis = [0.25f32, -0.5, 1.0];
    let extra = [TensorOut::new("pca.mean", &[3], TensorData::F32(&basis)).unwrap()];
    let mut out = vec![0u8; net.graph().safetensors_len_with(&meta, &extra)];
    net.graph().save_safetensors_with(&mut out, &meta, &extra).unwrap();
    let (_, theirs) = safetensors::SafeTensors::read_metadata(&out).unwrap();
    let md = theirs.metadata().as_ref().unwrap();
    assert_eq!(md["architecture"], meta[0].1);
    assert_eq!(md["note"], meta[1].1);
    let st = safetensors::SafeTensors::deserialize(&out).unwrap();
    assert_eq!(
        st.tensor("pca.mean").unwrap().data(),
        &basis.map(f32::to_le_bytes).concat()[..]
    );
    assert_eq!(st.tensor("0.weight").unwrap().shape(), &[2, 3]);
    // An extra tensor may not take a parameter's name.
    let clash = [TensorOut::new("0.bias", &[3], TensorData::F32(&basis)).unwrap()];
    let mut out = vec![0u8; net.graph().safetensors_len_with(&meta, &clash)];
    let err = net.graph().save_safetensors_with(&mut out, &meta, &clash).unwrap_err();
    assert!(err.to_string().contains("cannot write tensor \"0.bias\""), "{err}");
}
