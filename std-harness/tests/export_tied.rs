//! Exporting the tied auto-encoders for the firmware template: the model
//! is written as a `Sequential` of its one module, with the host's
//! reference outputs, and a file that disagrees with the architecture is
//! refused, naming the tensor, before anything is written.

use std::path::Path;
use std::process::Command;

use flambeau::{
    InferenceFootprint, Model, Network, Node, Rng, SafeTensors, TiedAutoEncoder, TiedLinearReluAutoEncoder,
};

/// The weights of a randomly initialised `M`, with its architecture in the metadata.
fn weights<M: Model + Default + std::fmt::Display>() -> Vec<u8> {
    let model = M::default();
    let arch = model.to_string();
    let metadata = [
        ("architecture", arch.as_str()),
        ("input", "usps"),
        ("input_shape", "[256]"),
    ];
    let (mut tape, mut arena) = (
        vec![Node::EMPTY; InferenceFootprint::<M, 1>::NODES],
        vec![0.0f32; InferenceFootprint::<M, 1>::ARENA],
    );
    let mut net = Network::<f32, M, 1>::new(&model, &mut tape, &mut arena).unwrap();
    net.graph_mut().init_params(&mut Rng::new(5));
    let mut bytes = vec![0u8; net.graph().safetensors_len_with(&metadata, &[])];
    net.graph().save_safetensors_with(&mut bytes, &metadata, &[]).unwrap();
    bytes
}

fn export(file: &Path, out: &Path, arch: Option<&str>) -> std::process::Output {
    let mut args = vec![
        "export".to_owned(),
        "--model".into(),
        file.to_str().unwrap().into(),
        "--out".into(),
        out.to_str().unwrap().into(),
        "--vectors".into(),
        "2".into(),
    ];
    if let Some(arch) = arch {
        args.extend(["--arch".to_owned(), arch.to_owned()]);
    }
    Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(&args)
        .env_remove("FLAMBEAU_DATA")
        .output()
        .unwrap()
}

#[test]
fn tied_auto_encoders_export_as_a_sequential_of_one_module() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            weights::<TiedLinearReluAutoEncoder<256, 8>>(),
            "Sequential<(TiedLinearReluAutoEncoder<256, 8>,)>",
        ),
        (
            weights::<TiedAutoEncoder<256, 16>>(),
            "Sequential<(TiedAutoEncoder<256, 16>,)>",
        ),
    ];
    for (k, (bytes, ty)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("model-{k}.safetensors"));
        std::fs::write(&file, bytes).unwrap();
        let out = dir.path().join(format!("model-{k}"));
        let o = export(&file, &out, None);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(stdout.contains("with the host's reference outputs"), "{stdout}");
        let rs = std::fs::read_to_string(out.join("model.rs")).unwrap();
        assert!(rs.contains(ty), "{rs}");
        let vectors = std::fs::read(out.join("test_vectors.safetensors")).unwrap();
        let st = SafeTensors::parse(&vectors).unwrap();
        assert_eq!(st.get("outputs").map(|t| t.shape().to_vec()), Some(vec![2, 256]));
        assert_eq!(std::fs::read(out.join("weights.safetensors")).unwrap(), *bytes);
    }
    // The code-8 file read as code 32 is refused, naming the shared weight.
    let file = dir.path().join("model-0.safetensors");
    let bad = dir.path().join("bad");
    let o = export(
        &file,
        &bad,
        Some("Linear(256,32) -> Linear(32,256, tied: 0.weight transposed) -> ReLU"),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("0.weight") && stderr.contains("[32, 256]"), "{stderr}");
    assert!(!bad.exists(), "nothing is written on error");
}
