//! Register-tiled matrix products for the dense and convolution ops, in safe
//! Rust written so the compiler vectorises it: fixed-size tiles of
//! accumulators, slices converted to arrays once per step (one bounds check,
//! none in the inner loop), and a fixed summation order, so results are the
//! same on every target.
//!
//! Three shapes cover a dense layer's forward and backward passes
//! (row-major throughout, `W` stored `[out][in]`):
//!
//! - [`nt`]: `Y[r][o] = b[o] + Σ_i X[r][i] W[o][i]` (forward);
//! - [`nn_acc`]: `GX[r][i] += Σ_o GY[r][o] W[o][i]` (gradient of the input);
//! - [`tn_acc`]: `GW[o][i] += Σ_r GY[r][o] X[r][i]` (gradient of the weight).
//!
//! The last two are sums of rank-1 updates run by the same micro-kernels
//! ([`rank1_finish`], [`bcast_tile`]) fed by two different iterators. The forward sums every
//! output in [`dot`]'s lane order, in one of three forms that give the same
//! bits: tiles of dot products (few rows: single-sample inference and
//! training), or, for a batch, panels of the weights or of the rows
//! transposed once ([`nt_packed`], [`nt_packed_rows`]) so that the inner loop
//! updates whole vectors of outputs and needs no horizontal reduction.
//!
//! Design on a desktop core. Keeping [`dot`]'s order means a multiply then
//! an add for every term (by default never a fused multiply-add), so a vector step
//! costs two instructions where SGEMM's costs one; on a core with separate
//! multiply and add pipes (Zen 4: two of each) the two can still run at the
//! fused rate, provided the loop carries little else. Hence the register
//! tiles hold as many vectors of sums as the registers allow without
//! spilling (16 of the 32 with AVX-512: 8 lanes × 2 rows × 16 outputs in
//! the forward panels, 16 rows × 1 vector in the rank-1 tiles of the
//! gradients, [`BCAST_TILES`], or 4 rows × 4 vectors where those do not
//! apply) and load few operands per product, each broadcast value read by
//! one multiply straight from memory (a broadcast of its own takes a slot
//! of the pipes the adds need on a Zen 4). Measured alternatives
//! (`cargo run --release --example kernel_bench dense`): three rows in a
//! forward panel spill and halve the speed; panels of output pairs
//! (`[8 lanes of output o | 8 lanes of output o + 1]` in one 512-bit
//! vector, each chunk of 8 inputs broadcast to both halves) need a
//! cross-lane broadcast per row and chunk, which LLVM does not emit from
//! portable code, and even written with AVX-512 intrinsics ran at 62–65
//! GFLOP/s against 75–82 for the transposed panels on a 256 → 256 layer
//! at batch 256, so the crate has no such path.
//!
//! One exception to the portable code: on x86-64 with AVX, the `f32` rows of
//! a batch-1 forward (`dot_row`, all of single-image inference) run in
//! intrinsics (the `avx` module beside this one, tested against the
//! portable form bit for bit), since the compiler's vectorisation of the
//! portable form changed with unrelated edits (2.3-4× slower in some
//! builds).
//!
//! Every step of every sum goes through [`madd`]: with the opt-in `fma`
//! feature it is one fused multiply-add, which halves a step's cost on a
//! core whose multiply and add share pipes (Intel's: 82 against 175 GFLOP/s
//! of peak, `kernel_bench peak`). The order stays the same, so every form
//! of a product still gives the same bits as the others and as the chips'
//! kernels built with the feature. Only the gradients' tiles change shape
//! there ([`TALL_TILES`]): once a step is one instruction, their operands'
//! loads, not the arithmetic, bound them.

use super::kernel::{LANES, dot, madd, madd_to, reduce_lanes};
use crate::float::{Float, saturate_all};
use crate::optim::{sgd_one, sgd_update};

/// Rows of a tile (the row splits in [`nn_acc`] and [`dot_tile`] are written for 4).
const MR: usize = 4;
/// Columns of a rank-1 tile: two vectors of `LANES`.
const CW: usize = 2 * LANES;
/// Outputs per dot-product tile in [`nt`] (written out for 4 in [`dot_tile`]).
const NR: usize = 4;
/// Rows of `x` per cache block in [`tn_acc`].
const ROW_BLOCK: usize = 256;

/// Whether the register tiles pay off: on targets with vector units and
/// many registers. Microcontrollers (a scalar FPU or soft float, 16 core
/// registers) run the plain loops' order through the kernels of
/// [`regs`](super::regs), which keep a dot product's lane sums in registers.
/// Both forms sum every output in the same order when the gradients start
/// at zero and a batch holds at most [`ROW_BLOCK`] rows, so a model trains
/// to the same bits on a desktop and on a chip. (The backward walk also
/// picks its way of clearing gradients by it.)
pub(crate) const TILED: bool = cfg!(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64"
));

/// `y[r][o] = b[o] + Σ_i x[r][i] w[o][i]` for `x` of `inp` columns and `y` of `out`.
#[inline(never)]
pub(crate) fn nt<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize) {
    if TILED {
        nt_tiled(x, w, b, y, inp, out);
    } else {
        super::regs::nt(x, super::Src::Vals(w), super::Src::Vals(b), y, inp, out);
    }
}

/// [`nt`] as plain loops: the sums every form gives.
#[cfg(test)]
fn nt_plain<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize) {
    for (xr, yr) in x.chunks_exact(inp).zip(y.chunks_exact_mut(out)) {
        for ((yo, wo), &bo) in yr.iter_mut().zip(w.chunks_exact(inp)).zip(b) {
            *yo = bo + dot(xr, wo);
        }
    }
}

/// `gx[r][i] += Σ_o gy[r][o] w[o][i]`.
#[inline(never)]
pub(crate) fn nn_acc<T: Float>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    if TILED {
        nn_acc_tiled::<T, false, false>(gy, w, gx, inp, out);
    } else {
        super::regs::nn_acc(gy, w, gx, inp, out);
    }
}

/// [`nn_acc`] onto a cleared `gx`, without clearing it or reading it
/// (the same bits: every element is finished as `0 + sum`, [`finish_one`]).
#[inline(never)]
pub(crate) fn nn_fresh<T: Float>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    if TILED {
        nn_acc_tiled::<T, true, false>(gy, w, gx, inp, out);
    } else {
        gx.fill(T::ZERO);
        super::regs::nn_acc(gy, w, gx, inp, out);
    }
}

/// [`nn_fresh`] with every element saturated ([`Float::saturate`]) once its
/// sum is complete: the bits of a clear, [`nn_acc`] and the tape's saturating
/// pass, in one write of `gx` (the first gradient a backward walk writes to
/// a layer's input). Host kernels only.
#[inline(never)]
pub(crate) fn nn_first<T: Float>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    nn_acc_tiled::<T, true, true>(gy, w, gx, inp, out);
}

/// [`nn_acc`] as plain loops: the order the register kernels of
/// [`regs`](super::regs) (microcontrollers) keep.
#[cfg(test)]
fn nn_acc_plain<T: Float>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    use super::kernel::axpy;
    for (gxr, gyr) in gx.chunks_exact_mut(inp).zip(gy.chunks_exact(out)) {
        for (&g, wo) in gyr.iter().zip(w.chunks_exact(inp)) {
            axpy(gxr, g, wo);
        }
    }
}

/// `gw[o][i] += Σ_r gy[r][o] x[r][i]`.
#[inline(never)]
pub(crate) fn tn_acc<T: Float>(gy: &[T], x: &[T], gw: &mut [T], inp: usize, out: usize) {
    if TILED {
        tn_acc_tiled(gy, x, gw, inp, out);
    } else {
        super::regs::tn_acc(gy, x, gw, inp, out);
    }
}

/// How a rank-1 kernel finishes each element of its output: added to what
/// the output holds, or (`fresh`) to zero without reading it, as if the
/// output had been cleared first; and `saturate`d ([`Float::saturate`]) as
/// the tape does after every op. Either way the bits equal a clear, the
/// plain accumulation and a separate saturating pass, without those passes
/// over memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Finish {
    /// Start from zero: the output's previous contents are neither read nor kept.
    pub fresh: bool,
    /// Saturate every element once its sum is complete.
    pub saturate: bool,
}

/// `base + sum`, saturated when `SAT`, where `base` is `T::ZERO` when `FRESH`
/// (never the output's own `-0.0`: a cleared output holds `+0.0`, and
/// `+0.0 + sum` is what the plain path computes) and else `c`. The modes are
/// constants so that each kernel is compiled for its own and keeps its sums
/// in registers.
#[inline(always)]
fn finish_one<T: Float, const FRESH: bool, const SAT: bool>(c: T, sum: T) -> T {
    let v = if FRESH { T::ZERO } else { c } + sum;
    if SAT { v.saturate() } else { v }
}

/// Batches up to this many rows take [`tn_finish`]'s one-pass form; larger
/// ones the plain kernel and separate passes (measured on a 256 → 256 layer:
/// at 256 rows the one-pass form ran 4 % slower, at 32 and at 1 faster).
const FINISH_ROWS: usize = 64;
const _: () = assert!(FINISH_ROWS <= ROW_BLOCK, "a one-pass batch is one block");

/// [`tn_acc`] on a tiled target, finishing every element of `gw` as `finish`
/// says (a dense layer's weight gradient, written in one pass for a small
/// batch); with `step`, the weight `w` then takes its SGD update from the
/// finished gradient ([`sgd_update`]); for a single row in the same loop,
/// each weight as its gradient is stored (13 % off the MLP's batch-1 step
/// against a second loop over each row).
#[inline(never)]
pub(crate) fn tn_finish<T: Float>(
    gy: &[T],
    x: &[T],
    gw: &mut [T],
    inp: usize,
    out: usize,
    finish: Finish,
    step: Option<SgdStep<'_, T>>,
) {
    if finish.fresh && gy.len() == out {
        // One row and a fresh output: each element is `0 + gy[o] x[i]` (the
        // tiles' `0 + (0 + gy[o] x[i])`, the same value), row by row, with no
        // tile of sums to hold; with a step, each weight is updated from the
        // gradient just stored, still in a register.
        let one = |a: T, xi: T| {
            let v = madd(T::ZERO, a, xi);
            if finish.saturate { v.saturate() } else { v }
        };
        match step {
            Some(SgdStep { lr, w }) => {
                for ((gwr, &a), wr) in gw.chunks_exact_mut(inp).zip(gy).zip(w.chunks_exact_mut(inp)) {
                    for ((g, &xi), p) in gwr.iter_mut().zip(x).zip(wr.iter_mut()) {
                        let v = one(a, xi);
                        *g = v;
                        *p = sgd_one(*p, v, lr);
                    }
                }
            }
            None => {
                for (gwr, &a) in gw.chunks_exact_mut(inp).zip(gy) {
                    for (g, &xi) in gwr.iter_mut().zip(x) {
                        *g = one(a, xi);
                    }
                }
            }
        }
        return;
    }
    if gy.len() > FINISH_ROWS * out {
        // Many rows: the extra passes cost little next to the products, and the
        // plain kernel keeps its registers for them.
        if finish.fresh {
            gw.fill(T::ZERO);
        }
        tn_acc_tiled(gy, x, gw, inp, out);
        if finish.saturate {
            saturate_all(gw);
        }
    } else {
        // One block of rows (`FINISH_ROWS ≤ ROW_BLOCK`), finished as it is stored.
        match (finish.fresh, finish.saturate) {
            (false, false) => tn_acc_block::<T, false, false>(gy, x, gw, inp, out, true),
            (true, false) => tn_acc_block::<T, true, false>(gy, x, gw, inp, out, true),
            (false, true) => tn_acc_block::<T, false, true>(gy, x, gw, inp, out, true),
            (true, true) => tn_acc_block::<T, true, true>(gy, x, gw, inp, out, true),
        }
    }
    if let Some(SgdStep { lr, w }) = step {
        sgd_update(w, gw, lr);
    }
}

/// The SGD update [`tn_finish`] applies to a weight once its gradient is
/// finished: the learning rate and the weight.
pub(crate) struct SgdStep<'w, T> {
    /// Learning rate.
    pub lr: T,
    /// The weight, `[out][in]` like its gradient.
    pub w: &'w mut [T],
}

/// [`tn_acc`] as plain loops: the order the register kernels of
/// [`regs`](super::regs) (microcontrollers) keep.
#[cfg(test)]
fn tn_acc_plain<T: Float>(gy: &[T], x: &[T], gw: &mut [T], inp: usize, out: usize) {
    use super::kernel::axpy;
    for (xr, gyr) in x.chunks_exact(inp).zip(gy.chunks_exact(out)) {
        for (&g, gwo) in gyr.iter().zip(gw.chunks_exact_mut(inp)) {
            axpy(gwo, g, xr);
        }
    }
}

/// [`nt`] on a tiled target, in whichever form a simple cost model says is
/// cheapest (see [`nt_plan`]). Every form sums in [`dot`]'s order, so the
/// choice never changes a result.
fn nt_tiled<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize) {
    let rows = x.len().checked_div(inp).unwrap_or(0);
    match nt_plan(rows, inp, out) {
        NtPlan::Dots => nt_dots(x, w, b, y, inp, out, 0),
        NtPlan::PackWeights => {
            nt_packed(x, w, b, y, inp, out);
            let done = out / NP * NP;
            if done < out {
                nt_dots(x, w, b, y, inp, out, done);
            }
        }
        NtPlan::PackRows => {
            nt_packed_rows(x, w, b, y, inp, out);
            let done = rows / NP * NP;
            let (x, y) = (
                x.get(done * inp..).unwrap_or(&[]),
                y.get_mut(done * out..).unwrap_or(&mut []),
            );
            nt_dots(x, w, b, y, inp, out, 0);
        }
    }
}

/// The three forms of [`nt`] on a tiled target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NtPlan {
    /// Tiles of dot products ([`nt_dots`]).
    Dots,
    /// Panels of the weights ([`nt_packed`]).
    PackWeights,
    /// Panels of the rows ([`nt_packed_rows`]).
    PackRows,
}

/// Cheapest form for `rows × inp → out`, in sixteenths of a cycle as
/// measured on a desktop core: a multiply-add takes about 2 in a dot-product
/// tile and 1 in a packed tile, a dot-product tile's horizontal reduction
/// about 160 per output (what makes short rows, e.g. 64 → 10, slow in dot
/// products), and moving one value into or out of a panel about 24 (a
/// transposition is scalar code).
fn nt_plan(rows: usize, inp: usize, out: usize) -> NtPlan {
    let macs = rows * inp * out;
    let dots = 2 * macs + 160 * rows * out;
    let by_weights = (out >= NP).then(|| macs + 24 * out * inp);
    let by_rows = (rows >= NP).then(|| macs + 24 * rows * (inp + out));
    match (by_weights, by_rows) {
        _ if inp > K_PACK => NtPlan::Dots,
        (Some(w), r) if w < dots && r.is_none_or(|r| w <= r) => NtPlan::PackWeights,
        (_, Some(r)) if r < dots => NtPlan::PackRows,
        _ => NtPlan::Dots,
    }
}

/// [`nt_packed`] with the roles of `x` and `w` swapped, for the rows in whole
/// panels of [`NP`]: each panel of rows is transposed once, and every tile
/// holds [`MP`] outputs of [`NP`] rows (written back transposed). Cheaper
/// than packing the weights when the batch is smaller than the layer.
fn nt_packed_rows<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize) {
    let mut panel = Panel::new();
    let panel = &mut panel.0;
    for (xp, yp) in x.chunks_exact(NP * inp).zip(y.chunks_exact_mut(NP * out)) {
        transpose_panel(xp, panel, inp);
        let panel = panel.get(..inp).unwrap_or(&[]);
        let mut ws = w.chunks_exact(MP * inp);
        let mut o = 0;
        for wb in &mut ws {
            let wr: [&[T]; MP] = core::array::from_fn(|t| wb.get(t * inp..(t + 1) * inp).unwrap_or(&[]));
            store_transposed(yp, &packed_tile(wr, panel), b, o, out);
            o += MP;
        }
        for wr in ws.remainder().chunks_exact(inp) {
            store_transposed(yp, &packed_tile([wr], panel), b, o, out);
            o += 1;
        }
    }
}

/// `y[j][o + t] = b[o + t] + sums[t][j]`.
#[inline(always)]
fn store_transposed<T: Float, const M: usize>(y: &mut [T], sums: &[[T; NP]; M], b: &[T], o: usize, out: usize) {
    for (t, s) in sums.iter().enumerate() {
        let bo = b.get(o + t).copied().unwrap_or(T::ZERO);
        for (yr, &sv) in y.chunks_exact_mut(out).zip(s) {
            if let Some(yv) = yr.get_mut(o + t) {
                *yv = bo + sv;
            }
        }
    }
}

/// Outputs (in [`nt_packed_rows`], rows) per panel: two vectors of `LANES`.
pub(crate) const NP: usize = CW;
/// Rows (in [`nt_packed_rows`], outputs) per register tile: `MP × LANES`
/// vectors of accumulators (three rows make the compiler spill).
const MP: usize = 2;
/// Longest input row [`nt_packed`] takes (its panel, `NP × K_PACK` values, lives on the stack).
pub(crate) const K_PACK: usize = 512;

/// `y[r][o] = b[o] + Σ_i x[r][i] w[o][i]` for the outputs in whole panels of
/// [`NP`]: each panel of `w` is transposed once to `[in][NP]`, so that the
/// inner loop broadcasts one input and updates [`NP`] outputs at a time. Every
/// output keeps the [`LANES`] partial sums of [`dot`] (input `i` goes to lane
/// `i mod LANES`) as vectors over the panel, and [`reduce_lanes`]' tree is
/// then a handful of vector additions: the same sums in the same order as the
/// dot-product form, without a horizontal reduction per output.
fn nt_packed<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize) {
    let mut panel = Panel::new();
    let panel = &mut panel.0;
    for (p, (wp, bp)) in w.chunks_exact(NP * inp).zip(b.chunks_exact(NP)).enumerate() {
        transpose_panel(wp, panel, inp);
        let panel = panel.get(..inp).unwrap_or(&[]);
        let bias: [T; NP] = bp.try_into().unwrap_or([T::ZERO; NP]);
        panel_rows(x, panel, &bias, p * NP, y, inp, out);
    }
}

/// Rows of [`NP`] values in a [`PackedWeights`]: 16 384 values, the panels
/// of, for example, 32 outputs of 400 inputs (a 5 × 5 convolution over 16
/// channels).
const PACK_ROWS: usize = 1024;

/// Weights transposed once into the panels of [`nt_packed`], for many
/// products with the same weights (a convolution's blocks of positions):
/// [`nt`] would transpose them, or the rows, at every call. Only the outputs
/// in whole panels are packed; [`PackedWeights::nt`] takes the others by dot
/// products. The sums are [`nt`]'s, bit for bit.
#[repr(align(64))]
pub(crate) struct PackedWeights<T> {
    panels: [[T; NP]; PACK_ROWS],
    inp: usize,
    out: usize,
}

impl<T: Float> PackedWeights<T> {
    /// Packs `w` (`out × inp`), or `None` when its panels do not fit or the
    /// target has no register tiles (then [`nt`] is the way).
    pub(crate) fn new(w: &[T], inp: usize, out: usize) -> Option<Self> {
        let whole = out / NP;
        if !TILED || whole == 0 || inp == 0 || inp > K_PACK || whole * inp > PACK_ROWS || w.len() < out * inp {
            return None;
        }
        let mut packed = Self {
            panels: [[T::ZERO; NP]; PACK_ROWS],
            inp,
            out,
        };
        for (wp, panel) in w.chunks_exact(NP * inp).zip(packed.panels.chunks_exact_mut(inp)) {
            transpose_panel(wp, panel, inp);
        }
        Some(packed)
    }

    /// [`nt`]`(x, w, b, y, inp, out)` with `w` the weights packed here.
    pub(crate) fn nt(&self, x: &[T], w: &[T], b: &[T], y: &mut [T]) {
        let (inp, out) = (self.inp, self.out);
        for (p, (panel, bp)) in self
            .panels
            .chunks_exact(inp)
            .zip(b.chunks_exact(NP))
            .take(out / NP)
            .enumerate()
        {
            let bias: [T; NP] = bp.try_into().unwrap_or([T::ZERO; NP]);
            panel_rows(x, panel, &bias, p * NP, y, inp, out);
        }
        let done = out / NP * NP;
        if done < out {
            nt_dots(x, w, b, y, inp, out, done);
        }
    }
}

/// The outputs `col..col + NP` of every row of `x`, from their transposed panel.
fn panel_rows<T: Float>(x: &[T], panel: &[[T; NP]], bias: &[T; NP], col: usize, y: &mut [T], inp: usize, out: usize) {
    let mut xs = x.chunks_exact(MP * inp);
    let mut ys = y.chunks_exact_mut(MP * out);
    for (xb, yb) in (&mut xs).zip(&mut ys) {
        let xr: [&[T]; MP] = core::array::from_fn(|t| xb.get(t * inp..(t + 1) * inp).unwrap_or(&[]));
        for (t, s) in packed_tile(xr, panel).iter().enumerate() {
            store_biased(yb.get_mut(t * out + col..t * out + col + NP), bias, s);
        }
    }
    for (xr, yr) in xs
        .remainder()
        .chunks_exact(inp)
        .zip(ys.into_remainder().chunks_exact_mut(out))
    {
        let [s] = packed_tile([xr], panel);
        store_biased(yr.get_mut(col..col + NP), bias, &s);
    }
}

/// `y[j] = bias[j] + sums[j]` for one row's panel of outputs.
#[inline(always)]
fn store_biased<T: Float>(y: Option<&mut [T]>, bias: &[T; NP], sums: &[T; NP]) {
    for ((yv, &bv), &sv) in y.unwrap_or(&mut []).iter_mut().zip(bias).zip(sums) {
        *yv = bv + sv;
    }
}

/// `panel[i][j] = w[j][i]` for the [`NP`] rows of `w` (weights or inputs,
/// each `inp` long), in 4 × 4 blocks. Portable code gives scalar moves here
/// (about 1.2–1.5 cycles per value on a desktop core), which [`nt_plan`]
/// charges for.
#[inline(never)]
fn transpose_panel<T: Float>(w: &[T], panel: &mut [[T; NP]], inp: usize) {
    const Q: usize = 4;
    let rows: [&[T]; NP] = core::array::from_fn(|j| w.get(j * inp..(j + 1) * inp).unwrap_or(&[]));
    let quads = rows.map(|r| r.as_chunks::<Q>().0);
    let (pq, _) = panel.as_chunks_mut::<Q>();
    for (c, block) in pq.iter_mut().enumerate().take(inp / Q) {
        for g in 0..NP / Q {
            let q: [[T; Q]; Q] = core::array::from_fn(|a| quads[g * Q + a].get(c).copied().unwrap_or([T::ZERO; Q]));
            for (l, row) in block.iter_mut().enumerate() {
                for (a, qa) in q.iter().enumerate() {
                    row[g * Q + a] = qa[l];
                }
            }
        }
    }
    let done = inp / Q * Q;
    for (j, r) in rows.iter().enumerate() {
        for (pk, &v) in panel.iter_mut().zip(r.iter()).skip(done) {
            pk[j] = v;
        }
    }
}

/// A transposed panel (of weights or of rows), aligned so that no vector load
/// of it straddles two cache lines (misaligned, the loop runs several times
/// slower).
#[repr(align(64))]
pub(crate) struct Panel<T>(pub(crate) [[T; NP]; K_PACK]);

impl<T: Float> Panel<T> {
    /// A panel of zeros.
    pub(crate) fn new() -> Self {
        Panel([[T::ZERO; NP]; K_PACK])
    }
}

/// `y[o·stride + col + j] = b[o] + Σ_i w[o][i] panel[i][j]` for every row
/// `o` of `w` (`inp` long) and the [`NP`] columns of a panel of rows
/// already transposed to `[inp][NP]` (a convolution's patches of [`NP`]
/// positions, gathered that way): [`nt_packed_rows`]' tiles, each sum in
/// [`dot`]'s lane order, with the outputs stored as rows of [`NP`] at a
/// stride (the convolution's `[c_out][positions]`), not transposed back.
pub(crate) fn nt_panel_cols<T: Float>(
    w: &[T],
    panel: &[[T; NP]],
    b: &[T],
    y: &mut [T],
    inp: usize,
    stride: usize,
    col: usize,
) {
    let store = |y: &mut [T], o: usize, sums: &[T; NP]| {
        let bo = b.get(o).copied().unwrap_or(T::ZERO);
        if let Some(yr) = y.get_mut(o * stride + col..).and_then(|y| y.first_chunk_mut::<NP>()) {
            for (yv, &sv) in yr.iter_mut().zip(sums) {
                *yv = bo + sv;
            }
        }
    };
    let mut ws = w.chunks_exact(MP * inp);
    let mut o = 0;
    for wb in &mut ws {
        let wr: [&[T]; MP] = core::array::from_fn(|t| wb.get(t * inp..(t + 1) * inp).unwrap_or(&[]));
        for (t, sums) in packed_tile(wr, panel).iter().enumerate() {
            store(y, o + t, sums);
        }
        o += MP;
    }
    for wr in ws.remainder().chunks_exact(inp) {
        let [sums] = packed_tile([wr], panel);
        store(y, o, &sums);
        o += 1;
    }
}

/// The `M × NP` sums `Σ_i x[t][i] panel[i][j]`, each in [`dot`]'s order.
#[inline(always)]
fn packed_tile<T: Float, const M: usize>(x: [&[T]; M], panel: &[[T; NP]]) -> [[T; NP]; M] {
    let (pc, ptail) = panel.as_chunks::<LANES>();
    // Every row cut to the panel's chunks (a row is as long as the panel),
    // so that the loop indexes them without a check the compiler keeps.
    let chunks = pc.len();
    let zeros = [[T::ZERO; LANES]; 0];
    let xc = x.map(|r| r.as_chunks::<LANES>().0.get(..chunks).unwrap_or(&zeros));
    let z = [[T::ZERO; NP]; M];
    let (mut s0, mut s1, mut s2, mut s3, mut s4, mut s5, mut s6, mut s7) = (z, z, z, z, z, z, z, z);
    if xc.iter().any(|r| r.len() != chunks) {
        return [[T::ZERO; NP]; M];
    }
    for (c, [p0, p1, p2, p3, p4, p5, p6, p7]) in pc.iter().enumerate() {
        let xv: [&[T; LANES]; M] = core::array::from_fn(|t| &xc[t][c]);
        rank1_step(&mut s0, &xv, 0, p0);
        rank1_step(&mut s1, &xv, 1, p1);
        rank1_step(&mut s2, &xv, 2, p2);
        rank1_step(&mut s3, &xv, 3, p3);
        rank1_step(&mut s4, &xv, 4, p4);
        rank1_step(&mut s5, &xv, 5, p5);
        rank1_step(&mut s6, &xv, 6, p6);
        rank1_step(&mut s7, &xv, 7, p7);
    }
    let split = pc.len() * LANES;
    let mut sums = [[T::ZERO; NP]; M];
    for (t, (sum, xr)) in sums.iter_mut().zip(&x).enumerate() {
        let mut tail = [T::ZERO; NP];
        for (&xv, pk) in xr.get(split..).unwrap_or(&[]).iter().zip(ptail) {
            for j in 0..NP {
                madd_to(&mut tail[j], xv, pk[j]);
            }
        }
        for j in 0..NP {
            sum[j] = ((s0[t][j] + s4[t][j]) + (s1[t][j] + s5[t][j]))
                + ((s2[t][j] + s6[t][j]) + (s3[t][j] + s7[t][j]))
                + tail[j];
        }
    }
    sums
}

/// `acc[t][j] += x[t][l] · b[j]`.
#[inline(always)]
fn rank1_step<T: Float, const M: usize>(acc: &mut [[T; NP]; M], x: &[&[T; LANES]; M], l: usize, b: &[T; NP]) {
    for (acc_t, x_t) in acc.iter_mut().zip(x) {
        let a = x_t[l];
        for j in 0..NP {
            madd_to(&mut acc_t[j], a, b[j]);
        }
    }
}

/// [`nt`] for the outputs from `first` on, in register tiles of [`MR`] rows by [`NR`] outputs.
fn nt_dots<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize, first: usize) {
    let w = w.get(first * inp..).unwrap_or(&[]);
    let mut xs = x.chunks_exact(MR * inp);
    let mut ys = y.chunks_exact_mut(MR * out);
    for (xb, yb) in (&mut xs).zip(&mut ys) {
        let xr: [&[T]; MR] = core::array::from_fn(|t| xb.get(t * inp..(t + 1) * inp).unwrap_or(&[]));
        let mut wo = w.chunks_exact(NR * inp);
        let mut o = first;
        for wb in &mut wo {
            let wr: [&[T]; NR] = core::array::from_fn(|t| wb.get(t * inp..(t + 1) * inp).unwrap_or(&[]));
            let sums = dot_tile(xr, wr);
            for (t, row) in sums.iter().enumerate() {
                for (u, &s) in row.iter().enumerate() {
                    if let (Some(yv), Some(&bv)) = (yb.get_mut(t * out + o + u), b.get(o + u)) {
                        *yv = bv + s;
                    }
                }
            }
            o += NR;
        }
        for (u, wr) in wo.remainder().chunks_exact(inp).enumerate() {
            for (t, xrow) in xr.iter().enumerate() {
                if let (Some(yv), Some(&bv)) = (yb.get_mut(t * out + o + u), b.get(o + u)) {
                    *yv = bv + dot(xrow, wr);
                }
            }
        }
    }
    for (xr, yr) in xs
        .remainder()
        .chunks_exact(inp)
        .zip(ys.into_remainder().chunks_exact_mut(out))
    {
        let (yr, br) = (yr.get_mut(first..).unwrap_or(&mut []), b.get(first..).unwrap_or(&[]));
        let mut ws = w.chunks_exact(NR1 * inp);
        let mut ys = yr.chunks_exact_mut(NR1);
        let mut bs = br.chunks_exact(NR1);
        for ((wb, yb), bb) in (&mut ws).zip(&mut ys).zip(&mut bs) {
            let wr: [&[T]; NR1] = core::array::from_fn(|u| wb.get(u * inp..(u + 1) * inp).unwrap_or(&[]));
            let sums = dot_row(xr, wr);
            for ((yv, &bv), s) in yb.iter_mut().zip(bb).zip(sums) {
                *yv = bv + s;
            }
        }
        let rest = ys.into_remainder().iter_mut().zip(bs.remainder());
        for ((yo, &bo), wo) in rest.zip(ws.remainder().chunks_exact(inp)) {
            *yo = bo + dot(xr, wo);
        }
    }
}

/// Outputs per tile of [`dot_row`].
const NR1: usize = 8;

/// [`NR1`] dot products of one row with [`NR1`] rows, each in [`dot`]'s lane
/// order (one load of the row serves [`NR1`] independent sums).
#[inline(always)]
fn dot_row<T: Float>(x: &[T], w: [&[T]; NR1]) -> [T; NR1] {
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx",
        any(not(feature = "fma"), target_feature = "fma")
    ))]
    if let Some(sums) = super::avx::dot_row_of(x, w) {
        return sums;
    }
    dot_row_portable(x, w)
}

/// [`dot_row`] in portable Rust (every target, `f64`, and the reference of
/// the AVX form's tests).
#[inline(always)]
fn dot_row_portable<T: Float>(x: &[T], w: [&[T]; NR1]) -> [T; NR1] {
    let xc = x.as_chunks::<LANES>().0;
    let [w0, w1, w2, w3, w4, w5, w6, w7] = w.map(|r| r.as_chunks::<LANES>().0);
    // One zip of the nine rows' chunks: the loop runs to the shortest, with
    // no index left to check (indexing each row kept a bounds check per row
    // and step in some builds, and this loop is the whole of inference at
    // batch 1).
    let rows = xc
        .iter()
        .zip(w0)
        .zip(w1)
        .zip(w2)
        .zip(w3)
        .zip(w4)
        .zip(w5)
        .zip(w6)
        .zip(w7);
    let mut acc = [[T::ZERO; LANES]; NR1];
    let mut n = 0;
    for ((((((((xv, v0), v1), v2), v3), v4), v5), v6), v7) in rows {
        let wv = [v0, v1, v2, v3, v4, v5, v6, v7];
        acc = core::array::from_fn(|u| mul_add(acc[u], xv, wv[u]));
        n += 1;
    }
    let split = n * LANES;
    let mut sums = [T::ZERO; NR1];
    for ((s, a), wr) in sums.iter_mut().zip(acc).zip(w) {
        let tail = x.get(split..).unwrap_or(&[]).iter().zip(wr.get(split..).unwrap_or(&[]));
        *s = reduce_lanes(a, tail.fold(T::ZERO, |s, (&p, &q)| madd(s, p, q)));
    }
    sums
}

/// `MR × NR` dot products of equal-length rows, each in [`dot`]'s lane order.
#[inline]
fn dot_tile<T: Float>(x: [&[T]; MR], w: [&[T]; NR]) -> [[T; NR]; MR] {
    let [x0, x1, x2, x3] = x.map(|r| r.as_chunks::<LANES>().0);
    let [w0, w1, w2, w3] = w.map(|r| r.as_chunks::<LANES>().0);
    let z = [[T::ZERO; LANES]; NR];
    let (mut c0, mut c1, mut c2, mut c3) = (z, z, z, z);
    let rows = x0.iter().zip(x1).zip(x2).zip(x3);
    let cols = w0.iter().zip(w1).zip(w2).zip(w3);
    for ((((a0, a1), a2), a3), (((b0, b1), b2), b3)) in rows.zip(cols) {
        let b = [b0, b1, b2, b3];
        c0 = core::array::from_fn(|u| mul_add(c0[u], a0, b[u]));
        c1 = core::array::from_fn(|u| mul_add(c1[u], a1, b[u]));
        c2 = core::array::from_fn(|u| mul_add(c2[u], a2, b[u]));
        c3 = core::array::from_fn(|u| mul_add(c3[u], a3, b[u]));
    }
    let acc = [c0, c1, c2, c3];
    let split = x0.len().min(w0.len()) * LANES;
    core::array::from_fn(|t| {
        core::array::from_fn(|u| {
            let tail = x[t]
                .get(split..)
                .unwrap_or(&[])
                .iter()
                .zip(w[u].get(split..).unwrap_or(&[]));
            reduce_lanes(acc[t][u], tail.fold(T::ZERO, |s, (&p, &q)| madd(s, p, q)))
        })
    })
}

/// `acc + a · b`, lane by lane.
#[inline(always)]
fn mul_add<T: Float>(acc: [T; LANES], a: &[T; LANES], b: &[T; LANES]) -> [T; LANES] {
    core::array::from_fn(|l| madd(acc[l], a[l], b[l]))
}

/// `gx[r][i] += Σ_o gy[r][o] w[o][i]`: rows of `gx` in tiles of [`MR`] (or,
/// where [`TALL_TILES`] says, [`TALL`] rows by [`TALL_W`] columns first),
/// each step a rank-1 update by one row of `w`.
fn nn_acc_tiled<T: Float, const FRESH: bool, const SAT: bool>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    let (first, tall) = if TALL_TILES && core::mem::size_of::<T>() <= 4 && out >= TALL_STEPS {
        (inp / TALL_W * TALL_W, gx.len() / (TALL * inp) * TALL)
    } else if BCAST_TILES && core::mem::size_of::<T>() == 4 {
        (inp / CW * CW, gx.len().checked_div(BR * inp).unwrap_or(0) * BR)
    } else {
        (0, 0)
    };
    if tall > 0 && !TALL_TILES {
        let (gy, gx) = (
            gy.get(..tall * out).unwrap_or(&[]),
            gx.get_mut(..tall * inp).unwrap_or(&mut []),
        );
        // Tiles of rows outside, so that their `BR × out` values of `gy` stay
        // in the L1 cache while the tiles sweep the columns of `w`.
        for (gyb, gxb) in gy.chunks_exact(BR * out).zip(gx.chunks_exact_mut(BR * inp)) {
            let rows: [&[T]; BR] = core::array::from_fn(|t| gyb.get(t * out..(t + 1) * out).unwrap_or(&[]));
            // (every row `out` long, so that the compiler drops the checks of
            // `Strided::at`, as a dominating condition)
            if rows.iter().any(|r| r.len() != out) {
                continue;
            }
            for col in (0..first).step_by(CW) {
                let steps = w
                    .chunks_exact(inp)
                    .take(out)
                    .enumerate()
                    .map(|(o, wr)| (Strided { rows: &rows, at: o }, wr.get(col..col + CW)));
                bcast_tile::<T, _, FRESH, SAT>(steps, gxb, inp, col);
            }
        }
    } else if tall > 0 {
        let (gy, gx) = (
            gy.get(..tall * out).unwrap_or(&[]),
            gx.get_mut(..tall * inp).unwrap_or(&mut []),
        );
        // Column blocks outside, so that a block of `w` (`out × TALL_W`) stays
        // in the L1 cache while every tile of rows sweeps it.
        for col in (0..first).step_by(TALL_W) {
            for (gyb, gxb) in gy.chunks_exact(TALL * out).zip(gx.chunks_exact_mut(TALL * inp)) {
                let r: [&[T]; TALL] = core::array::from_fn(|t| gyb.get(t * out..(t + 1) * out).unwrap_or(&[]));
                let column = r[0]
                    .iter()
                    .zip(r[1])
                    .zip(r[2])
                    .zip(r[3])
                    .zip(r[4])
                    .zip(r[5])
                    .zip(r[6])
                    .zip(r[7])
                    .map(|(((((((&a, &b), &c), &d), &e), &f), &g), &h)| [a, b, c, d, e, f, g, h]);
                let steps = column
                    .zip(w.chunks_exact(inp))
                    .map(|(g, wr)| (g, wr.get(col..col + TALL_W)));
                tall_tile::<T, FRESH, SAT>(steps, gxb, inp, col);
            }
        }
    }
    let mut gys = gy.chunks_exact(MR * out);
    let mut gxs = gx.chunks_exact_mut(MR * inp);
    let mut row = 0;
    for (gyb, gxb) in (&mut gys).zip(&mut gxs) {
        let (r0, rest) = gyb.split_at(out);
        let (r1, rest) = rest.split_at(out);
        let (r2, r3) = rest.split_at(out);
        // step o: the MR values gy[r][o] and the row w[o]
        let column = r0
            .iter()
            .zip(r1)
            .zip(r2)
            .zip(r3)
            .map(|(((&a, &b), &c), &d)| [a, b, c, d]);
        let steps = column.zip(w.chunks_exact(inp)).map(|(g, wr)| (g, Some(wr)));
        let from = if row < tall { first } else { 0 };
        rank1_finish::<T, MR, FRESH, SAT>(steps, gxb, inp, from);
        row += MR;
    }
    for (gyr, gxr) in gys
        .remainder()
        .chunks_exact(out)
        .zip(gxs.into_remainder().chunks_exact_mut(inp))
    {
        let steps = gyr.iter().zip(w.chunks_exact(inp)).map(|(&g, wr)| ([g], Some(wr)));
        rank1_finish::<T, 1, FRESH, SAT>(steps, gxr, inp, 0);
    }
}

/// `gw[o][i] += Σ_r gy[r][o] x[r][i]`: rows of `gw` in tiles of [`MR`], each
/// step a rank-1 update by one row of `x`.
fn tn_acc_tiled<T: Float>(gy: &[T], x: &[T], gw: &mut [T], inp: usize, out: usize) {
    // Blocks of rows, so that a block of `x` stays in cache while every tile of `gw` sweeps it.
    let whole = gy.len() <= ROW_BLOCK * out;
    for (gy, x) in gy.chunks(ROW_BLOCK * out).zip(x.chunks(ROW_BLOCK * inp)) {
        tn_acc_block::<T, false, false>(gy, x, gw, inp, out, whole);
    }
}

/// One block of rows of [`tn_acc`], finished as [`finish_one`] says: rows of
/// `gw` in tiles of [`MR`] (or, where [`TALL_TILES`] says, [`TALL`] rows by
/// [`TALL_W`] columns first; where [`BCAST_TILES`] says and the block is the
/// `whole` product, [`BR`] rows by [`CW`] columns first).
fn tn_acc_block<T: Float, const FRESH: bool, const SAT: bool>(
    gy: &[T],
    x: &[T],
    gw: &mut [T],
    inp: usize,
    out: usize,
    whole: bool,
) {
    // (Tall tiles only for the blocks of a large batch: over a one-pass
    // batch, [`tn_finish`]'s, they measured slower.)
    // (Broadcast tiles only for a whole product: over the blocks of a larger
    // batch, whose `x` comes from beyond the L2 cache a column of lines at a
    // time, they made the MLP's step at 7291 rows 17 % slower.)
    let (first, tall) = if TALL_TILES && core::mem::size_of::<T>() <= 4 && gy.len() > FINISH_ROWS * out {
        (inp / TALL_W * TALL_W, out / TALL * TALL)
    } else if BCAST_TILES && core::mem::size_of::<T>() == 4 && whole {
        (inp / CW * CW, out / BR * BR)
    } else {
        (0, 0)
    };
    if tall > 0 && !TALL_TILES {
        // Tiles of `gw`'s rows outside: each step's `BR` values of `gy` are one
        // run of a row, and a tile's `BR` columns of `gy` stay in the L1 cache
        // while the tiles sweep the columns of `x`.
        let gw_tall = gw.get_mut(..tall * inp).unwrap_or(&mut []);
        for (t, gwb) in gw_tall.chunks_exact_mut(BR * inp).enumerate() {
            let o = t * BR;
            for col in (0..first).step_by(CW) {
                let steps = gy.chunks_exact(out).zip(x.chunks_exact(inp)).filter_map(|(gyr, xr)| {
                    let a = gyr.get(o..o + BR).and_then(|g| <&[T; BR]>::try_from(g).ok())?;
                    Some((a, xr.get(col..col + CW)))
                });
                bcast_tile::<T, _, FRESH, SAT>(steps, gwb, inp, col);
            }
        }
    }
    // Tiles of `gw` outside and the gathered columns of `gy` in L1: each
    // step reads 2 vectors of a row of `x` for 16 multiply-adds (a wide
    // tile reads 4 for 16), so `x` streams from L2 half as often.
    if tall > 0 && TALL_TILES {
        // (the gathered columns only when there are tall tiles: 8 KB to clear)
        let mut column = [[T::ZERO; TALL]; ROW_BLOCK];
        let gw_tall = gw.get_mut(..tall * inp).unwrap_or(&mut []);
        for (t, gwb) in gw_tall.chunks_exact_mut(TALL * inp).enumerate() {
            let o = t * TALL;
            for (g, gyr) in column.iter_mut().zip(gy.chunks_exact(out)) {
                *g = gyr
                    .get(o..o + TALL)
                    .and_then(|g| <[T; TALL]>::try_from(g).ok())
                    .unwrap_or([T::ZERO; TALL]);
            }
            for col in (0..first).step_by(TALL_W) {
                let steps = column
                    .iter()
                    .zip(x.chunks_exact(inp))
                    .map(|(&g, xr)| (g, xr.get(col..col + TALL_W)));
                tall_tile::<T, FRESH, SAT>(steps, gwb, inp, col);
            }
        }
    }
    let mut gws = gw.chunks_exact_mut(MR * inp);
    let mut o = 0;
    // The tile's MR columns of gy, gathered once per block (not once per column tile).
    let mut column = [[T::ZERO; MR]; ROW_BLOCK];
    for gwb in &mut gws {
        for (g, gyr) in column.iter_mut().zip(gy.chunks_exact(out)) {
            *g = gyr
                .get(o..o + MR)
                .and_then(|g| <[T; MR]>::try_from(g).ok())
                .unwrap_or([T::ZERO; MR]);
        }
        let steps = column.iter().zip(x.chunks_exact(inp)).map(|(&g, xr)| (g, Some(xr)));
        let from = if o < tall { first } else { 0 };
        rank1_finish::<T, MR, FRESH, SAT>(steps, gwb, inp, from);
        o += MR;
    }
    for gwr in gws.into_remainder().chunks_exact_mut(inp) {
        let steps = gy
            .chunks_exact(out)
            .zip(x.chunks_exact(inp))
            .map(|(gyr, xr)| ([gyr.get(o).copied().unwrap_or(T::ZERO)], Some(xr)));
        rank1_finish::<T, 1, FRESH, SAT>(steps, gwr, inp, 0);
        o += 1;
    }
}

/// Whether the gradients use [`tall_tile`]s where they pay off: with
/// AVX-512's 32 vector registers (elsewhere their 16 vectors of sums would
/// spill) and the fused step of the `fma` feature. With one instruction per
/// step the wide tiles wait on their operands: a block of the swept matrix
/// (`w` in [`nn_acc`], `x` in [`tn_acc`]) comes from the L2 cache at every
/// step, and the tall tiles run a 256 → 256 layer's backward at batch 256
/// about 20 % faster (`kernel_bench dense`). With the default's multiply
/// then add, the arithmetic bounds both tiles and the wide ones measured
/// 2–3 % faster, so the default keeps them. The tile never changes a sum.
const TALL_TILES: bool = cfg!(all(target_feature = "avx512f", feature = "fma"));
/// Fewest steps (outputs of the layer) for which [`nn_acc`] takes tall
/// tiles: over fewer, the block of `w` fits the L1 cache either way and a
/// tile's set-up and finish weigh more.
const TALL_STEPS: usize = 32;
/// Rows of a [`tall_tile`] (written out for 8).
const TALL: usize = 8;
/// Columns of a [`tall_tile`]: two 512-bit vectors of f32.
const TALL_W: usize = 2 * CW;

/// [`rank1_finish`] for [`TALL`] rows of `c` (each `n` long) and the
/// [`TALL_W`] columns from `col`: 16 vectors of f32 sums, each step 2 vector
/// loads of `b` and 8 values of `a` for 16 multiply-adds (a wide tile of
/// [`MR`] rows loads 4 vectors and 4 values). So `b` streams half as much
/// per product, and a block of `b`'s columns over all steps is half a wide
/// tile's: [`nn_acc`] sweeps every tile of rows over one block while it
/// stays in the L1 cache. Each element sums its steps from zero as in every
/// tile, so the bits are the same. (The rows are written out one by one:
/// as a loop over rows, the compiler vectorises across them with gathers.)
#[inline(always)]
fn tall_tile<'b, T: Float + 'b, const FRESH: bool, const SAT: bool>(
    steps: impl Iterator<Item = ([T; TALL], Option<&'b [T]>)>,
    c: &mut [T],
    n: usize,
    col: usize,
) {
    let z = [T::ZERO; TALL_W];
    let (mut s0, mut s1, mut s2, mut s3, mut s4, mut s5, mut s6, mut s7) = (z, z, z, z, z, z, z, z);
    for (a, b) in steps {
        let Some(b) = b.and_then(|b| <&[T; TALL_W]>::try_from(b).ok()) else {
            continue;
        };
        tall_step(&mut s0, a[0], b);
        tall_step(&mut s1, a[1], b);
        tall_step(&mut s2, a[2], b);
        tall_step(&mut s3, a[3], b);
        tall_step(&mut s4, a[4], b);
        tall_step(&mut s5, a[5], b);
        tall_step(&mut s6, a[6], b);
        tall_step(&mut s7, a[7], b);
    }
    // (each row stored on its own, as a fixed-size row: a loop over an
    // array of the rows compiled, in some builds, to a spill and scalar stores)
    finish_row::<T, TALL_W, FRESH, SAT>(c, col, &s0);
    finish_row::<T, TALL_W, FRESH, SAT>(c, n + col, &s1);
    finish_row::<T, TALL_W, FRESH, SAT>(c, 2 * n + col, &s2);
    finish_row::<T, TALL_W, FRESH, SAT>(c, 3 * n + col, &s3);
    finish_row::<T, TALL_W, FRESH, SAT>(c, 4 * n + col, &s4);
    finish_row::<T, TALL_W, FRESH, SAT>(c, 5 * n + col, &s5);
    finish_row::<T, TALL_W, FRESH, SAT>(c, 6 * n + col, &s6);
    finish_row::<T, TALL_W, FRESH, SAT>(c, 7 * n + col, &s7);
}

/// `c[at..at + W]` finished with the sums `s` ([`finish_one`]), as one
/// fixed-size row (nothing when the row is not inside `c`).
#[inline(always)]
fn finish_row<T: Float, const W: usize, const FRESH: bool, const SAT: bool>(c: &mut [T], at: usize, s: &[T; W]) {
    if let Some(ct) = c.get_mut(at..).and_then(|c| c.first_chunk_mut::<W>()) {
        for l in 0..W {
            ct[l] = finish_one::<T, FRESH, SAT>(ct[l], s[l]);
        }
    }
}

/// `acc[j] += a · b[j]`.
#[inline(always)]
fn tall_step<T: Float>(acc: &mut [T; TALL_W], a: T, b: &[T; TALL_W]) {
    for j in 0..TALL_W {
        madd_to(&mut acc[j], a, b[j]);
    }
}

/// Whether the gradients of f32 use [`bcast_tile`]s: with AVX-512's 32
/// vector registers, in the default order (the `fma` build keeps its
/// [`TALL_TILES`]; on an AMD Zen 4 its three tile shapes measured level). A
/// wide tile's values of `a` each serve 4 vectors, so the compiler
/// broadcasts each into a register once per step; on a Zen 4 such a
/// broadcast takes a slot of the vector pipes that also run the adds (4 per
/// 16 multiply-adds). A tile of one vector per row uses each value once, and
/// the multiply reads it from memory with the broadcast built in, at no cost
/// to the vector pipes (`kernel_bench tiles`, over the L1 cache: 85–86
/// GFLOP/s for the wide tile, 104–107 for this one, the core's peak 116).
/// (On an Intel core a broadcast is a load, so there the two tiles should
/// cost the same.) The tile never changes a sum.
const BCAST_TILES: bool = cfg!(all(target_feature = "avx512f", not(feature = "fma")));
/// Rows of a [`bcast_tile`] (written out for 16).
const BR: usize = 16;

/// [`rank1_finish`] for [`BR`] rows of `c` (each `n` long) and the [`CW`]
/// columns from `col`: 16 vectors of f32 sums, each step one vector load of
/// `b` and 16 values of `a`, each used once ([`BCAST_TILES`]). Each element
/// sums its steps from zero as in every tile, so the bits are the same.
/// (The rows are written out one by one: as a loop over rows, the compiler
/// vectorises across them with gathers.)
#[inline(always)]
fn bcast_tile<'b, T: Float + 'b, A: Column<T>, const FRESH: bool, const SAT: bool>(
    steps: impl Iterator<Item = (A, Option<&'b [T]>)>,
    c: &mut [T],
    n: usize,
    col: usize,
) {
    let z = [T::ZERO; CW];
    let (mut s0, mut s1, mut s2, mut s3, mut s4, mut s5, mut s6, mut s7) = (z, z, z, z, z, z, z, z);
    let (mut s8, mut s9, mut s10, mut s11, mut s12, mut s13, mut s14, mut s15) = (z, z, z, z, z, z, z, z);
    for (a, b) in steps {
        let Some(b) = b.and_then(|b| <&[T; CW]>::try_from(b).ok()) else {
            continue;
        };
        bcast_step(&mut s0, a.at(0), b);
        bcast_step(&mut s1, a.at(1), b);
        bcast_step(&mut s2, a.at(2), b);
        bcast_step(&mut s3, a.at(3), b);
        bcast_step(&mut s4, a.at(4), b);
        bcast_step(&mut s5, a.at(5), b);
        bcast_step(&mut s6, a.at(6), b);
        bcast_step(&mut s7, a.at(7), b);
        bcast_step(&mut s8, a.at(8), b);
        bcast_step(&mut s9, a.at(9), b);
        bcast_step(&mut s10, a.at(10), b);
        bcast_step(&mut s11, a.at(11), b);
        bcast_step(&mut s12, a.at(12), b);
        bcast_step(&mut s13, a.at(13), b);
        bcast_step(&mut s14, a.at(14), b);
        bcast_step(&mut s15, a.at(15), b);
    }
    for (t, s) in [&s0, &s1, &s2, &s3, &s4, &s5, &s6, &s7].into_iter().enumerate() {
        finish_row::<T, CW, FRESH, SAT>(c, t * n + col, s);
    }
    for (t, s) in [&s8, &s9, &s10, &s11, &s12, &s13, &s14, &s15].into_iter().enumerate() {
        finish_row::<T, CW, FRESH, SAT>(c, (8 + t) * n + col, s);
    }
}

/// A step's [`BR`] values of `a` in a [`bcast_tile`], each read where it
/// lies (copied into an array, they are loaded as one vector and taken
/// apart with shuffles, on the same vector pipes).
trait Column<T> {
    /// The value for row `t` of the tile.
    fn at(&self, t: usize) -> T;
}

/// A run of [`BR`] values (of a row of `gy` in [`tn_acc`]).
impl<T: Float> Column<T> for &[T; BR] {
    #[inline(always)]
    fn at(&self, t: usize) -> T {
        self[t]
    }
}

/// Value `at` of each of [`BR`] rows (of `gy` in [`nn_acc`]).
struct Strided<'r, T> {
    rows: &'r [&'r [T]; BR],
    at: usize,
}

impl<T: Float> Column<T> for Strided<'_, T> {
    #[inline(always)]
    fn at(&self, t: usize) -> T {
        self.rows[t][self.at]
    }
}

/// `acc[j] += a · b[j]`.
#[inline(always)]
fn bcast_step<T: Float>(acc: &mut [T; CW], a: T, b: &[T; CW]) {
    for j in 0..CW {
        madd_to(&mut acc[j], a, b[j]);
    }
}

/// Columns of a wide rank-1 tile of f32: with AVX-512 (32 vector registers)
/// four vectors of 512 bits per row, so [`MR`] rows keep 16 vectors of sums
/// and each step loads 4 values of `a` and 4 vectors of `b` for 16 vector
/// multiply-adds (a tile of one vector per row loads 5 for 4, and runs
/// about 15 % slower on a 256 → 256 layer at batch 256). Elsewhere (16
/// vector registers, or 128-bit vectors) such a tile would spill, so it is
/// one tile of [`CW`].
const WIDE_F32: usize = if cfg!(target_feature = "avx512f") { 4 * CW } else { CW };
/// [`WIDE_F32`] for f64 (eight per 512-bit vector): the same 16 vectors.
const WIDE_F64: usize = if cfg!(target_feature = "avx512f") { 2 * CW } else { CW };

/// `c[t][i] += Σ_steps a[t] · b[i]` for the `M` rows of `c` (each `n` long):
/// every element sums its steps in order from zero, then is added to `c`,
/// whatever the tile, so the tile widths never change a result. Column
/// tiles of [`WIDE_F32`] (f32) or [`WIDE_F64`] (f64), then of [`CW`], then
/// the remaining columns.
///
/// Every element is finished as [`finish_one`] says. The
/// columns past the last whole tile add each step straight into `c` (from a
/// cleared start when `FRESH`) and are saturated after the last step.
fn rank1_finish<'b, T: Float + 'b, const M: usize, const FRESH: bool, const SAT: bool>(
    steps: impl Iterator<Item = ([T; M], Option<&'b [T]>)> + Clone,
    c: &mut [T],
    n: usize,
    first: usize,
) {
    let col = if core::mem::size_of::<T>() <= 4 {
        rank1_cols::<T, M, WIDE_F32, FRESH, SAT>(steps.clone(), c, n, first)
    } else {
        rank1_cols::<T, M, WIDE_F64, FRESH, SAT>(steps.clone(), c, n, first)
    };
    let rest = rank1_cols::<T, M, CW, FRESH, SAT>(steps.clone(), c, n, col);
    // The last columns (fewer than `CW`): each step adds straight onto the
    // element, not onto a sum from zero, with the elements in registers.
    let col = rank1_onto::<T, M, LANES, FRESH, SAT>(steps.clone(), c, n, rest);
    rank1_onto::<T, M, 1, FRESH, SAT>(steps, c, n, col);
}

/// The tiles of `W` columns from `col` on, each step added straight onto
/// the `M × W` elements (held in registers: loaded, or zeros when `FRESH`,
/// and stored once, saturated when `SAT`); returns the first column left.
#[inline(always)]
fn rank1_onto<'b, T: Float + 'b, const M: usize, const W: usize, const FRESH: bool, const SAT: bool>(
    steps: impl Iterator<Item = ([T; M], Option<&'b [T]>)> + Clone,
    c: &mut [T],
    n: usize,
    mut col: usize,
) -> usize {
    while col + W <= n {
        let mut acc = [[T::ZERO; W]; M];
        if !FRESH {
            for (t, acc_t) in acc.iter_mut().enumerate() {
                if let Some(ct) = c
                    .get(t * n + col..t * n + col + W)
                    .and_then(|s| <&[T; W]>::try_from(s).ok())
                {
                    *acc_t = *ct;
                }
            }
        }
        rank1_sweep(&mut acc, steps.clone(), col);
        for (t, acc_t) in acc.iter().enumerate() {
            if let Some(ct) = c.get_mut(t * n + col..).and_then(|c| c.first_chunk_mut::<W>()) {
                for l in 0..W {
                    ct[l] = if SAT { acc_t[l].saturate() } else { acc_t[l] };
                }
            }
        }
        col += W;
    }
    col
}

/// `acc[t][l] += a[t] · b[col + l]` for every step `(a, b)`, in order (a
/// step without those columns is skipped).
#[inline(always)]
fn rank1_sweep<'b, T: Float + 'b, const M: usize, const W: usize>(
    acc: &mut [[T; W]; M],
    steps: impl Iterator<Item = ([T; M], Option<&'b [T]>)>,
    col: usize,
) {
    for (a, b) in steps {
        let Some(bv) = b
            .and_then(|b| b.get(col..col + W))
            .and_then(|s| <&[T; W]>::try_from(s).ok())
        else {
            continue;
        };
        for (acc_t, &at) in acc.iter_mut().zip(&a) {
            for l in 0..W {
                madd_to(&mut acc_t[l], at, bv[l]);
            }
        }
    }
}

/// [`rank1_finish`] for the whole tiles of `W` columns from `col` on, with the
/// `M × W` sums in registers; returns the first column left.
#[inline(always)]
fn rank1_cols<'b, T: Float + 'b, const M: usize, const W: usize, const FRESH: bool, const SAT: bool>(
    steps: impl Iterator<Item = ([T; M], Option<&'b [T]>)> + Clone,
    c: &mut [T],
    n: usize,
    mut col: usize,
) -> usize {
    while col + W <= n {
        let mut acc = [[T::ZERO; W]; M];
        rank1_sweep(&mut acc, steps.clone(), col);
        for (t, acc_t) in acc.iter().enumerate() {
            finish_row::<T, W, FRESH, SAT>(c, t * n + col, acc_t);
        }
        col += W;
    }
    col
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Elements in the largest operand of the cases below.
    const MAX: usize = 12_288;

    /// The first `n` of `buf`, filled with values that keep every mantissa
    /// bit busy, so that a change of summation order shows.
    fn values<T: Float>(buf: &mut [T; MAX], n: usize, seed: u64) -> &[T] {
        let mut s = seed;
        let part = &mut buf[..n];
        for v in part.iter_mut() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *v = T::from_f64(2.0 * ((s >> 11) as f64 / (1u64 << 53) as f64) - 1.0);
        }
        part
    }

    /// The first element whose bits differ.
    fn differ<T: Float>(a: &[T], b: &[T]) -> Option<usize> {
        a.iter()
            .zip(b)
            .position(|(p, q)| p.to_f64().to_bits() != q.to_f64().to_bits())
    }

    /// Every path of [`nt`] (dot tiles, panels of weights, panels of rows,
    /// and their edges) gives the bits of `b[o] + dot(x[r], w[o])`.
    fn nt_matches_dot<T: Float>() {
        let mut plans = [false; 3];
        for &(rows, inp, out) in &[
            (1, 256, 29),
            (5, 9, 16),
            (6, 17, 16),
            (7, 64, 33),
            (16, 8, 10),
            (17, 23, 3),
            (17, 67, 64),
            (25, 300, 24),
            (40, 1, 17),
            (40, 7, 40),
            (24, 512, 16),
            (20, 600, 20),
        ] {
            plans[nt_plan(rows, inp, out) as usize] = true;
            let (mut xb, mut wb, mut bb, mut y) = ([T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX]);
            let (x, w, b) = (
                values(&mut xb, rows * inp, 1),
                values(&mut wb, out * inp, 2),
                values(&mut bb, out, 3),
            );
            let y = &mut y[..rows * out];
            nt(x, w, b, y, inp, out);
            for (r, (yr, xr)) in y.chunks_exact(out).zip(x.chunks_exact(inp)).enumerate() {
                for (o, (&yv, wo)) in yr.iter().zip(w.chunks_exact(inp)).enumerate() {
                    let want = b[o] + dot(xr, wo);
                    assert!(
                        yv.to_f64().to_bits() == want.to_f64().to_bits(),
                        "rows {rows} inp {inp} out {out}: y[{r}][{o}] = {yv:?}, dot gives {want:?}"
                    );
                }
            }
        }
        if TILED {
            assert_eq!(
                plans, [true; 3],
                "the cases cover dot tiles, weight panels and row panels"
            );
        }
    }

    /// The tiled gradient products sum in the plain loops' order when the
    /// gradients start at zero and the batch fits one row block.
    fn tiled_gradients_match_plain<T: Float>() {
        for &(rows, inp, out) in &[
            (1, 9, 7),
            (5, 40, 20),
            (64, 17, 3),
            (100, 33, 16),
            (256, 8, 9),
            // wide column tiles, with one-vector tiles and single columns after them
            (3, 130, 5),
            (70, 97, 9),
            (9, 64, 66),
            (1, 200, 61),
            (256, 40, 33),
        ] {
            let (mut xb, mut gyb, mut wb, mut bb) = ([T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX]);
            let (x, gy, w, b) = (
                values(&mut xb, rows * inp, 4),
                values(&mut gyb, rows * out, 5),
                values(&mut wb, out * inp, 6),
                values(&mut bb, out, 7),
            );
            let (mut tiled, mut plain) = ([T::ZERO; MAX], [T::ZERO; MAX]);
            let (t, p) = (&mut tiled[..out * inp], &mut plain[..out * inp]);
            tn_acc_tiled(gy, x, t, inp, out);
            tn_acc_plain(gy, x, p, inp, out);
            assert_eq!(differ(t, p), None, "tn_acc rows {rows} inp {inp} out {out}");
            let (mut tiled, mut plain) = ([T::ZERO; MAX], [T::ZERO; MAX]);
            let (t, p) = (&mut tiled[..rows * inp], &mut plain[..rows * inp]);
            nn_acc_tiled::<T, false, false>(gy, w, t, inp, out);
            nn_acc_plain(gy, w, p, inp, out);
            assert_eq!(differ(t, p), None, "nn_acc rows {rows} inp {inp} out {out}");
            // onto a cleared output, never read (it starts full of NaN)
            let mut fresh = [T::from_f64(f64::NAN); MAX];
            nn_fresh(gy, w, &mut fresh[..rows * inp], inp, out);
            assert_eq!(
                differ(&fresh[..rows * inp], p),
                None,
                "nn_fresh rows {rows} inp {inp} out {out}"
            );
            let (mut tiled, mut plain) = ([T::ZERO; MAX], [T::ZERO; MAX]);
            let (t, p) = (&mut tiled[..rows * out], &mut plain[..rows * out]);
            nt_tiled(x, w, b, t, inp, out);
            nt_plain(x, w, b, p, inp, out);
            assert_eq!(differ(t, p), None, "nt rows {rows} inp {inp} out {out}");
        }
    }

    /// The AVX form of the batch-1 rows ([`super::super::avx::dot_row`])
    /// gives the bits of the portable form and of [`dot`]: every length up
    /// to 40 (each size of tail), a layer's 255 to 257 and a long row, over
    /// plain values and over values with signed zeros, infinities and
    /// products that overflow (a NaN sum compares as NaN).
    #[cfg(all(
        target_arch = "x86_64",
        target_feature = "avx",
        any(not(feature = "fma"), target_feature = "fma")
    ))]
    #[test]
    fn avx_rows_match_portable() {
        let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        let (mut xb, mut wb) = ([0.0f32; MAX], [0.0f32; MAX]);
        let mut odd_sums = 0;
        for n in (0..=40).chain([255, 256, 257, 1000]) {
            for special in [false, true] {
                let mut s = 17 + n as u64;
                let mut next = |k: usize| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let v = (2.0 * ((s >> 11) as f64 / (1u64 << 53) as f64) - 1.0) as f32;
                    match (special, k % 13) {
                        (true, 0) => -0.0,
                        (true, 5) => f32::INFINITY * v.signum(),
                        (true, 7) => 3e38 * v,
                        _ => v,
                    }
                };
                for (k, v) in xb[..n].iter_mut().enumerate() {
                    *v = next(k);
                }
                for (k, v) in wb[..8 * n].iter_mut().enumerate() {
                    *v = next(k + 3);
                }
                let (x, w) = (&xb[..n], &wb[..8 * n]);
                let rows: [&[f32]; NR1] = core::array::from_fn(|u| &w[u * n..(u + 1) * n]);
                let (fast, portable) = (super::super::avx::dot_row(x, rows), dot_row_portable(x, rows));
                for u in 0..NR1 {
                    let want = dot(x, rows[u]);
                    assert!(
                        same(fast[u], portable[u]) && same(fast[u], want),
                        "n {n} special {special} row {u}: AVX {:?}, portable {:?}, dot {want:?}",
                        fast[u],
                        portable[u]
                    );
                    odd_sums += usize::from(!fast[u].is_finite() || fast[u].to_bits() == (-0.0f32).to_bits());
                }
            }
        }
        assert!(
            odd_sums > 20,
            "the special values reach the sums ({odd_sums} infinite, NaN or -0)"
        );
    }

    #[test]
    fn tiled_gradients_match_plain_f32() {
        tiled_gradients_match_plain::<f32>();
    }

    #[test]
    fn tiled_gradients_match_plain_f64() {
        tiled_gradients_match_plain::<f64>();
    }

    /// Each [`Finish`] of [`tn_finish`] gives the bits of the passes it
    /// replaces: a clear (when fresh), [`tn_acc`], and a saturating pass. A
    /// fresh output starts full of NaN to show it is never read; some cases
    /// scale the operands so that sums pass the saturation bound; batches of
    /// more than [`FINISH_ROWS`] rows take the separate passes, and of more
    /// than [`ROW_BLOCK`] several blocks.
    fn finish_matches_passes<T: Float>() {
        for &(rows, inp, out, scale) in &[
            (1, 256, 44, 1.0),
            (1, 64, 10, 1.0),
            (1, 130, 5, 1.0),
            (1, 256, 44, 4.0),
            (1, 33, 7, 4.0),
            (3, 97, 9, 4.0),
            (64, 20, 6, 4.0),
            (65, 20, 6, 4.0),
            (300, 20, 6, 1.0),
            (520, 17, 5, 4.0),
            (19, 70, 40, 4.0),
        ] {
            let (mut xb, mut gyb, mut gwb) = ([T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX]);
            let x = values(&mut xb, rows * inp, 11);
            let gy = values(&mut gyb, rows * out, 12);
            let (xs, gys): (&mut [T], &mut [T]) =
                (&mut [T::ZERO; MAX][..rows * inp], &mut [T::ZERO; MAX][..rows * out]);
            // `scale` in units of the square root of the bound: products up to scale² × bound
            let k = T::from_f64(if scale > 1.0 {
                scale * T::SATURATION.to_f64().sqrt()
            } else {
                1.0
            });
            xs.iter_mut().zip(x).for_each(|(s, &v)| *s = v * k);
            // zeros among the inputs, so that some products are `-0.0`
            xs.iter_mut().step_by(7).for_each(|s| *s = T::ZERO);
            gys.iter_mut().zip(gy).for_each(|(s, &v)| *s = v * k);
            let start = values(&mut gwb, out * inp, 13);
            for fresh in [false, true] {
                for saturate in [false, true] {
                    let mut want = [T::ZERO; MAX];
                    let want = &mut want[..out * inp];
                    if !fresh {
                        want.copy_from_slice(start);
                    }
                    tn_acc_tiled(gys, xs, want, inp, out);
                    if saturate {
                        want.iter_mut().for_each(|v| *v = v.saturate());
                    }
                    let mut got_buf = [T::ZERO; MAX];
                    let got = &mut got_buf[..out * inp];
                    if fresh {
                        got.fill(T::from_f64(f64::NAN));
                    } else {
                        got.copy_from_slice(start);
                    }
                    let mut again_buf = got_buf;
                    let got = &mut got_buf[..out * inp];
                    tn_finish(gys, xs, got, inp, out, Finish { fresh, saturate }, None);
                    let case = (rows, inp, out, fresh, saturate);
                    assert_eq!(differ(got, want), None, "rows, inp, out, fresh, saturate: {case:?}");
                    if saturate {
                        assert!(got.iter().all(|v| v.abs() <= T::SATURATION), "{case:?}");
                    }
                    // With an SGD step: the same gradient, and the weight updated from it
                    // as `sgd_update` would after the walk (some weights past the bound).
                    let mut w_buf = [T::ZERO; MAX];
                    let mut w_want = [T::ZERO; MAX];
                    let w_want = &mut w_want[..out * inp];
                    w_want.copy_from_slice(values(&mut w_buf, out * inp, 14));
                    w_want.iter_mut().step_by(5).for_each(|v| *v = *v * k * k);
                    let mut w_got = [T::ZERO; MAX];
                    let w_got = &mut w_got[..out * inp];
                    w_got.copy_from_slice(w_want);
                    let lr = T::from_f64(0.37);
                    sgd_update(w_want, want, lr);
                    let again = &mut again_buf[..out * inp];
                    let step = SgdStep { lr, w: w_got };
                    tn_finish(gys, xs, again, inp, out, Finish { fresh, saturate }, Some(step));
                    assert_eq!(differ(again, want), None, "with a step: {case:?}");
                    assert_eq!(differ(w_got, w_want), None, "the step: {case:?}");
                }
            }
            // nn_first: the input gradient written fresh and saturated, over an
            // output full of NaN, against a clear, nn_acc and a saturating pass.
            let mut wb = [T::ZERO; MAX];
            let w = &mut wb[..out * inp];
            w.copy_from_slice(values(&mut [T::ZERO; MAX], out * inp, 15));
            w.iter_mut().step_by(3).for_each(|v| *v *= k);
            let mut want = [T::ZERO; MAX];
            let want = &mut want[..rows * inp];
            nn_acc_tiled::<T, false, false>(gys, w, want, inp, out);
            want.iter_mut().for_each(|v| *v = v.saturate());
            let mut got = [T::from_f64(f64::NAN); MAX];
            nn_first(gys, w, &mut got[..rows * inp], inp, out);
            assert_eq!(
                differ(&got[..rows * inp], want),
                None,
                "nn_first rows {rows} inp {inp} out {out}"
            );
            if scale > 1.0 {
                let mut plain = [T::ZERO; MAX];
                tn_acc_tiled(gys, xs, &mut plain[..out * inp], inp, out);
                let past = |v: &T| v.is_nan() || v.abs() > T::SATURATION;
                assert!(
                    plain[..out * inp].iter().any(past),
                    "rows {rows}: some sums pass the bound"
                );
            }
        }
    }

    #[test]
    fn finish_matches_passes_f32() {
        if TILED {
            finish_matches_passes::<f32>();
        }
    }

    #[test]
    fn finish_matches_passes_f64() {
        if TILED {
            finish_matches_passes::<f64>();
        }
    }

    /// Packed once, the weights give [`nt`]'s bits on any number of rows,
    /// with outputs past the last whole panel and a row remainder.
    fn packed_weights_match_nt<T: Float>() {
        for &(rows, inp, out) in &[(20, 384, 32), (7, 25, 16), (13, 27, 21), (1, 9, 40), (5, 512, 16)] {
            let (mut xb, mut wb, mut bb) = ([T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX]);
            let (x, w, b) = (
                values(&mut xb, rows * inp, 8),
                values(&mut wb, out * inp, 9),
                values(&mut bb, out, 10),
            );
            let (mut packed, mut direct) = ([T::ZERO; MAX], [T::ZERO; MAX]);
            let (pk, dr) = (&mut packed[..rows * out], &mut direct[..rows * out]);
            nt(x, w, b, dr, inp, out);
            match PackedWeights::new(w, inp, out) {
                Some(pw) => pw.nt(x, w, b, pk),
                None => panic!("rows {rows} inp {inp} out {out}: the panels fit"),
            }
            assert_eq!(differ(pk, dr), None, "rows {rows} inp {inp} out {out}");
        }
        // too few outputs for a panel, or too many values: not packed
        assert!(PackedWeights::<T>::new(&[T::ZERO; 15 * 4], 4, 15).is_none());
        assert!(PackedWeights::<T>::new(&[T::ZERO; 300 * 64], 300, 64).is_none());
    }

    #[test]
    fn packed_weights_match_nt_f32() {
        if TILED {
            packed_weights_match_nt::<f32>();
        }
    }

    #[test]
    fn packed_weights_match_nt_f64() {
        if TILED {
            packed_weights_match_nt::<f64>();
        }
    }

    #[test]
    fn nt_matches_dot_f32() {
        nt_matches_dot::<f32>();
    }

    #[test]
    fn nt_matches_dot_f64() {
        nt_matches_dot::<f64>();
    }
}
