//! `QLayer` (one int8 layer) and `QChain` (a tuple of them, run in turn
//! through two ping-pong buffers).

use core::fmt;

/// One int8 layer: `IN` int8 values in, `OUT` out. Lengths are checked by
/// the constructor and the network, so `forward` cannot fail.
pub trait QLayer: fmt::Display {
    /// Input values.
    const IN: usize;
    /// Output values.
    const OUT: usize;
    /// `i16` scratch values the layer needs (its input minus the zero point).
    const WIDE: usize = 0;
    /// Bytes of parameters (weights, biases, requantisation, tables) it reads.
    const FLASH: usize = 0;

    /// Computes `output` (`OUT` values) from `input` (`IN` values).
    fn forward(&self, input: &[i8], output: &mut [i8], wide: &mut [i16]);
}

/// A layer behind a pointer: what a chain iterates over.
trait Step {
    fn sizes(&self) -> (usize, usize);
    fn run(&self, input: &[i8], output: &mut [i8], wide: &mut [i16]);
}

impl<L: QLayer> Step for L {
    fn sizes(&self) -> (usize, usize) {
        (L::IN, L::OUT)
    }
    fn run(&self, input: &[i8], output: &mut [i8], wide: &mut [i16]) {
        self.forward(input, output, wide);
    }
}

/// A tuple of [`QLayer`]s, each fed the previous one's output.
///
/// Its activations live in one `i8` buffer of `ACT = 2 · HIDDEN + OUT`
/// values (two ping-pong halves for the hidden layers, then the output) and
/// one `i16` buffer of `WIDE` values.
pub trait QChain {
    /// Input values of the first layer.
    const IN: usize;
    /// Output values of the last layer.
    const OUT: usize;
    /// The widest hidden activation.
    const HIDDEN: usize;
    /// `i8` activation buffer: `2 · HIDDEN + OUT`.
    const ACT: usize = 2 * Self::HIDDEN + Self::OUT;
    /// `i16` scratch buffer.
    const WIDE: usize;
    /// Parameter bytes of every layer.
    const FLASH: usize;
    /// `true` when each layer's `IN` equals the previous layer's `OUT`.
    const CHAINED: bool;

    /// Runs the chain; returns the output (`OUT` values at the end of `act`).
    fn run<'b>(&self, input: &[i8], act: &'b mut [i8], wide: &mut [i16]) -> &'b [i8];

    /// Prints the layers as `Linear(256,128) -> Tanh -> …`.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

fn run_steps<'b>(steps: &[&dyn Step], hidden: usize, input: &[i8], act: &'b mut [i8], wide: &mut [i16]) -> &'b [i8] {
    let (ab, out) = act.split_at_mut(act.len().min(2 * hidden));
    let (mut a, mut b) = ab.split_at_mut(ab.len() / 2);
    let n = steps.len();
    for (i, step) in steps.iter().enumerate() {
        let (inputs, outputs) = step.sizes();
        let src: &[i8] = if i == 0 { input } else { a.get(..inputs).unwrap_or(&[]) };
        if i + 1 == n {
            step.run(src, out, wide);
        } else {
            step.run(src, b.get_mut(..outputs).unwrap_or(&mut []), wide);
            core::mem::swap(&mut a, &mut b);
        }
    }
    out
}

const fn max_of(xs: &[usize], skip_last: bool) -> usize {
    let n = if skip_last {
        xs.len().saturating_sub(1)
    } else {
        xs.len()
    };
    let (mut i, mut m) = (0, 0);
    while i < n {
        if xs[i] > m {
            m = xs[i];
        }
        i += 1;
    }
    m
}

const fn chained(ins: &[usize], outs: &[usize]) -> bool {
    let mut i = 1;
    while i < ins.len() {
        if ins[i] != outs[i - 1] {
            return false;
        }
        i += 1;
    }
    true
}

/// Implements `QChain` for one tuple length.
macro_rules! qchain {
    ($($A:ident $i:tt),+) => {
        impl<$($A: QLayer),+> QChain for ($($A,)+) {
            const IN: usize = [$($A::IN),+][0];
            const OUT: usize = { let o = [$($A::OUT),+]; o[o.len() - 1] };
            const HIDDEN: usize = max_of(&[$($A::OUT),+], true);
            const WIDE: usize = max_of(&[$($A::WIDE),+], false);
            const FLASH: usize = 0 $(+ $A::FLASH)+;
            const CHAINED: bool = chained(&[$($A::IN),+], &[$($A::OUT),+]);

            fn run<'b>(&self, input: &[i8], act: &'b mut [i8], wide: &mut [i16]) -> &'b [i8] {
                run_steps(&[$(&self.$i as &dyn Step),+], Self::HIDDEN, input, act, wide)
            }

            fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                $(
                    if $i > 0 {
                        f.write_str(" -> ")?;
                    }
                    fmt::Display::fmt(&self.$i, f)?;
                )+
                Ok(())
            }
        }
    };
}

qchain!(A0 0);
qchain!(A0 0, A1 1);
qchain!(A0 0, A1 1, A2 2);
qchain!(A0 0, A1 1, A2 2, A3 3);
qchain!(A0 0, A1 1, A2 2, A3 3, A4 4);
qchain!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5);
qchain!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6);
qchain!(A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7);
