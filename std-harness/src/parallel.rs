//! Data-parallel training on two threads: each thread holds a replica of
//! the static graph and takes half of every batch, gathering its rows from
//! the data set itself; each replica then reads the other's gradients,
//! combines them (weighted by rows, since each loss averages over its own
//! rows) and applies the same optimiser step with its own copy of the
//! optimiser. Both replicas compute the same combination in the same order,
//! so they stay bit-identical without copying parameters between threads,
//! and the result equals one thread's at the full batch size up to the order
//! of float summation. Where the OS allows it, the two threads are pinned
//! to two CPUs for the session (see `affinity.rs`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, RwLock};

use flambeau::{Error, Float, Loss, Model, Optimizer, Shape, Trainer};

/// Two replicas of a model at batch size `H` each: batches of up to `2·H` rows.
pub struct DataParallel<'a, T: Float, M: Model, L: Loss<M::Output>, const H: usize> {
    replicas: [Trainer<'a, T, M, L, H>; 2],
}

impl<'a, T, M, L, const H: usize> DataParallel<'a, T, M, L, H>
where
    T: Float + Send + Sync,
    M: Model + Send + Sync,
    L: Loss<M::Output> + Send + Sync,
{
    /// Two replicas built by the caller (same model and loss, each on its own buffers).
    pub fn new(first: Trainer<'a, T, M, L, H>, second: Trainer<'a, T, M, L, H>) -> Self {
        let mut dp = DataParallel {
            replicas: [first, second],
        };
        dp.sync();
        dp
    }

    /// The first replica, which holds the trained parameters.
    pub fn trainer(&self) -> &Trainer<'a, T, M, L, H> {
        &self.replicas[0]
    }

    /// Both replicas (they hold the same parameters between steps).
    pub fn replicas(&self) -> [&Trainer<'a, T, M, L, H>; 2] {
        let [a, b] = &self.replicas;
        [a, b]
    }

    /// The first replica, mutable (e.g. to initialise it; call [`DataParallel::sync`] after).
    pub fn trainer_mut(&mut self) -> &mut Trainer<'a, T, M, L, H> {
        &mut self.replicas[0]
    }

    /// Copies the first replica's parameters to the second.
    pub fn sync(&mut self) {
        let [a, b] = &mut self.replicas;
        b.graph_mut().params_mut().copy_from_slice(a.graph().params());
    }

    /// One step on up to `2·H` rows of `inputs` and `targets`: the first `H`
    /// rows on this thread, the rest on a second; returns the batch loss.
    /// Starts a thread for the step: a training loop should run inside
    /// [`DataParallel::session`] instead, which keeps one worker for all its steps.
    ///
    /// # Errors
    /// As [`DataParallel::session`] and [`Session::step`].
    pub fn step<O>(&mut self, inputs: &[T], targets: &[T], opt: &mut O) -> Result<T, Error>
    where
        O: Optimizer<T> + Clone + Send,
    {
        let rows: Vec<usize> = (0..inputs.len() / <M::Input as Shape>::SIZE.max(1)).collect();
        self.session(inputs, targets, opt, |s| s.step(&rows))?
    }

    /// Runs `f` with a worker thread that owns the second replica until `f`
    /// returns; every [`Session::step`] inside trains on rows of the data set
    /// `inputs`/`targets` (checked once here), the worker taking the second
    /// half of each batch, and updates both replicas with `opt` (the worker
    /// uses a clone of it, which sees the same gradients). The threads meet
    /// through atomic counters that the waiting side polls for a while before
    /// it sleeps: a sleeping thread takes tens of microseconds to wake (more in
    /// a virtual machine), a large share of a step at these sizes.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `inputs` is not whole rows or `targets`
    /// does not match it; [`Error::NonFinite`] naming the first NaN or infinity.
    pub fn session<O, R>(
        &mut self,
        inputs: &[T],
        targets: &[T],
        opt: &mut O,
        f: impl FnOnce(&mut Session<'_, 'a, T, M, L, O, H>) -> R,
    ) -> Result<R, Error>
    where
        O: Optimizer<T> + Clone + Send,
    {
        let data = Data::new::<M>(inputs, targets)?;
        let [a, b] = &mut self.replicas;
        let n_params = a.graph().params().len();
        let (first, second) = (RwLock::new(a), RwLock::new(b));
        let shared = Shared {
            go: AtomicUsize::new(0),
            ready: [AtomicUsize::new(0), AtomicUsize::new(0)],
            combined: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            worker_gone: AtomicBool::new(false),
            plan: Mutex::new(Plan {
                first: 0,
                rows: Vec::with_capacity(H),
            }),
            results: Mutex::new([Ok(T::ZERO), Ok(T::ZERO)]),
            threads: OnceLock::new(),
        };
        let mut worker_opt = opt.clone();
        // one CPU each for the two threads where the OS allows it; the guard
        // gives this thread its CPU set back when the session ends
        let cpus = crate::affinity::pair();
        let _pinned = cpus.and_then(|[mine, _]| crate::affinity::pin(mine));
        Ok(std::thread::scope(|s| {
            let (replicas, shared, data) = ([&first, &second], &shared, &data);
            let thread = s.spawn(move || {
                let _pinned = cpus.and_then(|[_, theirs]| crate::affinity::pin(theirs));
                // tells the training loop when this thread ends, however it ends
                let _gone = Gone(&shared.worker_gone);
                let mut scratch = vec![T::ZERO; n_params];
                let mut rows = Vec::with_capacity(H);
                let mut step = 0;
                while shared.wait_for(&shared.go, step + 1) {
                    step += 1;
                    rows.clear();
                    let mut first = 0;
                    if let Ok(plan) = shared.plan.lock() {
                        first = plan.first;
                        rows.extend_from_slice(&plan.rows);
                    }
                    let result = match (rows.is_empty(), replicas[1].write()) {
                        (true, _) => Ok(T::ZERO),
                        (false, Ok(mut b)) => data.gather(&mut b, &rows).and_then(|()| b.compute_grads()),
                        (false, Err(_)) => Err(Error::NoGradients),
                    };
                    if let Some([Ok(_), Ok(_)]) = shared.exchange(1, step, result) {
                        // an error here leaves both replicas as they were (the first fails the same way)
                        let _ = update(replicas, 1, (first, rows.len()), &mut scratch, &mut worker_opt);
                    }
                    shared.signal(&shared.combined, step, 1);
                }
            });
            // set before the first step: the worker waits for `go` until then
            let _ = shared.threads.set([std::thread::current(), thread.thread().clone()]);
            let mut session = Session {
                replicas: [&first, &second],
                shared,
                data,
                opt,
                scratch: vec![T::ZERO; n_params],
                steps: 0,
            };
            f(&mut session)
            // dropping the session (also when `f` panics) stops the worker
        }))
    }
}

/// The data set of a session, checked once.
struct Data<'d, T> {
    inputs: &'d [T],
    targets: &'d [T],
    n_in: usize,
    n_out: usize,
    rows: usize,
}

impl<'d, T: Float> Data<'d, T> {
    fn new<M: Model>(inputs: &'d [T], targets: &'d [T]) -> Result<Self, Error> {
        let (n_in, n_out) = (<M::Input as Shape>::SIZE.max(1), <M::Output as Shape>::SIZE);
        let rows = inputs.len() / n_in;
        if rows * n_in != inputs.len() {
            return Err(Error::LengthMismatch {
                what: "inputs",
                expected: rows * n_in,
                got: inputs.len(),
            });
        }
        if targets.len() != rows * n_out {
            return Err(Error::LengthMismatch {
                what: "targets",
                expected: rows * n_out,
                got: targets.len(),
            });
        }
        for (what, values) in [("input", inputs), ("target", targets)] {
            if let Some(index) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { what, index });
            }
        }
        Ok(Data {
            inputs,
            targets,
            n_in,
            n_out,
            rows,
        })
    }

    /// Copies `rows` of the data set into the replica's batch.
    fn gather<M: Model, L: Loss<M::Output>, const H: usize>(
        &self,
        trainer: &mut Trainer<'_, T, M, L, H>,
        rows: &[usize],
    ) -> Result<(), Error> {
        let (n_in, n_out) = (self.n_in, self.n_out);
        if rows.len() > H {
            return Err(Error::RowsOutOfRange {
                rows: rows.len(),
                batch: H,
            });
        }
        let out_of_range = |i: usize| Error::RowsOutOfRange {
            rows: i + 1,
            batch: self.rows,
        };
        for (xb, &i) in trainer.input_mut().chunks_exact_mut(n_in).zip(rows) {
            xb.copy_from_slice(self.inputs.get(i * n_in..(i + 1) * n_in).ok_or(out_of_range(i))?);
        }
        for (tb, &i) in trainer.target_mut().chunks_exact_mut(n_out.max(1)).zip(rows) {
            tb.copy_from_slice(self.targets.get(i * n_out..(i + 1) * n_out).ok_or(out_of_range(i))?);
        }
        trainer.set_rows(rows.len())
    }
}

/// Where the two threads of a [`Session`] meet.
struct Shared<T> {
    /// Steps handed to the worker.
    go: AtomicUsize,
    /// Steps whose gradients each replica has computed.
    ready: [AtomicUsize; 2],
    /// Steps the worker has finished (after which it reads nothing of the first replica).
    combined: AtomicUsize,
    /// Set when the session ends.
    stop: AtomicBool,
    /// Set when the worker thread ends.
    worker_gone: AtomicBool,
    /// The current step's split of the batch.
    plan: Mutex<Plan>,
    /// Each replica's loss (or error) for the current step.
    results: Mutex<[Result<T, Error>; 2]>,
    /// The two threads (the training loop's, then the worker's), to wake
    /// whichever sleeps in [`Shared::wait_for`] after a counter moved.
    threads: OnceLock<[std::thread::Thread; 2]>,
}

/// A step's split of the batch.
struct Plan {
    /// Rows the first replica (the training loop's thread) takes.
    first: usize,
    /// The worker's rows of the data set.
    rows: Vec<usize>,
}

impl<T: Float> Shared<T> {
    /// Polls before sleeping.
    const SPINS: u32 = 1 << 12;

    /// Waits until `counter` reaches `target` (true), or the session stops or
    /// the worker is gone (false).
    fn wait_for(&self, counter: &AtomicUsize, target: usize) -> bool {
        let mut spins = 0;
        loop {
            if counter.load(Ordering::Acquire) >= target {
                return true;
            }
            if self.stop.load(Ordering::Acquire) || self.worker_gone.load(Ordering::Acquire) {
                return false;
            }
            if spins < Self::SPINS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::park_timeout(std::time::Duration::from_millis(1));
            }
        }
    }

    /// Moves `counter` to `value` and wakes the other side of `side`, in case it sleeps.
    fn signal(&self, counter: &AtomicUsize, value: usize, side: usize) {
        counter.store(value, Ordering::Release);
        if let Some(threads) = self.threads.get() {
            threads[1 - side].unpark();
        }
    }

    /// Publishes replica `side`'s result of `step` and waits for the other's;
    /// returns both, or `None` when the other side is gone.
    fn exchange(&self, side: usize, step: usize, result: Result<T, Error>) -> Option<[Result<T, Error>; 2]> {
        if let Ok(mut r) = self.results.lock() {
            r[side] = result;
        }
        self.signal(&self.ready[side], step, side);
        if !self.wait_for(&self.ready[1 - side], step) {
            return None;
        }
        self.results.lock().ok().map(|r| *r)
    }
}

/// Sets a flag when dropped.
struct Gone<'f>(&'f AtomicBool);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The two replicas, each behind a lock: a thread writes only its own, and
/// both read both while they combine the gradients.
type Replicas<'r, 'a, T, M, L, const H: usize> = [&'r RwLock<&'r mut Trainer<'a, T, M, L, H>>; 2];

/// Combines the replicas' gradients (`first` and `second` rows) into
/// `scratch` and steps replica `side` with `opt`. Both sides run the same
/// arithmetic in the same order, so the replicas stay bit-identical.
fn update<T: Float, M: Model, L: Loss<M::Output>, O: Optimizer<T>, const H: usize>(
    replicas: Replicas<'_, '_, T, M, L, H>,
    side: usize,
    (first, second): (usize, usize),
    scratch: &mut [T],
    opt: &mut O,
) -> Result<(), Error> {
    {
        let (Ok(a), Ok(b)) = (replicas[0].read(), replicas[1].read()) else {
            return Err(Error::NoGradients);
        };
        let (ga, gb) = (a.graph().param_grads(), b.graph().param_grads());
        if second == 0 {
            scratch.copy_from_slice(ga);
        } else {
            let total = T::from_usize(first + second);
            let (w0, w1) = (T::from_usize(first) / total, T::from_usize(second) / total);
            for ((s, &x), &y) in scratch.iter_mut().zip(ga).zip(gb) {
                *s = w0 * x + w1 * y;
            }
        }
    }
    let mut me = replicas[side].write().map_err(|_| Error::NoGradients)?;
    opt.step(me.graph_mut().params_mut(), scratch)
}

/// The training loop's side of [`DataParallel::session`].
pub struct Session<'s, 'a, T: Float, M: Model, L: Loss<M::Output>, O, const H: usize> {
    replicas: Replicas<'s, 'a, T, M, L, H>,
    shared: &'s Shared<T>,
    data: &'s Data<'s, T>,
    opt: &'s mut O,
    scratch: Vec<T>,
    steps: usize,
}

impl<T: Float, M: Model, L: Loss<M::Output>, O, const H: usize> Drop for Session<'_, '_, T, M, L, O, H> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some([_, worker]) = self.shared.threads.get() {
            worker.unpark();
        }
    }
}

impl<T: Float, M: Model, L: Loss<M::Output>, O: Optimizer<T>, const H: usize> Session<'_, '_, T, M, L, O, H> {
    /// Rows in the session's data set.
    pub fn rows(&self) -> usize {
        self.data.rows
    }

    /// One step on the data set's `rows` (at most `2·H`): the first `H` on
    /// this thread, the rest on the worker; returns the batch loss.
    ///
    /// # Errors
    /// [`Error::RowsOutOfRange`] for no rows, more than `2·H`, or a row index
    /// beyond the data set (`rows` is then the index + 1 and `batch` the data
    /// set's size); otherwise as [`Trainer::step`].
    pub fn step(&mut self, rows: &[usize]) -> Result<T, Error> {
        if rows.is_empty() || rows.len() > 2 * H {
            return Err(Error::RowsOutOfRange {
                rows: rows.len(),
                batch: 2 * H,
            });
        }
        if let Some(&i) = rows.iter().find(|&&i| i >= self.data.rows) {
            return Err(Error::RowsOutOfRange {
                rows: i + 1,
                batch: self.data.rows,
            });
        }
        let (mine, theirs) = rows.split_at(rows.len().min(H));
        let shared = self.shared;
        // the worker has finished reading this replica's gradients of the last step
        if !shared.wait_for(&shared.combined, self.steps) {
            return Err(Error::NoGradients);
        }
        {
            let mut plan = shared.plan.lock().map_err(|_| Error::NoGradients)?;
            plan.first = mine.len();
            plan.rows.clear();
            plan.rows.extend_from_slice(theirs);
        }
        self.steps += 1;
        shared.signal(&shared.go, self.steps, 0);
        let result = match self.replicas[0].write() {
            Ok(mut a) => self.data.gather(&mut a, mine).and_then(|()| a.compute_grads()),
            Err(_) => Err(Error::NoGradients),
        };
        let [la, lb] = shared.exchange(0, self.steps, result).ok_or(Error::NoGradients)?;
        let (la, lb) = (la?, lb?);
        let counts = (mine.len(), theirs.len());
        update(self.replicas, 0, counts, &mut self.scratch, self.opt)?;
        if theirs.is_empty() {
            return Ok(la);
        }
        let total = T::from_usize(rows.len());
        Ok(T::from_usize(mine.len()) / total * la + T::from_usize(theirs.len()) / total * lb)
    }

    /// The first replica, which holds the trained parameters (between steps).
    ///
    /// # Errors
    /// [`Error::NoGradients`] if a thread panicked while holding it.
    pub fn with_trainer<R>(&self, f: impl FnOnce(&Trainer<'_, T, M, L, H>) -> R) -> Result<R, Error> {
        let a = self.replicas[0].read().map_err(|_| Error::NoGradients)?;
        Ok(f(&a))
    }
}
