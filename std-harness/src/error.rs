//! The harness's error type: data, core, file and plotting failures, each
//! naming what it was doing and the file or record involved.

use std::path::PathBuf;

use crate::data::DataError;

/// Why an experiment, a report or a file write failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A data file or preprocessing input was rejected.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The core library refused an operation (a capacity or shape error).
    #[error("{context}: {source}")]
    Core {
        /// What the harness was doing.
        context: String,
        /// The core's error (boxed: it carries names and shapes).
        source: Box<flambeau::Error>,
    },
    /// Writing an output file or folder failed.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Rendering a picture failed.
    #[error("{file}: cannot draw: {problem}")]
    Plot {
        /// The picture's file name.
        file: String,
        /// What went wrong.
        problem: String,
    },
    /// A setting given on the command line cannot be used.
    #[error("{what}: {problem}")]
    Setting {
        /// The setting.
        what: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A model file cannot be used.
    #[error("{}: {problem}", path.display())]
    Model {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A training checkpoint cannot be resumed from, or training stopped
    /// after writing one.
    #[error("checkpoint {}: {problem}", path.display())]
    Checkpoint {
        /// The checkpoint file or folder.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Training diverged: a loss became NaN or infinite.
    #[error("{run}: epoch {epoch}: the {what} is not finite; lower the learning rate")]
    Diverged {
        /// The run.
        run: String,
        /// The epoch, from 1.
        epoch: usize,
        /// Which value.
        what: &'static str,
    },
    /// An output folder cannot be used (checked before any training).
    #[error("{}: {problem}", path.display())]
    Output {
        /// The folder.
        path: PathBuf,
        /// Why not.
        problem: String,
    },
    /// Runs ended with a diverged model; their folder was written with
    /// `"diverged": true` in `results.json`.
    #[error("{}", reasons.join("; "))]
    DivergedRuns {
        /// One line per diverged run, naming the run and the sign.
        reasons: Vec<String>,
    },
}

/// The harness's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches a context to the core's errors.
pub trait CoreContext<T> {
    /// Wraps a core error with what the harness was doing.
    ///
    /// # Errors
    /// [`Error::Core`] when `self` is an error.
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> CoreContext<T> for std::result::Result<T, flambeau::Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Core {
            context: what(),
            source: Box::new(source),
        })
    }
}

/// A [`Error::Setting`] error.
pub fn setting(what: &'static str, problem: impl Into<String>) -> Error {
    Error::Setting {
        what,
        problem: problem.into(),
    }
}
