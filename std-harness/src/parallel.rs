//! Data-parallel training on two threads: each thread holds a replica of
//! the static graph and takes half of every batch; the replicas' gradients
//! are combined (weighted by their rows, since each loss averages over its
//! own rows), one optimiser step updates the first replica, and its
//! parameters are copied to the second. The result equals one thread's at
//! the full batch size up to the order of float summation.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use flambeau::{Error, Float, Loss, Model, Optimizer, Shape, Trainer};

/// Two replicas of a model at batch size `H` each: batches of up to `2·H` rows.
pub struct DataParallel<'a, T: Float, M: Model, L: Loss<M::Output>, const H: usize> {
    replicas: [Trainer<'a, T, M, L, H>; 2],
}

impl<'a, T: Float, M: Model + Send, L: Loss<M::Output> + Send, const H: usize> DataParallel<'a, T, M, L, H> {
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
    /// As [`Trainer::set_batch`] and [`Trainer::step`].
    pub fn step<O: Optimizer<T>>(&mut self, inputs: &[T], targets: &[T], opt: &mut O) -> Result<T, Error>
    where
        T: Send,
    {
        self.session(|s| s.step(inputs, targets, opt))
    }

    /// Runs `f` with a worker thread that owns the second replica until `f`
    /// returns; every [`Session::step`] inside hands it the second half of the
    /// batch. The two threads meet through atomic counters that the waiting
    /// side polls for a while before it sleeps: a sleeping thread takes tens
    /// of microseconds to wake (more in a virtual machine), a large share of a
    /// step at these sizes.
    pub fn session<R>(&mut self, f: impl FnOnce(&mut Session<'_, 'a, T, M, L, H>) -> R) -> R
    where
        T: Send,
    {
        let [a, b] = &mut self.replicas;
        let second = Mutex::new(b);
        let handoff = Handoff {
            go: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            result: Mutex::new(None),
        };
        std::thread::scope(|s| {
            let (worker, shared) = (&second, &handoff);
            let thread = s.spawn(move || {
                let mut seen = 0;
                while shared.wait_for(&shared.go, seen + 1) {
                    seen += 1;
                    let result = match worker.lock() {
                        Ok(mut b) => b.compute_grads(),
                        Err(_) => Err(Error::NoGradients),
                    };
                    if let Ok(mut slot) = shared.result.lock() {
                        *slot = Some(result);
                    }
                    shared.done.store(seen, Ordering::Release);
                }
            });
            let mut session = Session {
                first: a,
                second: &second,
                handoff: &handoff,
                worker: thread.thread().clone(),
                steps: 0,
            };
            f(&mut session)
            // dropping the session (also when `f` panics) stops the worker
        })
    }
}

/// Where the two threads of a [`Session`] meet.
struct Handoff<T> {
    /// Steps handed to the worker.
    go: AtomicUsize,
    /// Steps the worker finished.
    done: AtomicUsize,
    /// Set when the session ends.
    stop: AtomicBool,
    /// The worker's loss for the last step.
    result: Mutex<Option<Result<T, Error>>>,
}

impl<T> Handoff<T> {
    /// Polls before sleeping.
    const SPINS: u32 = 1 << 12;

    /// Waits until `counter` reaches `target` (true) or the session stops (false).
    fn wait_for(&self, counter: &AtomicUsize, target: usize) -> bool {
        let mut spins = 0;
        loop {
            if counter.load(Ordering::Acquire) >= target {
                return true;
            }
            if self.stop.load(Ordering::Acquire) {
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
}

/// The training loop's side of [`DataParallel::session`].
pub struct Session<'s, 'a, T: Float, M: Model, L: Loss<M::Output>, const H: usize> {
    first: &'s mut Trainer<'a, T, M, L, H>,
    second: &'s Mutex<&'s mut Trainer<'a, T, M, L, H>>,
    handoff: &'s Handoff<T>,
    worker: std::thread::Thread,
    steps: usize,
}

impl<T: Float, M: Model, L: Loss<M::Output>, const H: usize> Drop for Session<'_, '_, T, M, L, H> {
    fn drop(&mut self) {
        self.handoff.stop.store(true, Ordering::Release);
        self.worker.unpark();
    }
}

impl<T: Float, M: Model, L: Loss<M::Output>, const H: usize> Session<'_, '_, T, M, L, H> {
    /// The first replica, which holds the trained parameters.
    pub fn trainer(&self) -> &Trainer<'_, T, M, L, H> {
        self.first
    }

    /// As [`DataParallel::step`], on the session's worker.
    ///
    /// # Errors
    /// As [`Trainer::set_batch`] and [`Trainer::step`].
    pub fn step<O: Optimizer<T>>(&mut self, inputs: &[T], targets: &[T], opt: &mut O) -> Result<T, Error> {
        let (n_in, n_out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
        let rows = inputs.len() / n_in.max(1);
        let first = rows.min(H);
        let (x0, x1) = inputs.split_at(first * n_in);
        let (t0, t1) = targets.split_at((first * n_out).min(targets.len()));
        let split = rows > first;
        if split {
            self.second.lock().map_err(|_| Error::NoGradients)?.set_batch(x1, t1)?;
            self.steps += 1;
            self.handoff.go.store(self.steps, Ordering::Release);
            self.worker.unpark();
        }
        let a = &mut *self.first;
        let la = a.set_batch(x0, t0).and_then(|()| a.compute_grads());
        // wait for the worker even when this half failed, so it never outlives the step
        let lb = split.then(|| {
            let finished = self.handoff.wait_for(&self.handoff.done, self.steps);
            let result = self.handoff.result.lock().ok().and_then(|mut r| r.take());
            result.filter(|_| finished).unwrap_or(Err(Error::NoGradients))
        });
        let mut loss = la?;
        let mut second = self.second.lock().map_err(|_| Error::NoGradients)?;
        if let Some(lb) = lb {
            let lb = lb?;
            let (w0, w1) = (
                T::from_usize(first) / T::from_usize(rows),
                T::from_usize(rows - first) / T::from_usize(rows),
            );
            let gb = second.graph().param_grads();
            for (g, &h) in a.graph_mut().param_grads_mut().iter_mut().zip(gb) {
                *g = w0 * *g + w1 * h;
            }
            loss = w0 * loss + w1 * lb;
        }
        let (params, grads) = a.graph_mut().params_and_grads();
        opt.step(params, grads)?;
        second.graph_mut().params_mut().copy_from_slice(a.graph().params());
        Ok(loss)
    }
}
