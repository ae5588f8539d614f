//! Weight initialisation schemes, drawn from the crate's seeded [`Rng`].

use crate::float::Float;
use crate::rng::Rng;

/// How a layer's parameters are initialised.
///
/// Biases are drawn like weights under [`Init::TorchDefault`] (as PyTorch
/// does) and set to zero under every other scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Init {
    /// PyTorch's default for `Linear` and `Conv1d`: `U(-1/√fan_in, 1/√fan_in)`.
    #[default]
    TorchDefault,
    /// Glorot & Bengio: `U(-a, a)` with `a = √(6 / (fan_in + fan_out))`; suits tanh and sigmoid.
    XavierUniform,
    /// Glorot & Bengio: `N(0, 2 / (fan_in + fan_out))`.
    XavierNormal,
    /// He et al.: `U(-a, a)` with `a = √(6 / fan_in)`; suits ReLU.
    HeUniform,
    /// He et al.: `N(0, 2 / fan_in)`.
    HeNormal,
    /// All zeros (a linear regression's starting point).
    Zeros,
}

/// Whether a parameter is a layer's weight or its bias (its safetensors suffix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// `"{layer}.weight"`.
    Weight,
    /// `"{layer}.bias"`.
    Bias,
}

impl ParamKind {
    /// The suffix in a PyTorch `state_dict` key.
    pub const fn suffix(self) -> &'static str {
        match self {
            ParamKind::Weight => "weight",
            ParamKind::Bias => "bias",
        }
    }
}

impl Init {
    /// Fills `out` for a parameter of the given kind and fans.
    pub fn fill<T: Float>(self, kind: ParamKind, fan_in: usize, fan_out: usize, out: &mut [T], rng: &mut Rng) {
        let fan_in = fan_in.max(1) as f64;
        let fan_sum = (fan_in + fan_out as f64).max(1.0);
        let draw: &mut dyn FnMut(&mut Rng) -> f64 = match (self, kind) {
            (Init::TorchDefault, _) => {
                let a = 1.0 / libm::sqrt(fan_in);
                &mut move |r: &mut Rng| r.uniform_in(-a, a)
            }
            (_, ParamKind::Bias) | (Init::Zeros, _) => &mut |_: &mut Rng| 0.0,
            (Init::XavierUniform, _) => {
                let a = libm::sqrt(6.0 / fan_sum);
                &mut move |r: &mut Rng| r.uniform_in(-a, a)
            }
            (Init::XavierNormal, _) => {
                let s = libm::sqrt(2.0 / fan_sum);
                &mut move |r: &mut Rng| s * r.normal()
            }
            (Init::HeUniform, _) => {
                let a = libm::sqrt(6.0 / fan_in);
                &mut move |r: &mut Rng| r.uniform_in(-a, a)
            }
            (Init::HeNormal, _) => {
                let s = libm::sqrt(2.0 / fan_in);
                &mut move |r: &mut Rng| s * r.normal()
            }
        };
        for v in out {
            *v = T::from_f64(draw(rng));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torch_default_bound_and_bias() {
        let mut w = [0.0f64; 1000];
        Init::TorchDefault.fill(ParamKind::Weight, 16, 4, &mut w, &mut Rng::new(1));
        assert!(w.iter().all(|v| v.abs() <= 0.25));
        assert!(w.iter().any(|v| v.abs() > 0.2));
        let mut b = [1.0f64; 10];
        Init::XavierUniform.fill(ParamKind::Bias, 16, 4, &mut b, &mut Rng::new(1));
        assert!(b.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn he_normal_variance() {
        let mut w = [0.0f64; 20_000];
        Init::HeNormal.fill(ParamKind::Weight, 50, 10, &mut w, &mut Rng::new(2));
        let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
        assert!((var - 2.0 / 50.0).abs() < 0.004);
    }

    #[test]
    fn same_seed_same_weights() {
        let (mut a, mut b) = ([0.0f32; 64], [0.0f32; 64]);
        Init::XavierNormal.fill(ParamKind::Weight, 8, 8, &mut a, &mut Rng::new(9));
        Init::XavierNormal.fill(ParamKind::Weight, 8, 8, &mut b, &mut Rng::new(9));
        assert_eq!(a, b);
    }
}
