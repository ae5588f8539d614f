//! A run's folder, replaced whole: files go into a fresh staging folder
//! beside the target, which is renamed into place at the end.
//!
//! The swap is two renames: the previous folder to `.NAME.old-PID-N`, then
//! the staging folder `.NAME.staging-PID-N` to `NAME`; the old one is
//! removed last. A kill between the two renames leaves no `NAME` (absent,
//! never mixed) and the previous run under its `.old` name. Two runs that
//! swap at once cannot mix either: a rename onto a folder that another run
//! has just put in place fails, and the run retries, so `NAME` ends as one
//! run's complete set. Folders left by runs that no longer exist are
//! removed by the next run into the same place.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Marks a staging folder: `.NAME.staging-PID-N`.
const STAGING: &str = "staging";
/// Marks a previous folder moved aside: `.NAME.old-PID-N`.
const OLD: &str = "old";
/// Marks a file being written by [`crate::output::write_atomic`]: `.NAME.tmp-PID-N`.
const TMP: &str = "tmp";
/// The file whose presence marks a folder as a run's; its `written_by`
/// field says which kind of command wrote it (see [`Kind`]).
pub const RESULTS: &str = "results.json";
/// The field of [`RESULTS`] naming the [`Kind`] of command that wrote the folder.
pub const WRITTEN_BY: &str = "written_by";
/// Largest `results.json` read to learn a folder's [`Kind`].
const RESULTS_MAX: u64 = 64 << 20;
/// The files of an evaluation folder written before folders recorded
/// their writer (evaluate wrote no `results.json` then).
const EVALUATION_FILES: [&str; 3] = ["evaluation.txt", "predictions.csv", "confusion.png"];
/// Swaps retried when another run puts its folder in place meanwhile.
const SWAP_ATTEMPTS: usize = 8;

/// Which kind of command writes a folder: a folder is replaced only by a
/// run of the kind that wrote it, so that `evaluate` cannot delete a
/// training run (its model included), nor a training run a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An experiment's training run (`usps-mlp`, `checkerboard`, ...).
    Training,
    /// `search`.
    Search,
    /// `report`.
    Report,
    /// `evaluate`.
    Evaluate,
}

impl Kind {
    /// The value of [`WRITTEN_BY`] in the folder's `results.json`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Training => "training",
            Kind::Search => "search",
            Kind::Report => "report",
            Kind::Evaluate => "evaluate",
        }
    }

    /// A run of this kind, for messages.
    fn run(self) -> &'static str {
        match self {
            Kind::Training => "a training run",
            Kind::Search => "a search",
            Kind::Report => "a report",
            Kind::Evaluate => "an evaluation",
        }
    }

    /// The folder a run of this kind writes, for messages.
    fn folder(self) -> &'static str {
        match self {
            Kind::Training => "a training run's folder",
            Kind::Search => "a search's folder",
            Kind::Report => "a report's folder",
            Kind::Evaluate => "an evaluation's folder",
        }
    }

    /// The kind that wrote `results`, a folder's `results.json`: its
    /// [`WRITTEN_BY`] field, else (folders written before the field
    /// existed) its shape: a list of runs is a report's, a record with
    /// `trials` a search's, a record with `runs` a training run's.
    fn of_results(results: &serde_json::Value) -> Option<Self> {
        if let Some(by) = results.get(WRITTEN_BY) {
            return [Kind::Training, Kind::Search, Kind::Report, Kind::Evaluate]
                .into_iter()
                .find(|k| by.as_str() == Some(k.name()));
        }
        match results {
            serde_json::Value::Array(_) => Some(Kind::Report),
            serde_json::Value::Object(o) if o.contains_key("trials") => Some(Kind::Search),
            serde_json::Value::Object(o) if o.contains_key("runs") => Some(Kind::Training),
            _ => None,
        }
    }
}

/// What an existing folder is, as far as replacing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Absent or empty: anything may go there.
    Free,
    /// Written by a command of this kind.
    Run(Kind),
    /// Holds a `results.json` that does not say who wrote it.
    Unknown,
    /// Holds no `results.json`: not a run's folder.
    Foreign,
}

/// What `dir` holds.
fn found(dir: &Path) -> Found {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return if dir.exists() { Found::Foreign } else { Found::Free };
    };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Found::Free;
    }
    let results = dir.join(RESULTS);
    if results.is_file() {
        let read = std::fs::File::open(&results).and_then(|f| {
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, RESULTS_MAX), &mut text).map(|_| text)
        });
        return read
            .ok()
            .and_then(|text| serde_json::from_slice(&text).ok())
            .and_then(|v| Kind::of_results(&v))
            .map_or(Found::Unknown, Found::Run);
    }
    if only_checkpoints(dir) {
        return Found::Run(Kind::Training);
    }
    let evaluation =
        names.iter().all(|n| EVALUATION_FILES.contains(&n.as_str())) && names.iter().any(|n| n == EVALUATION_FILES[0]);
    if evaluation {
        Found::Run(Kind::Evaluate)
    } else {
        Found::Foreign
    }
}

/// Makes staging names unique within this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A staging folder for `target`, swapped into place by [`Staging::commit`]
/// and removed if dropped uncommitted.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Checks `target` for a run of `kind` ([`check_target`]), removes
    /// stale folders of killed runs beside it and creates a fresh staging
    /// folder.
    ///
    /// # Errors
    /// [`Error::Output`] or [`Error::Write`] naming the folder.
    pub fn begin(target: &Path, kind: Kind) -> Result<Self> {
        Self::begin_for(target, Want::Run(kind))
    }

    /// [`Staging::begin`] for a folder of fixed files (`files`, as
    /// `flambeau export` writes): an existing target is replaced only when
    /// it holds nothing but some of those files, instead of a previous run's
    /// `results.json`.
    ///
    /// # Errors
    /// As [`Staging::begin`].
    pub fn begin_files(target: &Path, files: &[&str]) -> Result<Self> {
        Self::begin_for(target, Want::Files(files))
    }

    fn begin_for(target: &Path, want: Want<'_>) -> Result<Self> {
        let (parent, name) = check_folder(target, want)?;
        std::fs::create_dir_all(&parent).map_err(|source| write_error(&parent, source))?;
        remove_stale(&parent, &name);
        // Beside the target, spelt as the target is (no `./` before a bare name).
        let beside = target.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        let dir = beside.join(temp_name(&name, STAGING));
        std::fs::create_dir(&dir).map_err(|source| write_error(&dir, source))?;
        Ok(Self {
            target: target.to_path_buf(),
            dir,
            committed: false,
        })
    }

    /// The staging folder to write into.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The folder it will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Swaps the staging folder in place of the target; the previous
    /// folder is removed once the new one is in place.
    ///
    /// # Errors
    /// [`Error::Write`] naming the target; the previous folder is then put
    /// back where it was, if it can be.
    pub fn commit(mut self) -> Result<()> {
        sync_dir(&self.dir);
        let parent = self.dir.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = leaf(&self.target);
        let mut moved = Vec::new();
        let mut outcome = Err(std::io::Error::other("no attempt"));
        for _ in 0..SWAP_ATTEMPTS {
            let old = parent.join(temp_name(&name, OLD));
            match std::fs::rename(&self.target, &old) {
                Ok(()) => moved.push(old),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            outcome = std::fs::rename(&self.dir, &self.target);
            match &outcome {
                Ok(()) => break,
                // Another run put its folder in place between the two renames: again.
                Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists | ErrorKind::DirectoryNotEmpty) => {}
                Err(_) => break,
            }
        }
        match outcome {
            Ok(()) => {
                self.committed = true;
                sync_dir(&parent);
                moved.iter().for_each(|old| drop(std::fs::remove_dir_all(old)));
                Ok(())
            }
            Err(source) => {
                if let Some(first) = moved.first() {
                    let _ = std::fs::rename(first, &self.target);
                }
                Err(write_error(&self.target, source))
            }
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Checks, before any work, that `target` can become the folder of a run
/// of `kind`: it is not a file nor under one, an existing folder is empty
/// or was written by a run of the same kind (its `results.json` says so,
/// see [`Kind`]; an interrupted training run's checkpoint folder is a
/// training run's), and the nearest existing folder on its path is
/// writable. Nothing is left behind. Returns the parent and the folder's
/// name.
///
/// # Errors
/// [`Error::Output`] saying which of these fails, naming the path.
pub fn check_target(target: &Path, kind: Kind) -> Result<(PathBuf, String)> {
    check_folder(target, Want::Run(kind))
}

/// What may be replaced by the folder being written.
#[derive(Debug, Clone, Copy)]
enum Want<'a> {
    /// A folder written by a run of this kind ([`check_target`]).
    Run(Kind),
    /// A folder holding only some of these files ([`Staging::begin_files`]).
    Files(&'a [&'a str]),
}

/// [`check_target`], or for `Want::Files` a folder that holds only some of
/// those files.
fn check_folder(target: &Path, want: Want<'_>) -> Result<(PathBuf, String)> {
    let problem = |path: &Path, problem: String| Error::Output {
        path: path.to_path_buf(),
        problem,
    };
    if target.as_os_str().is_empty()
        || matches!(
            target.components().next_back(),
            Some(Component::ParentDir | Component::CurDir | Component::RootDir) | None
        )
    {
        return Err(problem(
            target,
            "name a folder of its own (not `.`, `..` or `/`), e.g. --out out/run1".into(),
        ));
    }
    for ancestor in target.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
        if ancestor.exists() && !ancestor.is_dir() {
            return Err(problem(
                target,
                format!("is under {}, which is a file, not a folder", ancestor.display()),
            ));
        }
    }
    if let Ok(meta) = std::fs::symlink_metadata(target) {
        if !meta.is_dir() {
            return Err(problem(
                target,
                "exists and is not a folder; choose another --out or remove it".into(),
            ));
        }
        let usable = |t: &Path| match (want, found(t)) {
            (_, Found::Free) => true,
            (Want::Files(files), _) => only_files(t, files),
            (Want::Run(kind), Found::Run(k)) => k == kind,
            (Want::Run(_), Found::Unknown | Found::Foreign) => false,
        };
        // Another run swapping its folder into place moves this one aside for
        // an instant: a folder that looked foreign is looked at again.
        let settled = || {
            (0..SETTLE_LOOKS).any(|_| {
                std::thread::sleep(std::time::Duration::from_millis(5));
                usable(target)
            })
        };
        if !usable(target) && !settled() {
            let why = match (want, found(target)) {
                (Want::Files(files), _) => format!(
                    "is a folder that holds other files than {}, so not one this command wrote; choose another --out or empty it",
                    files.join(", ")
                ),
                (Want::Run(kind), Found::Run(other)) => format!(
                    "is {}, and {} replaces only {}; choose another --out",
                    other.folder(),
                    kind.run(),
                    kind.folder()
                ),
                (Want::Run(_), Found::Unknown) => format!(
                    "holds a {RESULTS} that does not say which command wrote it; choose another --out or empty it"
                ),
                (Want::Run(_), Found::Free | Found::Foreign) => format!(
                    "is a folder that holds no {RESULTS}, so not a previous run's; choose another --out or empty it"
                ),
            };
            return Err(problem(target, why));
        }
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Probe the nearest folder that exists, creating nothing that would stay.
    let existing = parent.ancestors().find(|a| a.is_dir()).unwrap_or(Path::new("."));
    let name = leaf(target);
    let probe = existing.join(temp_name(&name, STAGING));
    std::fs::create_dir(&probe).map_err(|e| problem(existing, format!("cannot create a folder here: {e}")))?;
    let _ = std::fs::remove_dir(&probe);
    Ok((parent, name))
}

/// Checks, before any work, that the file `target` can be written whole
/// (as [`super::write_atomic`] does: a temporary file beside it, renamed
/// into place): it is not a folder, FIFO or device, nor under a file; it is
/// none of `inputs` (the files the command reads, which writing it would
/// replace); its folder exists and accepts new files. Nothing is left
/// behind.
///
/// # Errors
/// [`Error::Output`] saying which of these fails, naming the path.
pub fn check_file_target(target: &Path, inputs: &[&Path]) -> Result<()> {
    let problem = |problem: String| Error::Output {
        path: target.to_path_buf(),
        problem,
    };
    let Some(name) = target
        .file_name()
        .filter(|_| !matches!(target.components().next_back(), Some(Component::CurDir)))
    else {
        return Err(problem("name a file, e.g. --out predictions.csv".into()));
    };
    for ancestor in target.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
        if ancestor.exists() && !ancestor.is_dir() {
            return Err(problem(format!(
                "is under {}, which is a file, not a folder",
                ancestor.display()
            )));
        }
    }
    if let Ok(meta) = std::fs::metadata(target) {
        if !meta.is_file() {
            return Err(problem(format!(
                "is {}, not a regular file; choose another --out",
                crate::data::source::kind_of(&meta.file_type())
            )));
        }
        if let Some(input) = inputs.iter().find(|i| same_file(target, i)) {
            return Err(problem(format!(
                "is a file this command reads ({}); choose another --out",
                input.display()
            )));
        }
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(problem(format!("its folder {} does not exist", parent.display())));
    }
    let probe = parent.join(temp_name(&name.to_string_lossy(), "probe"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| {
            problem(format!(
                "cannot be written: its folder {} accepts no new file ({e})",
                parent.display()
            ))
        })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Whether `a` and `b` name the same file (same device and inode; the
/// same canonical path where inodes are not known).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// The path a file will have once its staging folder is in place: every
/// `.NAME.staging-PID-N` component becomes `NAME`.
pub fn final_path(path: &Path) -> PathBuf {
    path.components()
        .map(|c| match c.as_os_str().to_str().and_then(|s| parse_temp(s, STAGING)) {
            Some((name, _)) => name.into(),
            None => c.as_os_str().to_os_string(),
        })
        .collect()
}

/// Whether every entry of `dir` is a regular file named in `files` (or a
/// temporary file of [`crate::output::write_atomic`] for one of them).
fn only_files(dir: &Path, files: &[&str]) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().all(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let ours = files.contains(&name.as_ref()) || parse_tmp(&name).is_some_and(|(n, _)| files.contains(&n));
            ours && e.file_type().is_ok_and(|t| t.is_file())
        })
    })
}

/// Whether `dir` holds only the checkpoint folder of an interrupted run
/// (files `*.safetensors`, and temporary files being renamed into place).
fn only_checkpoints(dir: &Path) -> bool {
    let names = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d)
            .map(|e| {
                e.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let inner = dir.join(crate::train::checkpoint::DIR);
    names(dir) == [crate::train::checkpoint::DIR]
        && inner.is_dir()
        && names(&inner)
            .iter()
            .all(|n| n.ends_with(".safetensors") || (n.starts_with('.') && n.contains(".safetensors.tmp-")))
}

/// Looks at a folder that seems not to be a run's before refusing it (a concurrent swap).
const SETTLE_LOOKS: usize = 20;

/// Removes `.NAME.staging-*` and `.NAME.old-*` folders whose process is gone.
fn remove_stale(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(text) = file.to_str() else { continue };
        let stale = [STAGING, OLD]
            .iter()
            .filter_map(|kind| parse_temp(text, kind))
            .any(|(n, pid)| n == name && !process_alive(pid));
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Removes the temporary files `.NAME.tmp-PID-N` (or `.NAME.tmp-PID`, as
/// older versions named them) that processes now gone left in `parent`
/// while writing `NAME`.
pub(super) fn remove_stale_files(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(text) = file.to_str() else { continue };
        if parse_tmp(text).is_some_and(|(n, pid)| n == name && !process_alive(pid))
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A temporary file's name for writing `name` in this process: `.NAME.tmp-PID-N`.
pub(super) fn tmp_name(name: &str) -> String {
    temp_name(name, TMP)
}

/// `(NAME, PID)` of a temporary file's name `.NAME.tmp-PID-N` or `.NAME.tmp-PID`.
fn parse_tmp(text: &str) -> Option<(&str, u32)> {
    let rest = text.strip_prefix('.')?;
    let (name, tail) = rest.rsplit_once(&format!(".{TMP}-"))?;
    let pid = match tail.split_once('-') {
        Some((pid, n)) => {
            n.parse::<u64>().ok()?;
            pid
        }
        None => tail,
    };
    Some((name, pid.parse().ok()?))
}

/// `.NAME.KIND-PID-N` for this process.
fn temp_name(name: &str, kind: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.{kind}-{}-{n}", std::process::id())
}

/// `(NAME, PID)` of a `.NAME.KIND-PID-N` name.
fn parse_temp<'a>(text: &'a str, kind: &str) -> Option<(&'a str, u32)> {
    let rest = text.strip_prefix('.')?;
    let (name, tail) = rest.rsplit_once(&format!(".{kind}-"))?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u64>().ok()?;
    Some((name, pid.parse().ok()?))
}

/// Whether process `pid` still runs; where this cannot be known (no
/// `/proc`), it is assumed to run, so nothing of a live run is removed.
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || !Path::new("/proc/self").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

fn leaf(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "output".to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Flushes a folder's entries to disk where the system allows it.
fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}
