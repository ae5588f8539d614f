//! Data-parallel training on two threads: each thread holds a replica of
//! the static graph and takes half of every batch; the replicas' gradients
//! are combined (weighted by their rows, since each loss averages over its
//! own rows), one optimiser step updates the first replica, and its
//! parameters are copied to the second. The result equals one thread's at
//! the full batch size up to the order of float summation.

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
    ///
    /// # Errors
    /// As [`Trainer::set_batch`] and [`Trainer::step`].
    pub fn step<O: Optimizer<T>>(&mut self, inputs: &[T], targets: &[T], opt: &mut O) -> Result<T, Error>
    where
        T: Send,
    {
        let (n_in, n_out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
        let rows = inputs.len() / n_in.max(1);
        let first = rows.min(H);
        let (x0, x1) = inputs.split_at(first * n_in);
        let (t0, t1) = targets.split_at((first * n_out).min(targets.len()));
        let [a, b] = &mut self.replicas;
        let (la, lb) = std::thread::scope(|s| {
            let other = (rows > first).then(|| {
                s.spawn(move || -> Result<T, Error> {
                    b.set_batch(x1, t1)?;
                    b.compute_grads()
                })
            });
            let la = a.set_batch(x0, t0).and_then(|()| a.compute_grads());
            let lb = other.map(|h| h.join().unwrap_or(Err(Error::NoGradients)));
            (la, lb)
        });
        let mut loss = la?;
        if let Some(lb) = lb {
            let lb = lb?;
            let (w0, w1) = (
                T::from_usize(first) / T::from_usize(rows),
                T::from_usize(rows - first) / T::from_usize(rows),
            );
            let [a, b] = &mut self.replicas;
            let gb = b.graph().param_grads();
            for (g, &h) in a.graph_mut().param_grads_mut().iter_mut().zip(gb) {
                *g = w0 * *g + w1 * h;
            }
            loss = w0 * loss + w1 * lb;
        }
        let (params, grads) = self.replicas[0].graph_mut().params_and_grads();
        opt.step(params, grads)?;
        self.sync();
        Ok(loss)
    }
}
