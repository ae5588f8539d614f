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
/// The file whose presence marks a folder as a run's, safe to replace.
pub const RESULTS: &str = "results.json";
/// Swaps retried when another run puts its folder in place meanwhile.
const SWAP_ATTEMPTS: usize = 8;

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
    /// Checks `target` ([`check_target`]), removes stale folders of killed
    /// runs beside it and creates a fresh staging folder.
    ///
    /// # Errors
    /// [`Error::Output`] or [`Error::Write`] naming the folder.
    pub fn begin(target: &Path) -> Result<Self> {
        Self::begin_for(target, None)
    }

    /// [`Staging::begin`] for a folder of fixed files (`files`, as
    /// `flambeau export` writes): an existing target is replaced only when
    /// it holds nothing but some of those files, instead of a previous run's
    /// `results.json`.
    ///
    /// # Errors
    /// As [`Staging::begin`].
    pub fn begin_files(target: &Path, files: &[&str]) -> Result<Self> {
        Self::begin_for(target, Some(files))
    }

    fn begin_for(target: &Path, files: Option<&[&str]>) -> Result<Self> {
        let (parent, name) = check_folder(target, files)?;
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

/// Checks, before any work, that `target` can become a run folder: it is
/// not a file nor under one, an existing folder is empty or a previous
/// run's (it holds `results.json`), and the nearest existing folder on its
/// path is writable. Nothing is left behind. Returns the parent and the
/// folder's name.
///
/// # Errors
/// [`Error::Output`] saying which of these fails, naming the path.
pub fn check_target(target: &Path) -> Result<(PathBuf, String)> {
    check_folder(target, None)
}

/// [`check_target`], where an existing folder may instead hold only some of
/// `files` (when given) to be replaced.
fn check_folder(target: &Path, files: Option<&[&str]>) -> Result<(PathBuf, String)> {
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
        let empty = |t: &Path| std::fs::read_dir(t).map(|mut d| d.next().is_none()).unwrap_or(false);
        let usable = |t: &Path| {
            !t.exists()
                || empty(t)
                || match files {
                    Some(files) => only_files(t, files),
                    None => t.join(RESULTS).is_file() || only_checkpoints(t),
                }
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
            let why = match files {
                Some(files) => format!(
                    "is a folder that holds other files than {}, so not one this command wrote; choose another --out or empty it",
                    files.join(", ")
                ),
                None => format!(
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
