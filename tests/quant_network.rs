//! The int8 chain: sizes as constants, buffers checked, the same codes as
//! its layers run one by one, and the f32 network's predictions kept.

use flambeau::{
    LutFunction, QChain, QFootprint, QLayer, QLinear, QLut, QNetwork, QuantParams, QuantizedLayer, Rng, lut_table,
    quantize_layer,
};

type Mlp<'a> = (QLinear<'a, 8, 6>, QLut<'a, 6>, QLinear<'a, 6, 4>);

struct Layer {
    w: Vec<u8>,
    b: Vec<u8>,
    ws: Vec<f32>,
    m: Vec<u8>,
    s: Vec<u8>,
}

fn quantize(weight: &[f32], bias: &[f32], input: QuantParams, output: QuantParams) -> Layer {
    let out = bias.len();
    let mut q = Layer {
        w: vec![0; weight.len()],
        b: vec![0; 4 * out],
        ws: vec![0.0; out],
        m: vec![0; 4 * out],
        s: vec![0; 4 * out],
    };
    let layer = QuantizedLayer {
        weight: &mut q.w,
        bias: &mut q.b,
        weight_scale: &mut q.ws,
        multiplier: &mut q.m,
        shift: &mut q.s,
    };
    quantize_layer(weight, bias, input, output, layer).unwrap();
    q
}

fn dense(w: &[f32], b: &[f32], x: &[f32]) -> Vec<f32> {
    w.chunks(x.len())
        .zip(b)
        .map(|(r, &b)| r.iter().zip(x).map(|(w, x)| w * x).sum::<f32>() + b)
        .collect()
}

fn uniform(rng: &mut Rng, n: usize, a: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_in(-1.0, 1.0) as f32 * a).collect()
}

#[test]
fn footprint_is_a_constant() {
    assert_eq!(<Mlp as QChain>::IN, 8);
    assert_eq!(<Mlp as QChain>::OUT, 4);
    assert_eq!(QFootprint::<Mlp>::ACT, 2 * 6 + 4);
    assert_eq!(QFootprint::<Mlp>::WIDE, 8);
    assert_eq!(QFootprint::<Mlp>::RAM, 16 + 16);
    assert_eq!(QFootprint::<Mlp>::FLASH, 6 * (8 + 12) + 256 + 4 * (6 + 12));
}

#[test]
fn chain_equals_its_layers_and_keeps_the_f32_predictions() {
    let mut rng = Rng::new(7);
    let (w1, b1, w2, b2) = (
        uniform(&mut rng, 48, 1.0),
        uniform(&mut rng, 6, 0.3),
        uniform(&mut rng, 24, 1.0),
        uniform(&mut rng, 4, 0.3),
    );
    let xs: Vec<Vec<f32>> = (0..200).map(|_| uniform(&mut rng, 8, 1.0)).collect();
    // calibrate every activation on the inputs
    let h: Vec<Vec<f32>> = xs.iter().map(|x| dense(&w1, &b1, x)).collect();
    let y: Vec<Vec<f32>> = h
        .iter()
        .map(|h| dense(&w2, &b2, &h.iter().map(|v| v.tanh()).collect::<Vec<_>>()))
        .collect();
    let range = |vs: &[Vec<f32>]| {
        let flat = vs.iter().flatten().copied();
        QuantParams::from_min_max(flat.clone().fold(0.0, f32::min), flat.fold(0.0, f32::max)).unwrap()
    };
    let (p_in, p_h, p_t, p_out) = (range(&xs), range(&h), LutFunction::Tanh.output_params(), range(&y));
    let (l1, l2) = (quantize(&w1, &b1, p_in, p_h), quantize(&w2, &b2, p_t, p_out));
    let table = lut_table(LutFunction::Tanh, p_h, p_t);
    let layers: Mlp = (
        QLinear::new(&l1.w, &l1.b, &l1.m, &l1.s, p_in.zero_point, p_h.zero_point).unwrap(),
        QLut::new(&table, LutFunction::Tanh).unwrap(),
        QLinear::new(&l2.w, &l2.b, &l2.m, &l2.s, p_t.zero_point, p_out.zero_point).unwrap(),
    );
    let (mut act, mut wide) = ([0i8; QFootprint::<Mlp>::ACT], [0i16; QFootprint::<Mlp>::WIDE]);
    let mut net = QNetwork::new(layers, p_in, p_out, &mut act, &mut wide).unwrap();
    assert_eq!(net.to_string(), "Linear(8,6) -> Tanh -> Linear(6,4)");
    let mut agree = 0;
    for (x, y32) in xs.iter().zip(&y) {
        let qx: Vec<i8> = x.iter().map(|&v| p_in.quantize(v)).collect();
        let (mut a, mut b, mut c) = ([0i8; 6], [0i8; 6], [0i8; 4]);
        let mut scratch = [0i16; 8];
        net.layers().0.forward(&qx, &mut a, &mut scratch);
        net.layers().1.forward(&a, &mut b, &mut scratch);
        net.layers().2.forward(&b, &mut c, &mut scratch);
        assert_eq!(net.predict(&qx).unwrap(), &c);
        let f32_class = (0..4).fold(0, |best, i| if y32[i] > y32[best] { i } else { best });
        agree += usize::from(net.classify(&qx).unwrap() == f32_class);
    }
    assert!(agree >= 190, "int8 agrees with f32 on {agree} of 200");
}

#[test]
fn buffers_and_inputs_are_checked() {
    let (w, b, m) = ([0u8; 48], [0u8; 24], [0u8; 24]);
    let table = [0u8; 256];
    let (w2, b2) = ([0u8; 24], [0u8; 16]);
    let layers: Mlp = (
        QLinear::new(&w, &b, &m, &m, 0, 0).unwrap(),
        QLut::new(&table, LutFunction::Tanh).unwrap(),
        QLinear::new(&w2, &b2, &b2, &b2, 0, 0).unwrap(),
    );
    let p = QuantParams::new(1.0, 0, "x").unwrap();
    let (mut act, mut wide) = ([0i8; 15], [0i16; 8]);
    let e = QNetwork::new(layers, p, p, &mut act, &mut wide).err().unwrap();
    assert_eq!(e.to_string(), "int8 activations too small: 16 needed, 15 given");
    let (mut act, mut wide) = ([0i8; 16], [0i16; 8]);
    let mut net = QNetwork::new(layers, p, p, &mut act, &mut wide).unwrap();
    assert!(net.predict(&[0; 7]).is_err());
    assert_eq!(net.predict(&[0; 8]).unwrap(), &[0; 4]);
}

#[test]
fn reads_an_int8_file_in_place() {
    use flambeau::{Dtype, TensorData, TensorOut, safetensors_len, write_safetensors};
    let mut rng = Rng::new(3);
    let (w1, b1, w2, b2) = (
        uniform(&mut rng, 48, 1.0),
        uniform(&mut rng, 6, 0.3),
        uniform(&mut rng, 24, 1.0),
        uniform(&mut rng, 4, 0.3),
    );
    let (p_in, p_h, p_t) = (
        QuantParams::new(2.0 / 255.0, 0, "x").unwrap(),
        QuantParams::new(0.02, -3, "h").unwrap(),
        LutFunction::Tanh.output_params(),
    );
    let p_out = QuantParams::new(0.03, 5, "y").unwrap();
    let (l1, l2) = (quantize(&w1, &b1, p_in, p_h), quantize(&w2, &b2, p_t, p_out));
    let table = lut_table(LutFunction::Tanh, p_h, p_t);
    let params = [p_in, p_h, p_t, p_out].map(|p| ([p.scale], [p.zero_point]));
    let t = |name: &str, shape: &[usize], data| TensorOut::new(name, shape, data).unwrap();
    fn bytes(d: &[u8]) -> TensorData<'_> {
        TensorData::Bytes(Dtype::I32, d)
    }
    let mut tensors = vec![
        t("input.scale", &[1], TensorData::F32(&params[0].0)),
        t("input.zero_point", &[1], TensorData::I32(&params[0].1)),
    ];
    for (i, l, p, (o, n)) in [(0, &l1, &params[1], (6, 8)), (2, &l2, &params[3], (4, 6))] {
        tensors.push(t(&format!("{i}.weight"), &[o, n], TensorData::Bytes(Dtype::I8, &l.w)));
        tensors.push(t(&format!("{i}.weight_scale"), &[o], TensorData::F32(&l.ws)));
        tensors.push(t(&format!("{i}.bias"), &[o], bytes(&l.b)));
        tensors.push(t(&format!("{i}.multiplier"), &[o], bytes(&l.m)));
        tensors.push(t(&format!("{i}.shift"), &[o], bytes(&l.s)));
        tensors.push(t(&format!("{i}.scale"), &[1], TensorData::F32(&p.0)));
        tensors.push(t(&format!("{i}.zero_point"), &[1], TensorData::I32(&p.1)));
    }
    tensors.push(t("1.tanh_table", &[256], TensorData::Bytes(Dtype::I8, &table)));
    tensors.push(t("1.scale", &[1], TensorData::F32(&params[2].0)));
    tensors.push(t("1.zero_point", &[1], TensorData::I32(&params[2].1)));
    let meta = [("quantization", flambeau::QUANTIZATION_SCHEME)];
    let mut file = vec![0u8; safetensors_len(&meta, tensors.iter().cloned())];
    write_safetensors(&mut file, &meta, tensors.iter().cloned()).unwrap();

    let layers: Mlp = (
        QLinear::new(&l1.w, &l1.b, &l1.m, &l1.s, p_in.zero_point, p_h.zero_point).unwrap(),
        QLut::new(&table, LutFunction::Tanh).unwrap(),
        QLinear::new(&l2.w, &l2.b, &l2.m, &l2.s, p_t.zero_point, p_out.zero_point).unwrap(),
    );
    let (mut act, mut wide) = ([0i8; 16], [0i16; 8]);
    let mut direct = QNetwork::new(layers, p_in, p_out, &mut act, &mut wide).unwrap();
    let (mut act2, mut wide2) = ([0i8; 16], [0i16; 8]);
    let mut loaded = QNetwork::<Mlp>::from_safetensors(&file, &mut act2, &mut wide2).unwrap();
    assert_eq!(loaded.input_params(), p_in);
    assert_eq!(loaded.output_params(), p_out);
    for _ in 0..50 {
        let x: Vec<i8> = (0..8).map(|_| rng.below(256) as i8).collect();
        assert_eq!(direct.predict(&x).unwrap(), loaded.predict(&x).unwrap());
    }
    // a model of another shape, or a file without a tensor, is refused with its name
    let (mut act3, mut wide3) = ([0i8; 16], [0i16; 8]);
    type Other<'a> = (QLinear<'a, 8, 5>, QLut<'a, 5>, QLinear<'a, 5, 4>);
    let e = QNetwork::<Other>::from_safetensors(&file, &mut act3, &mut wide3)
        .err()
        .unwrap();
    assert!(e.to_string().contains("0.weight"), "{e}");
    tensors.retain(|t| t.name() != "2.shift");
    let mut file = vec![0u8; safetensors_len(&meta, tensors.iter().cloned())];
    write_safetensors(&mut file, &meta, tensors.iter().cloned()).unwrap();
    let e = QNetwork::<Mlp>::from_safetensors(&file, &mut act3, &mut wide3)
        .err()
        .unwrap();
    assert!(e.to_string().contains("2.shift"), "{e}");
}
