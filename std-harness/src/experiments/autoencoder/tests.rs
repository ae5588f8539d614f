use flambeau::{MseLoss, TiedLinearReluAutoEncoder};

use super::pca_start;
use crate::pca::Pca;
use crate::train::{Buffers, predict};

const D: usize = 6;
const K: usize = 2;

/// Rows with structure in them and many pixels at 0, as digits have.
fn rows() -> Vec<f32> {
    (0..40)
        .flat_map(|i| {
            (0..D).map(move |j| {
                let v = ((i * 7 + j * j * 3) % 11) as f32 / 10.0;
                if v < 0.4 { 0.0 } else { v }
            })
        })
        .collect()
}

#[test]
fn the_pca_start_is_pca_with_negative_pixels_clipped() {
    let x = rows();
    let pca = Pca::fit(&x, D).unwrap().truncated(K);
    let mut buffers = Buffers::new();
    let mut net = buffers
        .trainer::<TiedLinearReluAutoEncoder<D, K>, MseLoss, 8>(TiedLinearReluAutoEncoder::new(), MseLoss, 1)
        .unwrap();
    let ranges = [0..K * D, K * D..K * D + K, K * D + K..K * D + K + D];
    assert_eq!(pca_start(&pca, net.graph_mut().params_mut(), &ranges).unwrap(), None);
    let out = predict(&mut net, &x).unwrap();
    let linear = pca.reconstruct(&x);
    assert!(linear.iter().any(|&v| v < -1e-3), "the rows must exercise the clipping");
    assert_eq!(out.len(), linear.len());
    for (i, (&o, &l)) in out.iter().zip(&linear).enumerate() {
        assert!((o - l.max(0.0)).abs() < 1e-5, "pixel {i}: {o} against PCA's {l}");
    }
}

#[test]
fn a_pca_start_of_the_wrong_shape_is_an_error() {
    let x = rows();
    let pca = Pca::fit(&x, D).unwrap().truncated(K);
    let mut params = vec![0.0f32; K * D + K + D];
    let wrong = [0..K * D, K * D..K * D + K + 1, K * D + K + 1..K * D + K + D];
    let message = pca_start(&pca, &mut params, &wrong).unwrap_err().to_string();
    assert!(message.contains("tied 6-2"), "{message}");
    assert!(pca_start(&pca, &mut params, &wrong[..2]).is_err());
    assert!(params.iter().all(|&p| p == 0.0), "nothing is written on an error");
}
