#!/usr/bin/env python3
"""PyTorch and NumPy references for flambeau's speed benchmark.

Runs the rows of `cargo bench -p flambeau-harness --bench speed` with the same
protocol, single-threaded unless a row says otherwise, FP32:

* data: the USPS IDX .gz files (gzip + struct), pixels / 255, 7291 train /
  2007 test images; one-hot or class targets;
* training: PyTorch's default initialisation (U(+-1/sqrt(fan_in)) for weights
  and biases), plain SGD lr 0.05, a fresh shuffle every epoch, each batch
  gathered from the host array into a tensor; every epoch covers all 7291
  images (the last batch is partial); one warm-up epoch, then the median of
  5 timed epochs (seconds per epoch, shuffle and gathering included);
* inference: forward only (`torch.inference_mode`, `model.eval()`), batch 1
  over the first 1024 test images one by one and batch 256 over 7 full
  batches (1792 images); one warm-up pass, then the median of 31 reps, in
  microseconds per sample;
* dense 256x256 at batch 256: GFLOP/s of `x W^T + b` forward (2*B*N*N flops)
  and of its backward (dW and dx, 2x the forward's flops), median of 21;
* "... 2 threads" rows: flambeau's data-parallel training (two half batches
  on two threads) against PyTorch with `torch.set_num_threads(2)`, same
  batch; every other row is single-threaded;
* SGEMM: single-thread n x n float32 matrix product, 2*n^3 flops, n = 256
  and 1024, for NumPy (OpenBLAS) and PyTorch.

NumPy implements the MLP and auto-encoder rows with small layer classes
(forward/backward by hand) and the dense / SGEMM rows; the convolutional
rows are PyTorch only.

Output: a Markdown table on stdout and, with --json FILE, a JSON list of rows
{"name", "unit", "value", "impl"} where "name" and "unit" are those of
flambeau's benchmark and "impl" is "pytorch" or "numpy".

Usage: python bench/pytorch_bench.py [--data USPS_DIR] [--quick] [--json FILE]
           [--only pytorch|numpy]
"""

import os

# One thread everywhere; must be set before NumPy / PyTorch load their BLAS.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

LR = 0.05
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median(v):
    s = sorted(v)
    return s[len(s) // 2]


# ---------------------------------------------------------------- data ----

def read_idx(path, magic):
    try:
        with gzip.open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        sys.exit(f"error: cannot read {path}: {e}")
    got, = struct.unpack(">I", buf[:4])
    if got != magic:
        sys.exit(f"error: {path}: magic {got:#x}, expected {magic:#x}")
    ndim = magic & 0xFF
    dims = struct.unpack(f">{ndim}I", buf[4:4 + 4 * ndim])
    data = np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim)
    return data[: int(np.prod(dims))].reshape(dims)


def load_split(folder, prefix):
    img = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), 0x803)
    lab = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), 0x801)
    if img.shape[0] != lab.shape[0] or img.shape[1] * img.shape[2] != 256:
        sys.exit(f"error: {folder}/{prefix}: expected n 16x16 images and n labels, got {img.shape} / {lab.shape}")
    x = img.reshape(len(img), 256).astype(np.float32) / np.float32(255.0)
    return np.ascontiguousarray(x), lab.astype(np.int64)


def default_data_dir():
    base = os.environ.get("FLAMBEAU_DATA") or os.path.join(REPO, "..", "shared", "data")
    return os.path.join(base, "usps")


# ------------------------------------------------------------ results ----

class Rows:
    def __init__(self):
        self.rows = []

    def add(self, impl, name, unit, value, detail=""):
        self.rows.append({"name": name, "unit": unit, "value": value, "impl": impl, "detail": detail})
        print(f"[{impl}] {name}: {value:.4f} {unit} {detail}", file=sys.stderr, flush=True)


def cpu_wall_check(label, cpu, wall):
    # More CPU than wall time means a second thread did work.
    if wall > 0.05 and cpu / wall > 1.3:
        print(f"warning: {label}: cpu/wall = {cpu / wall:.2f}, more than one thread busy", file=sys.stderr)


# ------------------------------------------------------------ PyTorch ----

def pytorch_rows(rows, xtr, ytr, xte, epochs, reps, dense_reps):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    impl = "pytorch"
    n = len(xtr)

    def mlp():
        return nn.Sequential(nn.Linear(256, 128), nn.Tanh(), nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10))

    def cnn_small():
        return nn.Sequential(nn.Unflatten(1, (1, 256)), nn.Conv1d(1, 32, 3), nn.MaxPool1d(2, 2), nn.Flatten(),
                             nn.Linear(4064, 10))

    def cnn_report():
        return nn.Sequential(nn.Unflatten(1, (1, 256)), nn.Conv1d(1, 32, 3), nn.MaxPool1d(2, 2), nn.Flatten(),
                             nn.Linear(4064, 100), nn.ReLU(), nn.Linear(100, 10))

    def ae():
        return nn.Sequential(nn.Linear(256, 64), nn.Tanh(), nn.Linear(64, 256), nn.Sigmoid())

    def train(name, make, loss_fn, targets, batch, threads=1):
        torch.set_num_threads(threads)
        torch.manual_seed(42)
        model = make()  # PyTorch's default initialisation
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        rng = np.random.default_rng(7)
        times, last = [], 0.0
        c0, w0 = time.process_time(), time.perf_counter()
        for epoch in range(epochs + 1):
            t0 = time.perf_counter()
            order = rng.permutation(n)
            total = 0.0
            for s in range(0, n, batch):
                idx = order[s:s + batch]
                xb = torch.from_numpy(xtr[idx])
                tb = torch.from_numpy(targets[idx])
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), tb)
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            if epoch > 0:
                times.append(time.perf_counter() - t0)
            last = total / n
        suffix = "" if threads == 1 else f" {threads} threads"
        if threads == 1:
            cpu_wall_check(f"{name} b{batch}", time.process_time() - c0, time.perf_counter() - w0)
        else:
            torch.set_num_threads(1)
        rows.add(impl, f"{name} train b{batch}{suffix}", "s/epoch", median(times),
                 f"final loss {last:.4f}, min {min(times):.4f} s")
        return model

    def infer(name, model, batch, count):
        model.eval()
        x = xte[:count]
        times = []
        with torch.inference_mode():
            for rep in range(reps + 1):
                t0 = time.perf_counter()
                for s in range(0, count, batch):
                    out = model(torch.from_numpy(x[s:s + batch]))
                if rep > 0:
                    times.append((time.perf_counter() - t0) * 1e6 / count)
        assert out.shape[0] == batch
        rows.add(impl, f"{name} infer b{batch}", "µs/sample", median(times), f"{count} test images")

    ce = nn.CrossEntropyLoss()
    # Class-index targets: nn.CrossEntropyLoss on logits is flambeau's CE against one-hot rows.
    m = train("MLP 256-128-64-10", mlp, ce, ytr, 1)
    for b in (32, 256, n):
        train("MLP 256-128-64-10", mlp, ce, ytr, b)
    # flambeau's "2 threads" rows (data-parallel over two half batches) against
    # PyTorch's own intra-op threading at 2 threads, same batch.
    for b in (256, n):
        train("MLP 256-128-64-10", mlp, ce, ytr, b, threads=2)
    infer("MLP", m, 1, 1024)
    infer("MLP", m, 256, 1792)
    c = train("CNN1D small", cnn_small, ce, ytr, 32)
    train("CNN1D report", cnn_report, ce, ytr, 32)
    infer("CNN1D small", c, 1, 1024)
    infer("CNN1D small", c, 256, 1792)
    train("AE 256-64-256", ae, nn.MSELoss(), xtr, 32)

    # dense 256x256 at batch 256: forward x W^T + b (+ the mean that feeds the
    # backward, as in flambeau), backward of the mean of the output.
    B = N = 256
    torch.manual_seed(1)
    lin = nn.Linear(N, N)
    x = (torch.arange(B * N) % 7).float().mul(0.1).reshape(B, N).requires_grad_(True)
    flops = 2.0 * B * N * N
    fwd, bwd = [], []
    for rep in range(dense_reps + 1):
        x.grad = None
        lin.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        loss = lin(x).mean()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        if rep > 0:
            fwd.append(flops / (t1 - t0) / 1e9)
            bwd.append(2 * flops / (t2 - t1) / 1e9)
    rows.add(impl, "dense 256x256, batch 256, forward", "GFLOP/s", median(fwd))
    rows.add(impl, "dense 256x256, batch 256, backward", "GFLOP/s", median(bwd))

    with torch.inference_mode():
        for size in (256, 1024):
            a = torch.rand(size, size)
            b = torch.rand(size, size)
            c = torch.empty(size, size)
            g = []
            for rep in range(dense_reps + 1):
                t0 = time.perf_counter()
                torch.mm(a, b, out=c)
                dt = time.perf_counter() - t0
                if rep > 0:
                    g.append(2.0 * size ** 3 / dt / 1e9)
            rows.add(impl, f"SGEMM {size}x{size}x{size}", "GFLOP/s", median(g), "torch.mm, 1 thread")


# -------------------------------------------------------------- NumPy ----

f32 = np.float32


class Linear:
    def __init__(self, n_in, n_out, rng):
        k = 1.0 / np.sqrt(n_in)
        self.w = rng.uniform(-k, k, (n_out, n_in)).astype(f32)  # [out][in], as PyTorch
        self.b = rng.uniform(-k, k, n_out).astype(f32)

    def forward(self, x):
        self.x = x
        return x @ self.w.T + self.b

    def backward(self, g):
        self.gw = g.T @ self.x
        self.gb = g.sum(axis=0)
        return g @ self.w

    def step(self, lr):
        self.w -= lr * self.gw
        self.b -= lr * self.gb


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        return g * (f32(1) - self.y * self.y)

    def step(self, lr):
        pass


class Sigmoid:
    def forward(self, x):
        self.y = f32(1) / (f32(1) + np.exp(-x))
        return self.y

    def backward(self, g):
        return g * self.y * (f32(1) - self.y)

    def step(self, lr):
        pass


class Sequential:
    def __init__(self, *layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, g):
        for layer in reversed(self.layers):
            g = layer.backward(g)

    def step(self, lr):
        for layer in self.layers:
            layer.step(lr)


def cross_entropy(z, labels):
    """Mean cross-entropy of logits z against class labels, and d loss / d z."""
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, labels]))
    g = e / s
    g[rows, labels] -= f32(1)
    return loss, g / f32(len(labels))


def mse(y, t):
    d = y - t
    return float(np.mean(d * d)), d * f32(2.0 / d.size)


def numpy_rows(rows, xtr, ytr, xte, epochs, reps, dense_reps):
    impl = "numpy"
    n = len(xtr)

    def train(name, model, loss_fn, targets, batch):
        rng = np.random.default_rng(7)
        times, last = [], 0.0
        c0, w0 = time.process_time(), time.perf_counter()
        for epoch in range(epochs + 1):
            t0 = time.perf_counter()
            order = rng.permutation(n)
            total = 0.0
            for s in range(0, n, batch):
                idx = order[s:s + batch]
                xb, tb = xtr[idx], targets[idx]
                loss, g = loss_fn(model.forward(xb), tb)
                model.backward(g)
                model.step(f32(LR))
                total += loss * len(idx)
            if epoch > 0:
                times.append(time.perf_counter() - t0)
            last = total / n
        cpu_wall_check(f"numpy {name} b{batch}", time.process_time() - c0, time.perf_counter() - w0)
        rows.add(impl, f"{name} train b{batch}", "s/epoch", median(times),
                 f"final loss {last:.4f}, min {min(times):.4f} s")
        return model

    def infer(name, model, batch, count):
        x = xte[:count]
        times = []
        for rep in range(reps + 1):
            t0 = time.perf_counter()
            for s in range(0, count, batch):
                out = model.forward(x[s:s + batch])
            if rep > 0:
                times.append((time.perf_counter() - t0) * 1e6 / count)
        assert out.shape[0] == batch and out.dtype == f32
        rows.add(impl, f"{name} infer b{batch}", "µs/sample", median(times), f"{count} test images")

    def mlp():
        r = np.random.default_rng(42)
        return Sequential(Linear(256, 128, r), Tanh(), Linear(128, 64, r), Tanh(), Linear(64, 10, r))

    m = train("MLP 256-128-64-10", mlp(), cross_entropy, ytr, 1)
    for b in (32, 256, n):
        train("MLP 256-128-64-10", mlp(), cross_entropy, ytr, b)
    infer("MLP", m, 1, 1024)
    infer("MLP", m, 256, 1792)
    r = np.random.default_rng(42)
    train("AE 256-64-256", Sequential(Linear(256, 64, r), Tanh(), Linear(64, 256, r), Sigmoid()), mse, xtr, 32)

    B = N = 256
    lin = Linear(N, N, np.random.default_rng(1))
    x = ((np.arange(B * N) % 7).astype(f32) * f32(0.1)).reshape(B, N)
    flops = 2.0 * B * N * N
    fwd, bwd = [], []
    for rep in range(dense_reps + 1):
        t0 = time.perf_counter()
        y = lin.forward(x)
        _ = float(y.mean())
        t1 = time.perf_counter()
        lin.backward(np.full((B, N), f32(1.0 / (B * N)), dtype=f32))
        t2 = time.perf_counter()
        if rep > 0:
            fwd.append(flops / (t1 - t0) / 1e9)
            bwd.append(2 * flops / (t2 - t1) / 1e9)
    rows.add(impl, "dense 256x256, batch 256, forward", "GFLOP/s", median(fwd))
    rows.add(impl, "dense 256x256, batch 256, backward", "GFLOP/s", median(bwd))

    rng = np.random.default_rng(0)
    for size in (256, 1024):
        a = rng.random((size, size), dtype=f32)
        b = rng.random((size, size), dtype=f32)
        c = np.empty((size, size), dtype=f32)
        g = []
        for rep in range(dense_reps + 1):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            dt = time.perf_counter() - t0
            if rep > 0:
                g.append(2.0 * size ** 3 / dt / 1e9)
        rows.add(impl, f"SGEMM {size}x{size}x{size}", "GFLOP/s", median(g), "numpy.matmul, 1 thread")


# --------------------------------------------------------------- main ----

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="folder with the USPS IDX .gz files (default: $FLAMBEAU_DATA/usps, "
                                                 "else ../shared/data/usps beside the repository)")
    ap.add_argument("--quick", action="store_true", help="1 timed epoch, 1 inference rep (smoke test)")
    ap.add_argument("--json", default=None, help="write the rows to this JSON file")
    ap.add_argument("--only", choices=["pytorch", "numpy"], default=None)
    a = ap.parse_args()
    folder = a.data or default_data_dir()
    if not os.path.isdir(folder):
        sys.exit(f"error: no USPS folder at {folder} (use --data or FLAMBEAU_DATA)")
    xtr, ytr = load_split(folder, "usps-train")
    xte, _ = load_split(folder, "usps-t10k")
    if len(xte) < 1792:
        sys.exit(f"error: {len(xte)} test images, need at least 1792")
    epochs, reps, dense_reps = (1, 1, 3) if a.quick else (5, 31, 21)
    rows = Rows()
    if a.only in (None, "pytorch"):
        pytorch_rows(rows, xtr, ytr, xte, epochs, reps, dense_reps)
    if a.only in (None, "numpy"):
        numpy_rows(rows, xtr, ytr, xte, epochs, reps, dense_reps)

    print("| impl | workload | value | unit | detail |")
    print("| --- | --- | ---: | --- | --- |")
    for r in rows.rows:
        print(f"| {r['impl']} | {r['name']} | {r['value']:.4f} | {r['unit']} | {r['detail']} |")
    if a.json:
        d = os.path.dirname(os.path.abspath(a.json))
        os.makedirs(d, exist_ok=True)
        tmp = a.json + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump([{k: r[k] for k in ("name", "unit", "value", "impl")} for r in rows.rows], f, indent=1,
                      ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, a.json)


if __name__ == "__main__":
    main()
