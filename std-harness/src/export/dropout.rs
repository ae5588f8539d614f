//! Dropout left out of an exported model: it is the identity at inference,
//! so the firmware's type omits it, the layers after it move down one
//! position, and their tensors are renamed to match (`3.weight` →
//! `2.weight`), as PyTorch's `nn.Sequential` would name the shorter chain.

use flambeau::{SafeTensors, Strictness, TensorData, TensorOut, write_safetensors};

use super::ExportError;

/// `architecture` and `weights` without their `Dropout(…)` layers; both
/// unchanged (the weights copied) when there are none.
///
/// # Errors
/// [`ExportError::Weights`] for weights that do not parse;
/// [`ExportError::Extra`] for a tensor that names no layer or a dropout one.
pub fn without_dropout(architecture: &str, weights: &[u8]) -> Result<(String, Vec<u8>), ExportError> {
    without_dropout_with(architecture, weights, Strictness::Strict)
}

/// [`without_dropout`], where [`Strictness::IgnoreUnexpected`] leaves out a
/// tensor that names no layer or a dropout one instead of refusing it.
///
/// # Errors
/// As [`without_dropout`].
pub fn without_dropout_with(
    architecture: &str,
    weights: &[u8],
    strictness: Strictness,
) -> Result<(String, Vec<u8>), ExportError> {
    let layers: Vec<&str> = architecture.split("->").map(str::trim).collect();
    if !layers.iter().any(|l| l.starts_with("Dropout")) {
        return Ok((architecture.to_owned(), weights.to_vec()));
    }
    // The new position of each old one (`None` for a dropout layer).
    let mut next = 0;
    let position: Vec<Option<usize>> = layers
        .iter()
        .map(|l| {
            (!l.starts_with("Dropout")).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let kept: Vec<&str> = layers.iter().copied().filter(|l| !l.starts_with("Dropout")).collect();
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let mut renamed = Vec::new();
    let mut problem = None;
    st.for_each(|_, key, view| {
        let name = key.to_string();
        let moved = name.split_once('.').and_then(|(index, suffix)| {
            let new = (*position.get(index.parse::<usize>().ok()?)?)?;
            Some(format!("{new}.{suffix}"))
        });
        match moved {
            Some(new) => renamed.push((new, view.shape().to_vec(), view.dtype, view.data)),
            None if strictness == Strictness::Strict => problem = Some(ExportError::Extra(name)),
            None => {}
        }
        problem.is_none()
    });
    if let Some(p) = problem {
        return Err(p);
    }
    let tensors = renamed
        .iter()
        .map(|(name, shape, dtype, data)| TensorOut::new(name, shape, TensorData::Bytes(*dtype, data)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ExportError::Weights(e.to_string()))?;
    let mut out = vec![0u8; flambeau::safetensors_len(&[], tensors.iter().cloned())];
    let n =
        write_safetensors(&mut out, &[], tensors.iter().cloned()).map_err(|e| ExportError::Weights(e.to_string()))?;
    out.truncate(n);
    Ok((kept.join(" -> "), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(names: &[(&str, usize)]) -> Vec<u8> {
        let values: Vec<Vec<f32>> = names.iter().map(|&(_, n)| (0..n).map(|v| v as f32).collect()).collect();
        let tensors: Vec<TensorOut<'_>> = names
            .iter()
            .zip(&values)
            .map(|(&(name, n), v)| TensorOut::new(name, &[n], TensorData::F32(v)).unwrap())
            .collect();
        let mut out = vec![0u8; flambeau::safetensors_len(&[], tensors.iter().cloned())];
        let n = write_safetensors(&mut out, &[], tensors.iter().cloned()).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn dropout_layers_leave_and_the_names_follow() {
        let arch = "Linear(4,3) -> Tanh -> Dropout(p=0.2) -> Linear(3,2)";
        let w = weights(&[("0.weight", 12), ("0.bias", 3), ("3.weight", 6), ("3.bias", 2)]);
        let (a, out) = without_dropout(arch, &w).unwrap();
        assert_eq!(a, "Linear(4,3) -> Tanh -> Linear(3,2)");
        let st = SafeTensors::parse(&out).unwrap();
        let second: Vec<f32> = st.get("2.weight").unwrap().values().collect();
        assert_eq!(second, (0..6).map(|v| v as f32).collect::<Vec<_>>());
        assert!(st.get("3.weight").is_none() && st.get("2.bias").is_some());
        // Nothing to do without dropout.
        let plain = "Linear(4,3) -> Tanh -> Linear(3,2)";
        assert_eq!(without_dropout(plain, &w).unwrap(), (plain.to_owned(), w.clone()));
        // A tensor at a dropout position is refused.
        let bad = weights(&[("2.weight", 3)]);
        assert!(matches!(without_dropout(arch, &bad), Err(ExportError::Extra(n)) if n == "2.weight"));
        // Unless unexpected tensors are ignored: it is left out.
        let (_, out) = without_dropout_with(arch, &bad, Strictness::IgnoreUnexpected).unwrap();
        assert_eq!(SafeTensors::parse(&out).unwrap().len(), 0);
    }

    /// A name spelt with a JSON escape in the file's header is renamed from
    /// its decoded form, not escaped a second time.
    #[test]
    fn escaped_names_are_renamed_decoded() {
        let arch = "Linear(4,3) -> Tanh -> Dropout(p=0.2) -> Linear(3,2)";
        let w = weights(&[("0.weight", 12), ("0.bias", 3), ("3.weight", 6), ("3.bias", 2)]);
        let len = u64::from_le_bytes(w[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&w[8..8 + len])
            .unwrap()
            .replace("\"3.weight\"", "\"3\\u002eweight\"");
        let mut escaped = (header.len() as u64).to_le_bytes().to_vec();
        escaped.extend(header.as_bytes());
        escaped.extend(&w[8 + len..]);
        assert!(SafeTensors::parse(&escaped).unwrap().get("3.weight").is_some());
        let (_, out) = without_dropout(arch, &escaped).unwrap();
        let st = SafeTensors::parse(&out).unwrap();
        let second: Vec<f32> = st.get("2.weight").unwrap().values().collect();
        assert_eq!(second, (0..6).map(|v| v as f32).collect::<Vec<_>>());
    }
}
