//! Weight files: round trips, PyTorch-compatible names and layouts checked
//! with the reference `safetensors` implementation, corrupted buffers
//! rejected, and inference with the weights read in place (as from flash).

use flambeau::{
    CrossEntropyLoss, Error, Footprint, InferenceFootprint, Linear, Network, Node, Rng, SafeTensors, SafetensorsError,
    Sequential, Sgd, Tanh, Trainer,
};

type Mlp = Sequential<(Linear<16, 8>, Tanh, Linear<8, 4>)>;
type Fp = Footprint<Mlp, CrossEntropyLoss, 4>;
const MLP: Mlp = Sequential((Linear::new(), Tanh, Linear::new()));

fn batch(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut r = Rng::new(seed);
    let x = (0..4 * 16).map(|_| r.uniform() as f32).collect();
    let t = (0..16).map(|i| if i % 4 == i / 4 { 1.0 } else { 0.0 }).collect();
    (x, t)
}

/// Trains a few steps from `seed` and returns the saved weights.
fn trained_weights(seed: u64) -> Vec<u8> {
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut Rng::new(seed));
    let (x, t) = batch(seed);
    net.set_batch(&x, &t).unwrap();
    for _ in 0..5 {
        net.step(&mut Sgd::new(0.1)).unwrap();
    }
    let mut buf = vec![0u8; net.graph().safetensors_len()];
    assert_eq!(net.graph().save_safetensors(&mut buf).unwrap(), buf.len());
    buf
}

#[test]
fn round_trip_restores_every_parameter() {
    let buf = trained_weights(1);
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.graph_mut().load_safetensors(&buf).unwrap();
    let mut again = vec![0u8; buf.len()];
    net.graph().save_safetensors(&mut again).unwrap();
    assert_eq!(buf, again);
    assert!(net.graph().params().iter().any(|&p| p != 0.0));
}

#[test]
fn names_shapes_and_values_match_the_reference_reader() {
    let buf = trained_weights(2);
    let st = safetensors::SafeTensors::deserialize(&buf).unwrap();
    let mut names: Vec<String> = st.names().into_iter().map(String::from).collect();
    names.sort();
    assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);
    let w = st.tensor("0.weight").unwrap();
    assert_eq!(w.shape(), &[8, 16]);
    assert_eq!(w.dtype(), safetensors::Dtype::F32);
    assert_eq!(st.tensor("2.bias").unwrap().shape(), &[4]);
    let ours = SafeTensors::parse(&buf).unwrap();
    assert_eq!(ours.get("0.weight").unwrap().data, w.data());
    assert_eq!(buf[8..].len() % 8, (buf.len() - 8) % 8);
    let header_len = u64::from_le_bytes(buf[..8].try_into().unwrap());
    assert_eq!(header_len % 8, 0, "data must start 8-byte aligned");
}

#[test]
fn reads_a_file_written_by_the_reference_writer() {
    let buf = trained_weights(3);
    let st = safetensors::SafeTensors::deserialize(&buf).unwrap();
    let tensors: Vec<(String, safetensors::tensor::TensorView<'_>)> =
        st.tensors().into_iter().map(|(n, v)| (n.to_string(), v)).collect();
    let theirs = safetensors::serialize(tensors, None).unwrap();
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.graph_mut().load_safetensors(&theirs).unwrap();
    let mut ours = vec![0u8; buf.len()];
    net.graph().save_safetensors(&mut ours).unwrap();
    assert_eq!(ours, buf);
}

fn load(buf: &[u8]) -> Result<(), Error> {
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    let before = net.graph().params().to_vec();
    let result = net.graph_mut().load_safetensors(buf);
    if result.is_err() {
        assert_eq!(net.graph().params(), &before[..], "a failed load changed parameters");
    }
    result
}

#[test]
fn corrupted_buffers_are_rejected() {
    let buf = trained_weights(4);
    for n in 0..buf.len() {
        assert!(load(&buf[..n]).is_err(), "accepted a buffer truncated to {n} bytes");
    }
    let mut longer = buf.clone();
    longer.push(0);
    assert!(load(&longer).is_err(), "accepted a trailing byte");
    let mut huge = buf.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        load(&huge),
        Err(Error::Safetensors(SafetensorsError::HeaderTooLarge { .. }))
    ));
    // Every single-byte corruption of the header is either rejected or harmless.
    let header_end = 8 + u64::from_le_bytes(buf[..8].try_into().unwrap()) as usize;
    for i in 8..header_end {
        let mut bad = buf.clone();
        bad[i] ^= 0x55;
        let _ = load(&bad);
    }
}

#[test]
fn wrong_names_shapes_and_values_are_named() {
    let buf = trained_weights(5);
    let mut renamed = buf.clone();
    let at = renamed.windows(8).position(|w| w == b"2.weight").unwrap();
    renamed[at] = b'3';
    let err = load(&renamed).unwrap_err();
    assert!(
        matches!(err, Error::Safetensors(SafetensorsError::Missing { name }) if name.as_str() == "2.weight"),
        "{err}"
    );
    assert_eq!(err.to_string(), "safetensors: tensor \"2.weight\" is missing");
    // A model with another layer width finds the shape wrong.
    type Wide = Sequential<(Linear<16, 9>, Tanh, Linear<9, 4>)>;
    type WideFp = Footprint<Wide, CrossEntropyLoss, 4>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; WideFp::NODES], vec![0.0f32; WideFp::ARENA]);
    let wide = Sequential((Linear::new(), Tanh, Linear::new()));
    let mut net =
        Trainer::<f32, Wide, CrossEntropyLoss, 4>::new(wide, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    let err = net.graph_mut().load_safetensors(&buf).unwrap_err();
    assert_eq!(
        err.to_string(),
        "safetensors: tensor \"0.weight\": the model expects shape [9, 16], the file holds [8, 16]"
    );
    // NaN in the data.
    let mut nan = buf.clone();
    let n = nan.len();
    nan[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    let err = load(&nan).unwrap_err();
    assert_eq!(
        err.to_string(),
        "safetensors: tensor \"2.bias\": element 3 is NaN or infinite (in the graph's float type)"
    );
}

#[test]
fn weights_read_in_place_give_bit_identical_outputs() {
    let buf = trained_weights(6);
    let (x, _) = batch(6);
    type Ifp = InferenceFootprint<Mlp, 4>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; Ifp::NODES], vec![0.0f32; Ifp::ARENA]);
    let mut ram = Network::<f32, Mlp, 4>::new(&MLP, &mut tape, &mut arena).unwrap();
    ram.graph_mut().load_safetensors(&buf).unwrap();
    let expected = ram.predict(&x).unwrap().to_vec();
    let (mut tape2, mut small) = (vec![Node::EMPTY; Ifp::NODES], vec![0.0f32; Ifp::FLASH_ARENA]);
    let mut flash = Network::<f32, Mlp, 4>::from_safetensors(&MLP, &mut tape2, &mut small, &buf).unwrap();
    let got = flash.predict(&x).unwrap();
    assert_eq!(
        got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    let mut classes = [0usize; 4];
    flash.classify(&x, &mut classes).unwrap();
    assert!(classes.iter().all(|&c| c < 4));
    // An f64 network cannot read f32 bytes in place.
    let (mut tape3, mut arena3) = (vec![Node::EMPTY; Ifp::NODES], vec![0.0f64; Ifp::FLASH_ARENA]);
    let err = Network::<f64, Mlp, 4>::from_safetensors(&MLP, &mut tape3, &mut arena3, &buf).err();
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some(
            "safetensors: tensor \"0.weight\" is F32: reading in place needs F64 (load it into RAM instead, which converts)"
        )
    );
    // … and converting into RAM gives the f32 network's outputs to f32 rounding.
    let (mut tape4, mut arena4) = (vec![Node::EMPTY; Ifp::NODES], vec![0.0f64; Ifp::ARENA]);
    let mut wide = Network::<f64, Mlp, 4>::from_safetensors_converted(&MLP, &mut tape4, &mut arena4, &buf).unwrap();
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    for (a, b) in wide.predict(&x64).unwrap().iter().zip(&expected) {
        assert!((a - f64::from(*b)).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn parameter_ranges_locate_each_tensor() {
    let (mut tape, mut arena) = (vec![Node::EMPTY; Fp::NODES], vec![0.0f32; Fp::ARENA]);
    let mut net = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut Rng::new(8));
    let g = net.graph();
    let mut covered = 0;
    for (node, _, values) in g.param_tensors() {
        assert_eq!(&g.params()[node.range()], values);
        covered += node.range().len();
    }
    assert_eq!(covered, g.params().len());
}

/// A 2-D convolution's weight is saved `[out][in][kh][kw]`, as PyTorch's
/// `nn.Conv2d` `state_dict`, and loads back.
#[test]
fn conv2d_weights_have_pytorch_shapes() {
    use flambeau::{Conv2d, Flatten, MaxPool2d, ReLU};
    type Cnn = Sequential<(
        Conv2d<1, 4, 3, 6, 6, 6, 6, 1, 1>,
        ReLU,
        MaxPool2d<2, 2, 3, 3>,
        Flatten<36>,
        Linear<36, 2>,
    )>;
    type CFp = Footprint<Cnn, CrossEntropyLoss, 2>;
    let cnn = || Sequential((Conv2d::new(), ReLU, MaxPool2d, Flatten, Linear::new()));
    let (mut tape, mut arena) = (vec![Node::EMPTY; CFp::NODES], vec![0.0f32; CFp::ARENA]);
    let mut net =
        Trainer::<f32, Cnn, CrossEntropyLoss, 2>::new(cnn(), CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut Rng::new(3));
    let mut buf = vec![0u8; net.graph().safetensors_len()];
    net.graph().save_safetensors(&mut buf).unwrap();
    let st = safetensors::SafeTensors::deserialize(&buf).unwrap();
    assert_eq!(st.tensor("0.weight").unwrap().shape(), &[4, 1, 3, 3]);
    assert_eq!(st.tensor("0.bias").unwrap().shape(), &[4]);
    assert_eq!(st.tensor("4.weight").unwrap().shape(), &[2, 36]);
    let (mut tape2, mut arena2) = (vec![Node::EMPTY; CFp::NODES], vec![0.0f32; CFp::ARENA]);
    let mut again =
        Trainer::<f32, Cnn, CrossEntropyLoss, 2>::new(cnn(), CrossEntropyLoss, &mut tape2, &mut arena2).unwrap();
    again.graph_mut().load_safetensors(&buf).unwrap();
    assert_eq!(again.graph().params(), net.graph().params());
}

/// A tied auto-encoder saves one weight (used twice) and two biases.
#[test]
fn tied_auto_encoder_saves_one_weight() {
    use flambeau::{MseLoss, TiedAutoEncoder};
    type Tied = TiedAutoEncoder<16, 4>;
    type TFp = Footprint<Tied, MseLoss, 2>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; TFp::NODES], vec![0.0f32; TFp::ARENA]);
    let mut net =
        Trainer::<f32, Tied, MseLoss, 2>::new(TiedAutoEncoder::new(), MseLoss, &mut tape, &mut arena).unwrap();
    net.init(&mut Rng::new(4));
    let mut buf = vec![0u8; net.graph().safetensors_len()];
    net.graph().save_safetensors(&mut buf).unwrap();
    let st = safetensors::SafeTensors::deserialize(&buf).unwrap();
    let mut names: Vec<String> = st.names().into_iter().map(String::from).collect();
    names.sort();
    assert_eq!(names, ["0.bias", "0.weight", "2.bias"]);
    assert_eq!(st.tensor("0.weight").unwrap().shape(), &[4, 16]);
    assert_eq!(st.tensor("2.bias").unwrap().shape(), &[16]);
}
