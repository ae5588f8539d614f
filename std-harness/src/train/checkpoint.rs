//! Checkpoints: the whole state of a training run at the end of an epoch,
//! so that `--resume` continues it bit for bit.
//!
//! A checkpoint is one safetensors file, written through a temporary file
//! renamed into place, so a kill leaves the previous epoch's checkpoint or
//! this one, never a part. It holds:
//!
//! | tensor | dtype, shape | what |
//! | --- | --- | --- |
//! | `0.weight`, … | F32, the parameter's | the parameters now (PyTorch's names) |
//! | `best.0.weight`, … | F32 | the parameters of the best validation epoch so far |
//! | `optim.0.weight.momentum_buffer` | F32 | SGD momentum's velocities |
//! | `optim.0.weight.exp_avg`, `….exp_avg_sq` | F32 | Adam's moments (PyTorch's names) |
//! | `rng` | U64 `[4]` | the shuffling and augmentation generator |
//! | `dropout_rng` | U64 `[4]` | the generator of the dropout masks |
//! | `order` | I64 `[rows]` | the training rows' order (each epoch shuffles the last one) |
//! | `history` | F64 `[epochs, 6]` | epoch, lr, train and validation loss and score |
//!
//! and `__metadata__`: the format, the epoch reached, Adam's step count,
//! seconds spent, why the run diverged (if it did), and what the run is
//! (its name, architecture, epochs, learning rate, batch, seed, optimiser,
//! weight decay, schedule, augmentation, frozen parameters, metric, split sizes and a
//! hash of the data). A resume whose run differs in any of these is
//! refused, naming each difference. The divergence checks keep no state
//! between epochs, so there is none to save.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use flambeau::{
    Adam, Describe, Dtype, Loss, Model, Momentum, Optimizer, Rng, SafeTensors, Sgd, TensorData, TensorOut, Trainer,
};

use super::{History, TrainConfig, batch::Split, history::EpochRecord};
use crate::error::{Error, Result};
use crate::output::write_atomic;

/// The `format` metadata value of a checkpoint.
pub const FORMAT: &str = "flambeau-checkpoint-1";
/// The folder, inside a run's output folder, that holds its checkpoints.
pub const DIR: &str = "checkpoint";
/// Environment variable that stops training after that epoch's checkpoint,
/// as an interruption would: a test setting, to check that a resumed run
/// ends as an uninterrupted one.
pub const STOP_AFTER_EPOCH: &str = "FLAMBEAU_STOP_AFTER_EPOCH";
/// Columns of the `history` tensor.
const HISTORY_COLUMNS: usize = 6;

/// Where a run writes its checkpoint, and the one it continues from.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpointing {
    /// Written at the end of every epoch.
    pub file: PathBuf,
    /// The checkpoint to continue from (`--resume`); a run of a
    /// multi-model experiment without one starts afresh.
    pub resume: Option<PathBuf>,
    /// Stop with an error after this epoch's checkpoint, as an interruption
    /// would (tests only: [`STOP_AFTER_EPOCH`]).
    pub stop_after: Option<usize>,
}

/// An optimiser whose state a checkpoint saves.
pub trait Saved: Optimizer<f32> {
    /// The state buffers, each one value per parameter, with their names.
    fn buffers(&self) -> Vec<(&'static str, &[f32])>;
    /// Updates taken, for optimisers that count them.
    fn steps(&self) -> Option<u32>;
}

impl Saved for Sgd<f32> {
    fn buffers(&self) -> Vec<(&'static str, &[f32])> {
        Vec::new()
    }
    fn steps(&self) -> Option<u32> {
        None
    }
}

impl Saved for Momentum<'_, f32> {
    fn buffers(&self) -> Vec<(&'static str, &[f32])> {
        vec![(MOMENTUM[0], self.velocity())]
    }
    fn steps(&self) -> Option<u32> {
        None
    }
}

impl Saved for Adam<'_, f32> {
    fn buffers(&self) -> Vec<(&'static str, &[f32])> {
        let m = self.moments();
        let (a, b) = m.split_at(m.len() / 2);
        vec![(ADAM[0], a), (ADAM[1], b)]
    }
    fn steps(&self) -> Option<u32> {
        u32::try_from(self.steps()).ok()
    }
}

/// Names of the momentum optimiser's buffer.
pub const MOMENTUM: [&str; 1] = ["momentum_buffer"];
/// Names of Adam's buffers.
pub const ADAM: [&str; 2] = ["exp_avg", "exp_avg_sq"];

/// The state of a run at the end of an epoch.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Epochs done.
    pub epoch: usize,
    /// The shuffling and augmentation generator.
    pub rng: Rng,
    /// The training rows' order.
    pub order: Vec<usize>,
    /// The curves so far (best epoch and divergence included).
    pub history: History,
    /// The best parameters so far.
    pub best: Vec<f32>,
    /// Seconds spent so far.
    pub seconds: f64,
    /// The generator of the dropout masks.
    pub dropout_rng: Rng,
}

/// A checkpoint read back: the progress, the parameters now and the
/// optimiser's state (buffers laid out as the optimiser keeps them).
#[derive(Debug, Clone)]
pub struct Resumed {
    /// Where training stood.
    pub progress: Progress,
    /// The parameters now.
    pub params: Vec<f32>,
    /// The optimiser's state, buffer after buffer.
    pub optim: Vec<f32>,
    /// Adam's step count.
    pub steps: u32,
}

/// What identifies a run: a resume must match every pair.
pub fn identity<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &Trainer<'_, f32, M, L, B>,
    (train, valid): (&Split<'_>, &Split<'_>),
    cfg: &TrainConfig,
) -> Vec<(String, String)> {
    struct Show<'a, D>(&'a D);
    impl<D: Describe> fmt::Display for Show<'_, D> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.describe(f)
        }
    }
    let pairs = [
        ("run", cfg.name.clone()),
        ("architecture", Show(net.model()).to_string()),
        ("epochs", cfg.epochs.to_string()),
        ("lr", format!("{:?}", cfg.lr)),
        ("batch", cfg.batch.to_string()),
        ("seed", cfg.seed.to_string()),
        ("optimizer", format!("{:?}", cfg.optim)),
        ("decay", format!("{:?}", cfg.decay)),
        ("schedule", format!("{:?}", cfg.schedule)),
        ("augmentation", format!("{:?}", cfg.shift)),
        ("frozen", format!("{:?}", cfg.frozen)),
        ("metric", format!("{:?}", cfg.metric)),
        ("running_train_scores", cfg.running_train_scores.to_string()),
        ("train_rows", train.rows::<M>().to_string()),
        ("valid_rows", valid.rows::<M>().to_string()),
        (
            "data_hash",
            format!("{:016x}", data_hash(&[train.x, train.y, valid.x, valid.y])),
        ),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// FNV-1a over the bits of every value.
fn data_hash(parts: &[&[f32]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in parts.iter().flat_map(|p| p.iter()) {
        for b in v.to_bits().to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Names and ranges of the parameter tensors in the flat parameter buffer.
fn layout<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &Trainer<'_, f32, M, L, B>,
) -> Vec<(String, std::ops::Range<usize>)> {
    let mut start = 0;
    net.graph()
        .named_parameters()
        .map(|(name, values, _)| {
            let range = start..start + values.len();
            start = range.end;
            (name.to_string(), range)
        })
        .collect()
}

/// Writes the checkpoint of `net`, `opt` and `p` to `file`, whole or not at all.
///
/// # Errors
/// [`Error::Write`] naming the file; [`Error::Core`] (a tensor the writer refuses, a bug).
pub fn save<M: Model, L: Loss<M::Output>, O: Saved, const B: usize>(
    file: &Path,
    net: &Trainer<'_, f32, M, L, B>,
    opt: &O,
    p: &Progress,
    identity: &[(String, String)],
) -> Result<()> {
    let names = layout(net);
    let bad = |e| Error::Core {
        context: format!("{}: writing the checkpoint", file.display()),
        source: Box::new(e),
    };
    let rng: Vec<u8> = p.rng.state().iter().flat_map(|s| s.to_le_bytes()).collect();
    let dropout_rng: Vec<u8> = p.dropout_rng.state().iter().flat_map(|s| s.to_le_bytes()).collect();
    let order: Vec<u8> = p.order.iter().flat_map(|&i| (i as i64).to_le_bytes()).collect();
    let history: Vec<f64> = p
        .history
        .records
        .iter()
        .flat_map(|r| {
            [
                r.epoch as f64,
                r.lr,
                r.train_loss,
                r.valid_loss,
                r.train_score,
                r.valid_score,
            ]
        })
        .collect();
    let buffers = opt.buffers();
    let mut extra = Vec::new();
    let mut tensor_names = Vec::new();
    for (name, range) in &names {
        tensor_names.push((format!("best.{name}"), &p.best, range.clone()));
    }
    for (suffix, buf) in &buffers {
        for (name, range) in &names {
            let n = format!("optim.{name}.{suffix}");
            let values = buf.get(range.clone()).unwrap_or_default();
            extra.push(TensorOut::new(&n, &[values.len()], TensorData::F32(values)).map_err(bad)?);
        }
    }
    for (n, src, range) in &tensor_names {
        let values = src.get(range.clone()).unwrap_or_default();
        extra.push(TensorOut::new(n, &[values.len()], TensorData::F32(values)).map_err(bad)?);
    }
    extra.push(TensorOut::new("rng", &[4], TensorData::Bytes(Dtype::U64, &rng)).map_err(bad)?);
    extra.push(TensorOut::new("dropout_rng", &[4], TensorData::Bytes(Dtype::U64, &dropout_rng)).map_err(bad)?);
    extra.push(TensorOut::new("order", &[p.order.len()], TensorData::Bytes(Dtype::I64, &order)).map_err(bad)?);
    let rows = p.history.records.len();
    extra.push(TensorOut::new("history", &[rows, HISTORY_COLUMNS], TensorData::F64(&history)).map_err(bad)?);
    let mut meta: Vec<(String, String)> = vec![
        ("format".into(), FORMAT.into()),
        ("epoch".into(), p.epoch.to_string()),
        ("seconds".into(), format!("{:?}", p.seconds)),
    ];
    if let Some(steps) = opt.steps() {
        meta.push(("adam_steps".into(), steps.to_string()));
    }
    if let Some(why) = &p.history.diverged {
        meta.push(("diverged".into(), why.clone()));
    }
    meta.extend(identity.iter().cloned());
    let pairs: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut bytes = vec![0u8; net.graph().safetensors_len_with(&pairs, &extra)];
    let n = net
        .graph()
        .save_safetensors_with(&mut bytes, &pairs, &extra)
        .map_err(bad)?;
    bytes.truncate(n);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    write_atomic(file, &bytes)
}

/// An error about a checkpoint file.
pub fn checkpoint_error(path: &Path, problem: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Reads the checkpoint `file` for `net` and checks all of it against this
/// run before anything is changed: the format, every identity pair, each
/// tensor's presence, dtype, size and finiteness, the order being a
/// permutation, the history's length and the step count.
///
/// # Errors
/// [`Error::Checkpoint`] naming the file and every problem found.
pub fn load<M: Model, L: Loss<M::Output>, const B: usize>(
    file: &Path,
    net: &Trainer<'_, f32, M, L, B>,
    cfg: &TrainConfig,
    identity: &[(String, String)],
    rows: usize,
    optim: &[&str],
) -> Result<Resumed> {
    let err = |p: String| checkpoint_error(file, p);
    let bytes = std::fs::read(file).map_err(|e| err(format!("cannot read: {e}")))?;
    let st = SafeTensors::parse(&bytes).map_err(|e| err(format!("not a whole checkpoint: {e}")))?;
    let meta = |k: &str| st.metadata_value(k).map(|v| v.to_string());
    if meta("format").as_deref() != Some(FORMAT) {
        return Err(err(format!(
            "not a flambeau checkpoint (no format \"{FORMAT}\" in its metadata)"
        )));
    }
    let differences: Vec<String> = identity
        .iter()
        .filter_map(|(k, v)| {
            let theirs = meta(k).unwrap_or_else(|| "nothing".into());
            (theirs != *v).then(|| format!("{k} {theirs}, this run has {v}"))
        })
        .collect();
    if !differences.is_empty() {
        return Err(err(format!(
            "made by another run: {}; resume with the settings it was made with, or start afresh without --resume",
            differences.join("; ")
        )));
    }
    let number = |k: &str| -> Result<u64> {
        meta(k)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| err(format!("metadata {k} is missing or not a whole number")))
    };
    let epoch = number("epoch")? as usize;
    if epoch == 0 || epoch > cfg.epochs {
        return Err(err(format!("epoch {epoch} is not in 1..={}", cfg.epochs)));
    }
    let seconds = meta("seconds").and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let names = layout(net);
    let total = names.last().map_or(0, |(_, r)| r.end);
    let f32s = |name: &str, len: usize| -> Result<Vec<f32>> {
        let view = st.get(name).ok_or_else(|| err(format!("tensor {name} is missing")))?;
        if view.dtype != Dtype::F32 || view.len() != len {
            return Err(err(format!(
                "tensor {name} is {} of {} values, expected F32 of {len}",
                view.dtype.name(),
                view.len()
            )));
        }
        let values: Vec<f32> = view.values::<f32>().collect();
        match values.iter().position(|v| !v.is_finite()) {
            Some(i) => Err(err(format!("tensor {name}: value {i} is not finite"))),
            None => Ok(values),
        }
    };
    let gather = |prefix: &str, suffix: &str| -> Result<Vec<f32>> {
        let mut all = Vec::with_capacity(total);
        for (name, range) in &names {
            all.extend(f32s(&format!("{prefix}{name}{suffix}"), range.len())?);
        }
        Ok(all)
    };
    let params = gather("", "")?;
    let best = gather("best.", "")?;
    let mut state = Vec::new();
    for suffix in optim {
        state.extend(gather("optim.", &format!(".{suffix}"))?);
    }
    let ints = |name: &str, dtype: Dtype, len: usize| -> Result<Vec<u64>> {
        let view = st.get(name).ok_or_else(|| err(format!("tensor {name} is missing")))?;
        if view.dtype != dtype || view.len() != len {
            return Err(err(format!(
                "tensor {name} is {} of {} values, expected {} of {len}",
                view.dtype.name(),
                view.len(),
                dtype.name()
            )));
        }
        Ok(view
            .data
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
            .collect())
    };
    let s = ints("rng", Dtype::U64, 4)?;
    let words: [u64; 4] = s.try_into().unwrap_or_default();
    let rng = Rng::from_state(words).ok_or_else(|| err("tensor rng is all zeros".into()))?;
    let d = ints("dropout_rng", Dtype::U64, 4)?;
    let words: [u64; 4] = d.try_into().unwrap_or_default();
    let dropout_rng = Rng::from_state(words).ok_or_else(|| err("tensor dropout_rng is all zeros".into()))?;
    let order: Vec<usize> = ints("order", Dtype::I64, rows)?
        .into_iter()
        .map(|i| i as usize)
        .collect();
    let mut seen = vec![false; rows];
    for &i in &order {
        match seen.get_mut(i) {
            Some(s) if !*s => *s = true,
            _ => return Err(err(format!("tensor order is not a permutation of 0..{rows}"))),
        }
    }
    let history = history(&st, epoch, cfg, meta("diverged")).map_err(err)?;
    let batches = rows.div_ceil(cfg.batch.max(1)) * epoch;
    let steps = match meta("adam_steps") {
        Some(_) => number("adam_steps")?,
        None => 0,
    };
    if optim == ADAM && steps != batches as u64 {
        return Err(err(format!(
            "adam_steps {steps} is not the {batches} steps of {epoch} epochs"
        )));
    }
    Ok(Resumed {
        progress: Progress {
            epoch,
            rng,
            order,
            history,
            best,
            seconds,
            dropout_rng,
        },
        params,
        optim: state,
        steps: u32::try_from(steps).unwrap_or(u32::MAX),
    })
}

/// The history of `epoch` records, replayed so that its best epoch is recomputed.
fn history(
    st: &SafeTensors<'_>,
    epoch: usize,
    cfg: &TrainConfig,
    diverged: Option<String>,
) -> std::result::Result<History, String> {
    let view = st.get("history").ok_or("tensor history is missing")?;
    if view.dtype != Dtype::F64 || view.shape() != [epoch, HISTORY_COLUMNS] {
        return Err(format!(
            "tensor history is {} {:?}, expected F64 [{epoch}, {HISTORY_COLUMNS}]",
            view.dtype.name(),
            view.shape()
        ));
    }
    let values: Vec<f64> = view.values_f64().collect();
    let mut history = History::new(cfg.metric);
    for (i, r) in values.chunks_exact(HISTORY_COLUMNS).enumerate() {
        let [e, lr, train_loss, valid_loss, train_score, valid_score] =
            <[f64; HISTORY_COLUMNS]>::try_from(r).unwrap_or_default();
        if e != (i + 1) as f64 {
            return Err(format!("tensor history: row {i} is epoch {e}, expected {}", i + 1));
        }
        history.push(EpochRecord {
            epoch: i + 1,
            lr,
            train_loss,
            valid_loss,
            train_score,
            valid_score,
        });
    }
    history.diverged = diverged;
    Ok(history)
}

/// The epoch after which [`STOP_AFTER_EPOCH`] asks training to stop, if set.
///
/// # Errors
/// [`Error::Setting`] for a value that is not a whole number.
pub fn stop_after() -> Result<Option<usize>> {
    match std::env::var(STOP_AFTER_EPOCH) {
        Err(_) => Ok(None),
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| crate::error::setting(STOP_AFTER_EPOCH, format!("{v:?} is not a whole number"))),
    }
}

/// The error a run stopped by [`STOP_AFTER_EPOCH`] ends with.
pub fn stopped(file: &Path, epoch: usize) -> Error {
    let mut problem = format!("stopped after epoch {epoch} as {STOP_AFTER_EPOCH} asks (a test setting)");
    let _ = write!(problem, "; continue with --resume {}", resume_hint(file).display());
    checkpoint_error(file, problem)
}

/// The run folder a checkpoint file belongs to (`DIR/checkpoint/FILE` → `DIR`).
fn resume_hint(file: &Path) -> PathBuf {
    file.parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
