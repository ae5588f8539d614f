#!/usr/bin/env python3
"""One cell of flambeau's speed comparison in Python: one system (NumPy,
PyTorch in one of its configurations, ONNX Runtime, JAX) on one workload,
timed with the rules every cell follows (bench/README.md), printed as one
JSON object on stdout.

Usage:
  py_cell.py run SYSTEM WORKLOAD [--threads N] [--min-time S] [--data DIR]
  py_cell.py export FOLDER [--data DIR]   (ONNX files + test inputs for tract / ONNX Runtime)
  py_cell.py list                          (the systems and workloads this script knows)

The driver (bench/driver.py) starts one process per cell, with the thread
environment variables already set; this script sets the thread counts once
more through each library's own call and reports what threadpoolctl sees.
"""

import os
import sys


def cell_threads():
    """FLAMBEAU_BENCH_THREADS (set by the driver), else the `-tN` of the workload named on the command line."""
    v = os.environ.get("FLAMBEAU_BENCH_THREADS", "")
    if v.isdigit() and int(v) > 0:
        return int(v)
    last = sys.argv[3].split("-")[-1] if len(sys.argv) > 3 and sys.argv[1] == "run" else ""
    return int(last[1:]) if last.startswith("t") and last[1:].isdigit() and int(last[1:]) > 0 else 1


THREADS = cell_threads()


def pin_cpus(n):
    """Pins this process to `n` of the CPUs it may run on (the one it runs on
    now first) before any library starts a thread: threads inherit the set,
    so no hidden pool can use more CPUs than the cell's thread count (JAX's
    XLA client sizes its pools from it and ignores the thread variables).
    Returns the CPUs allowed afterwards, or None when the OS does not tell."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
        try:
            with open("/proc/self/stat") as f:
                now = int(f.read().rsplit(")", 1)[1].split()[36])  # field 39: the CPU it last ran on
        except (OSError, ValueError, IndexError):
            now = allowed[0]
        i = allowed.index(now) if now in allowed else 0
        os.sched_setaffinity(0, {allowed[(i + k) % len(allowed)] for k in range(min(n, len(allowed)))})
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


CPUS = pin_cpus(THREADS)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = str(THREADS)
if THREADS == 1:
    # added to, not replaced by, flags inherited from the environment
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

LR = 0.05
N_TRAIN = 7291
# A training sample covers this many images (one step at batch 7291); the
# reported figure is seconds per 7291-image epoch at the same pace.
SAMPLE_IMAGES = 2048
f32 = np.float32

TRAIN_BATCHES = (1, 32, 256, 7291)
MLP_TRAIN = [f"mlp-train-b{b}" for b in TRAIN_BATCHES] + ["mlp-train-b256-t2", "mlp-train-b7291-t2"]
MLP_INFER = ["mlp-infer-b1", "mlp-infer-b256"]
SYSTEMS = {
    "numpy": MLP_TRAIN[:4] + MLP_INFER + ["dense-fwd", "dense-bwd", "sgemm-256"],
    "torch": MLP_TRAIN + MLP_INFER + ["cnn1d-train-b32", "conv2d-train-b32", "dense-fwd", "dense-bwd", "sgemm-256"],
    "torch-foreach": MLP_TRAIN[:4],
    "torch-fused": MLP_TRAIN[:4] + ["conv2d-train-b32"],
    "torch-compile": MLP_TRAIN[:4] + MLP_INFER,
    "torch-script": MLP_INFER,
    "torch-nomkldnn": ["cnn1d-train-b32", "conv2d-train-b32"],
    "onnxruntime": MLP_INFER,
    "jax": MLP_TRAIN[:4] + MLP_INFER,
}


# ------------------------------------------------------------ process ----

def task_schedstat():
    """(run ns, wait ns) summed over the process's threads (/proc/self/task/*/schedstat)."""
    run = wait = 0
    try:
        for t in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{t}/schedstat") as f:
                    a = f.read().split()
                run += int(a[0])
                wait += int(a[1])
            except OSError:
                pass  # a thread that ended meanwhile
    except OSError:
        return 0, 0
    return run, wait


def status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak():
    """Resets VmHWM to the current RSS (Linux >= 4.0); False when not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def sample(fn, min_time, min_n, warm=1, max_n=5000):
    """Warm-up calls, then samples of `fn` until `min_time` seconds and
    `min_n` samples; each sample is (wall s, run-queue wait s)."""
    for _ in range(warm):
        fn()
    out = []
    total = 0.0
    c0, w0 = time.process_time(), time.perf_counter()
    while (total < min_time or len(out) < min_n) and len(out) < max_n:
        _, q0 = task_schedstat()
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        _, q1 = task_schedstat()
        out.append((dt, (q1 - q0) / 1e9))
        total += dt
    return out, time.process_time() - c0, time.perf_counter() - w0


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
    x = img.reshape(len(img), 256).astype(f32) / f32(255.0)
    return np.ascontiguousarray(x), lab.astype(np.int64)


def load(folder):
    if not os.path.isdir(folder):
        sys.exit(f"error: no USPS folder at {folder} (use --data or FLAMBEAU_DATA)")
    xtr, ytr = load_split(folder, "usps-train")
    xte, _ = load_split(folder, "usps-t10k")
    if len(xtr) != N_TRAIN or len(xte) < 1792:
        sys.exit(f"error: expected {N_TRAIN} training and at least 1792 test images, got {len(xtr)} / {len(xte)}")
    return xtr, ytr, xte


# ---------------------------------------------------------- workloads ----

def parse(workload):
    """('mlp', 'train', batch, threads) from e.g. 'mlp-train-b256-t2'."""
    parts = workload.split("-")
    threads = 1
    if parts[-1].startswith("t"):
        threads = int(parts.pop()[1:])
    batch = int(parts[2][1:]) if len(parts) > 2 else 0
    return parts[0], parts[1], batch, threads


def train_sampler(step, batch, rng):
    """A training sample: a fresh shuffle, then batches covering SAMPLE_IMAGES
    images (one step at batch 7291). Returns (fn, images per sample)."""
    images = N_TRAIN if batch >= N_TRAIN else SAMPLE_IMAGES
    steps = max(1, images // batch)

    def fn():
        order = rng.permutation(N_TRAIN)
        for s in range(steps):
            step(order[s * batch:(s + 1) * batch])
    return fn, steps * min(batch, N_TRAIN)


def infer_sampler(forward, xte, batch):
    count = 1024 if batch == 1 else 1792
    x = xte[:count]
    chunks = [np.ascontiguousarray(x[s:s + batch]) for s in range(0, count, batch)]

    def fn():
        for c in chunks:
            forward(c)
    return fn, count


# NumPy ------------------------------------------------------------------

class Linear:
    def __init__(self, n_in, n_out, rng):
        k = 1.0 / np.sqrt(n_in)
        self.w = rng.uniform(-k, k, (n_out, n_in)).astype(f32)
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


class NpMlp:
    def __init__(self):
        r = np.random.default_rng(42)
        self.layers = (Linear(256, 128, r), Tanh(), Linear(128, 64, r), Tanh(), Linear(64, 10, r))

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def train_step(self, x, labels):
        z = self.forward(x)
        m = z.max(axis=1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        g = e / s
        g[rows, labels] -= f32(1)
        g /= f32(len(labels))
        for layer in reversed(self.layers):
            g = layer.backward(g)
        for layer in self.layers:
            layer.step(f32(LR))


def numpy_cell(workload, xtr, ytr, xte, rng):
    kind, what, batch, _ = parse(workload)
    if kind == "mlp" and what == "train":
        m = NpMlp()
        return train_sampler(lambda idx: m.train_step(xtr[idx], ytr[idx]), batch, rng)
    if kind == "mlp" and what == "infer":
        m = NpMlp()
        return infer_sampler(m.forward, xte, batch)
    if kind == "dense":
        lin = Linear(256, 256, np.random.default_rng(1))
        x = ((np.arange(256 * 256) % 7).astype(f32) * f32(0.1)).reshape(256, 256)
        g = np.full((256, 256), f32(1.0 / (256 * 256)), dtype=f32)
        if what == "fwd":
            return (lambda: [float(lin.forward(x).mean()) for _ in range(10)]), 10 * 2.0 * 256 ** 3
        lin.forward(x)
        return (lambda: [lin.backward(g) for _ in range(10)]), 10 * 4.0 * 256 ** 3
    if kind == "sgemm":
        n = batch if batch else int(what)
        a = rng.random((n, n), dtype=f32)
        b = rng.random((n, n), dtype=f32)
        c = np.empty((n, n), dtype=f32)
        return (lambda: [np.matmul(a, b, out=c) for _ in range(10)]), 10 * 2.0 * n ** 3
    raise KeyError(workload)


# PyTorch ----------------------------------------------------------------

def torch_cell(system, workload, xtr, ytr, xte, rng, scratch):
    import torch
    from torch import nn

    kind, what, batch, threads = parse(workload)
    torch.set_num_threads(threads)
    torch.manual_seed(42)

    def mlp():
        return nn.Sequential(nn.Linear(256, 128), nn.Tanh(), nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10))

    def cnn1d():
        return nn.Sequential(nn.Unflatten(1, (1, 256)), nn.Conv1d(1, 32, 3), nn.MaxPool1d(2, 2), nn.Flatten(),
                             nn.Linear(4064, 10))

    def lenet():
        return nn.Sequential(nn.Unflatten(1, (1, 16, 16)), nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(),
                             nn.MaxPool2d(2, 2), nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
                             nn.Flatten(), nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, 10))

    if system == "torch-nomkldnn":
        torch.backends.mkldnn.enabled = False

    if what == "train":
        model = {"mlp": mlp, "cnn1d": cnn1d, "conv2d": lenet}[kind]()
        model.train()
        opt_kw = {"foreach": False}
        if system == "torch-foreach":
            opt_kw = {"foreach": True}
        elif system in ("torch-fused", "torch-compile"):
            opt_kw = {"fused": True}
        opt = torch.optim.SGD(model.parameters(), lr=LR, **opt_kw)
        ce = nn.CrossEntropyLoss()
        fwd = torch.compile(model) if system == "torch-compile" else model
        xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)

        def step(idx):
            ix = torch.from_numpy(idx)
            xb, tb = xt[ix], yt[ix]
            opt.zero_grad(set_to_none=True)
            loss = ce(fwd(xb), tb)
            loss.backward()
            opt.step()
        fn, images = train_sampler(step, batch, rng)
        if system == "torch-compile":
            fn()  # the warm-up compiles; a second pass settles the last partial shape
        return fn, images

    if what == "infer":
        model = mlp().eval()
        if system == "torch-script":
            with torch.inference_mode(False), torch.no_grad():
                traced = torch.jit.trace(model, torch.from_numpy(xte[:batch]))
                model = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        elif system == "torch-compile":
            model = torch.compile(model)

        def forward(c):
            with torch.inference_mode():
                return model(torch.from_numpy(c))
        if system == "torch-script":
            def forward(c):  # noqa: F811  (a frozen module runs under no_grad)
                with torch.no_grad():
                    return model(torch.from_numpy(c))
        return infer_sampler(forward, xte, batch)

    if kind == "dense":
        torch.manual_seed(1)
        lin = nn.Linear(256, 256)
        x = (torch.arange(256 * 256) % 7).float().mul(0.1).reshape(256, 256).requires_grad_(True)
        if what == "fwd":
            def fwd10():
                with torch.no_grad():
                    for _ in range(10):
                        lin(x).mean()
            return fwd10, 10 * 2.0 * 256 ** 3

        def bwd10():
            for _ in range(10):
                x.grad = None
                lin.zero_grad(set_to_none=True)
                y = lin(x).mean()
                t0 = time.perf_counter()
                y.backward()
                scratch.append(time.perf_counter() - t0)
        # the forward is outside the figure: the sampler subtracts it (see `timed_part`)
        return bwd10, 10 * 4.0 * 256 ** 3

    if kind == "sgemm":
        n = int(what)
        a, b, c = torch.rand(n, n), torch.rand(n, n), torch.empty(n, n)

        def mm10():
            with torch.inference_mode():
                for _ in range(10):
                    torch.mm(a, b, out=c)
        return mm10, 10 * 2.0 * n ** 3
    raise KeyError(workload)


# ONNX Runtime, ONNX export ---------------------------------------------

def export_onnx(folder, xte):
    import torch
    from torch import nn
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(256, 128), nn.Tanh(), nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10)).eval()
    for b in (1, 256):
        path = os.path.join(folder, f"mlp-b{b}.onnx")
        tmp = path + ".tmp"
        torch.onnx.export(model, (torch.from_numpy(xte[:b]),), tmp, input_names=["x"], output_names=["logits"],
                          dynamo=True, external_data=False)
        os.replace(tmp, path)
    raw = os.path.join(folder, "usps-test-1792.f32")
    np.ascontiguousarray(xte[:1792], dtype="<f4").tofile(raw + ".tmp")
    os.replace(raw + ".tmp", raw)


def ort_cell(workload, xte, onnx_dir):
    import onnxruntime as ort
    _, _, batch, threads = parse(workload)
    path = os.path.join(onnx_dir, f"mlp-b{batch}.onnx")
    if not os.path.exists(path):
        sys.exit(f"error: {path} not found (the driver exports it first: py_cell.py export)")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return infer_sampler(lambda c: sess.run(None, {"x": c}), xte, batch)


# JAX --------------------------------------------------------------------

def jax_cell(workload, xtr, ytr, xte, rng):
    import jax
    import jax.numpy as jnp
    kind, what, batch, _ = parse(workload)
    r = np.random.default_rng(42)
    params = []
    for n_in, n_out in ((256, 128), (128, 64), (64, 10)):
        k = 1.0 / math.sqrt(n_in)
        params.append((jnp.asarray(r.uniform(-k, k, (n_in, n_out)).astype(f32)),
                       jnp.asarray(r.uniform(-k, k, n_out).astype(f32))))

    def forward(p, x):
        for i, (w, b) in enumerate(p):
            x = x @ w + b
            if i < 2:
                x = jnp.tanh(x)
        return x

    if what == "infer":
        f = jax.jit(forward)
        return infer_sampler(lambda c: f(params, c).block_until_ready(), xte, batch)

    def loss(p, x, y):
        z = forward(p, x)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), y[:, None], axis=1))

    @jax.jit
    def step(p, x, y):
        g = jax.grad(loss)(p, x, y)
        return jax.tree_util.tree_map(lambda a, b: a - LR * b, p, g)

    state = [params]

    def one(idx):
        state[0] = step(state[0], xtr[idx], ytr[idx])
    fn, images = train_sampler(one, batch, rng)

    def synced():
        fn()
        jax.block_until_ready(state[0])
    return synced, images


# ----------------------------------------------------------------- run ----

def environment():
    """What ran: BLAS kernels and thread counts (threadpoolctl), PyTorch's CPU capability."""
    info = {}
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture",
                                                      "threading_layer", "filepath")} for p in threadpool_info()]
    except ImportError:
        info["threadpools"] = "threadpoolctl not installed"
    if "torch" in sys.modules:
        import torch
        info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        info["torch_threads"] = torch.get_num_threads()
        info["torch_mkldnn"] = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
        try:
            from torch._dynamo.utils import counters
            hits = {k: v for k, v in counters["inductor"].items() if "cache" in k}
            hits.update({k: v for k, v in counters["aot_autograd"].items() if "cache" in k})
            if hits:
                info["compile_cache"] = dict(hits)
        except (ImportError, AttributeError, KeyError):
            pass
    for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        info[v] = os.environ.get(v)
    return info


def run(system, workload, min_time, data, onnx_dir):
    if system not in SYSTEMS:
        sys.exit(f"error: unknown system '{system}' (py_cell.py list)")
    if workload not in SYSTEMS[system]:
        sys.exit(f"error: system '{system}' has no workload '{workload}' (py_cell.py list)")
    if parse(workload)[3] != THREADS:
        sys.exit(f"error: workload '{workload}' runs {parse(workload)[3]} thread(s) but FLAMBEAU_BENCH_THREADS is "
                 f"{THREADS}: unset it or make them agree")
    from threadpoolctl import threadpool_limits
    limits = threadpool_limits(THREADS)  # noqa: F841  (kept for the whole process)
    if system.startswith("torch"):
        import torch  # noqa: F401  (imported before the baseline, as every torch cell does)
        torch.set_num_threads(THREADS)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
    if system == "onnxruntime":
        import onnxruntime  # noqa: F401
    if system == "jax":
        import jax  # noqa: F401
    xtr, ytr, xte = load(data)
    rss_base = status_kb("VmRSS")
    peak_reset = reset_peak()
    rng = np.random.default_rng(7)
    scratch = []
    if system == "numpy":
        fn, work = numpy_cell(workload, xtr, ytr, xte, rng)
    elif system == "onnxruntime":
        fn, work = ort_cell(workload, xte, onnx_dir)
    elif system == "jax":
        fn, work = jax_cell(workload, xtr, ytr, xte, rng)
    else:
        fn, work = torch_cell(system, workload, xtr, ytr, xte, rng, scratch)
    kind, what, batch, threads = parse(workload)
    warm = 2 if system in ("torch-compile", "jax") else 1
    samples, cpu, wall = sample(fn, min_time, 5, warm=warm)
    if scratch:
        # dense backward (PyTorch): keep only the time spent in backward() of each sample
        per = [sum(scratch[i:i + 10]) for i in range(10 * warm, len(scratch), 10)]
        samples = [(t, w) for t, (_, w) in zip(per, samples)]
    env = environment()
    return {
        "system": system, "workload": workload, "threads": threads, "cpus": CPUS, "work": work, "samples": samples,
        "cpu_s": cpu, "wall_s": wall, "rss_base_kb": rss_base,
        "rss_peak_kb": status_kb("VmHWM") if peak_reset else None, "env": env,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("system")
    r.add_argument("workload")
    r.add_argument("--min-time", type=float, default=1.0)
    r.add_argument("--data", required=True, help="folder with the USPS IDX .gz files")
    r.add_argument("--onnx", default=None, help="folder written by 'export' (ONNX Runtime cells)")
    e = sub.add_parser("export")
    e.add_argument("folder")
    e.add_argument("--data", required=True)
    sub.add_parser("list")
    a = ap.parse_args()
    if a.cmd == "list":
        print(json.dumps(SYSTEMS, indent=1))
    elif a.cmd == "export":
        _, _, xte = load(a.data)
        export_onnx(a.folder, xte)
    else:
        print(json.dumps(run(a.system, a.workload, a.min_time, a.data, a.onnx)))


if __name__ == "__main__":
    main()
