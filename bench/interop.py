"""Round trip of trained models between flambeau and PyTorch.

Forward: each kind of model the harness trains is trained briefly with the
`flambeau` command line, its `model.safetensors` is loaded into the
equivalent `torch.nn.Sequential` with `safetensors.torch.load_file` and
`load_state_dict(strict=True)`, and the two frameworks' outputs on the USPS
test set (the checkerboard: a grid of points) are compared.

Reverse: the USPS MLP and the LeNet CNN are trained in PyTorch, saved as
safetensors (`save_file`, no architecture in the metadata) with an int64
buffer `num_batches_tracked`, in F32, F16 and BF16 copies, and each copy is
evaluated by `flambeau evaluate --arch ... --non-strict` on the test set and
compared with PyTorch's outputs for the same (rounded) weights.

Usage (bench/interop.sh makes the environment and builds the binary):

    python bench/interop.py --flambeau target/release/flambeau --data ../shared/data --work target/interop
"""
import argparse
import csv
import gzip
import os
import struct
import subprocess
import sys
import time

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn


def idx(path):
    """An IDX file (gzip) as a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def usps(data, split):
    d = os.path.join(data, "usps")
    images = idx(os.path.join(d, f"usps-{split}-images-idx3-ubyte.gz")).reshape(-1, 256)
    labels = idx(os.path.join(d, f"usps-{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    return images, labels


def mlp(sigmoid=False):
    layers = [nn.Linear(256, 128), nn.Tanh(), nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10)]
    return nn.Sequential(*(layers + ([nn.Sigmoid()] if sigmoid else [])))


class Image(nn.Module):
    """Reshapes rows of 256 pixels to (channels, *dims)."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


def conv1d():
    return nn.Sequential(
        nn.Conv1d(1, 32, 3), nn.MaxPool1d(2, 2), nn.Flatten(), nn.Linear(4064, 100), nn.ReLU(), nn.Linear(100, 10)
    )


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def autoencoder(k):
    return nn.Sequential(nn.Linear(256, k), nn.Tanh(), nn.Linear(k, 256), nn.Sigmoid())


def checkerboard():
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1), nn.Sigmoid())


def run(cmd):
    print("  $ " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(cmd)}\n{out.stdout}{out.stderr}")
    return out.stdout + out.stderr


def metadata(path):
    with safe_open(path, "pt") as f:
        return f.metadata() or {}


def pixels(images, meta):
    """Test images as the model's inputs: `p * input_scale + input_offset` (flambeau's mapping, f32)."""
    scale = np.float32(float(meta.get("input_scale", 1 / 255)))
    offset = np.float32(float(meta.get("input_offset", 0)))
    unit = images.astype(np.float32) / np.float32(255)
    return unit * np.float32(255) * scale + offset


def torch_outputs(net, x, shape=None):
    with torch.no_grad():
        t = torch.from_numpy(np.ascontiguousarray(x))
        if shape:
            t = t.reshape(t.shape[0], *shape)
        return net(t).numpy()


def evaluate_outputs(flambeau, model, data, out, extra=()):
    """`flambeau evaluate`'s outputs (predictions.csv, full precision) and its report line."""
    text = run([flambeau, "--quiet", "--data", data, "evaluate", "--model", model, "--out", out, *extra])
    with open(os.path.join(out, "predictions.csv")) as f:
        rows = list(csv.DictReader(f))
    outputs = np.array([[float(r[f"out{c}"]) for c in range(10)] for r in rows], dtype=np.float64)
    return outputs, text


def compare(kind, ours, theirs, labels=None):
    diff = float(np.max(np.abs(ours - theirs)))
    row = {"kind": kind, "max |diff|": f"{diff:.2e}"}
    if labels is not None:
        a, b = ours.argmax(1), theirs.argmax(1)
        row["agreement"] = f"{100 * np.mean(a == b):.2f} %"
        row["accuracy flambeau"] = f"{100 * np.mean(a == labels):.2f} %"
        row["accuracy PyTorch"] = f"{100 * np.mean(b == labels):.2f} %"
    return row


def forward(args, images, labels):
    """flambeau trains, PyTorch loads strictly and compares."""
    e = str(args.epochs)
    cases = [
        ("USPS MLP, cross-entropy", ["usps-mlp", "--loss", "ce", "--recipe", "best"], "model.safetensors", mlp(), None),
        ("USPS MLP, MSE", ["usps-mlp", "--loss", "mse"], "model.safetensors", mlp(sigmoid=True), None),
        ("1-D CNN (conv1d report)", ["conv1d", "--arch", "report"], "model.safetensors", conv1d(), (1, 256)),
        ("2-D LeNet CNN (conv2d)", ["conv2d"], "model.safetensors", lenet(), (1, 16, 16)),
        ("auto-encoder, code 32", ["autoencoder", "--codes", "32"], "model-32.safetensors", autoencoder(32), None),
        ("checkerboard", ["checkerboard"], "model.safetensors", checkerboard(), None),
    ]
    rows, archs = [], {}
    for kind, cmd, file, net, shape in cases:
        print(f"{kind}:", flush=True)
        tag = "-".join([cmd[0]] + [c for c in cmd[1:] if not c.startswith("-")])
        out = os.path.join(args.work, "forward", tag)
        run([args.flambeau, "--quiet", "--data", args.data, *cmd, "--epochs", e, "--out", out])
        path = os.path.join(out, file)
        meta = metadata(path)
        archs[tag] = meta.get("architecture")
        net.load_state_dict(load_file(path), strict=True)
        net.eval()
        if cmd[0] == "checkerboard":
            g = np.linspace(-1.5, 1.5, 41, dtype=np.float32)
            points = np.array([(a, b) for a in g for b in g], dtype=np.float32)
            grid = os.path.join(args.work, "forward", "grid.csv")
            np.savetxt(grid, points, delimiter=",", fmt="%.6f")
            points = np.loadtxt(grid, delimiter=",", dtype=np.float32)
            preds = os.path.join(out, "grid-predictions.csv")
            run([args.flambeau, "--quiet", "predict", "--model", path, grid, "--out", preds])
            with open(preds) as f:
                ours = np.array([[float(r["p1"])] for r in csv.DictReader(f)])
            theirs = torch_outputs(net, points)
            rows.append(compare(kind + " (1681 grid points, CSV at 4 decimals)", ours, theirs))
        elif meta.get("output") == "reconstruction":
            preds = os.path.join(out, "test-reconstructions.csv")
            test = os.path.join(args.data, "usps", "usps-t10k-images-idx3-ubyte.gz")
            run([args.flambeau, "--quiet", "predict", "--model", path, test, "--invert", "no", "--out", preds])
            with open(preds) as f:
                ours = np.array([[float(r[f"p{c}"]) for c in range(256)] for r in csv.DictReader(f)])
            theirs = torch_outputs(net, pixels(images, meta))
            rows.append(compare(kind + " (CSV at 4 decimals)", ours, theirs))
        else:
            ours, _ = evaluate_outputs(args.flambeau, path, args.data, os.path.join(out, "evaluate"))
            theirs = torch_outputs(net, pixels(images, meta), shape)
            rows.append(compare(kind, ours, theirs, labels))
    return rows, archs


def train_torch(net, x, y, epochs, shape=None):
    torch.manual_seed(1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    if shape:
        xs = xs.reshape(xs.shape[0], *shape)
    for _ in range(epochs):
        for idx_ in torch.randperm(len(ys)).split(32):
            opt.zero_grad()
            nn.functional.cross_entropy(net(xs[idx_]), ys[idx_]).backward()
            opt.step()
            net.num_batches_tracked += 1
    net.eval()


def reverse(args, archs, images, labels):
    """PyTorch trains and saves F32, F16 and BF16 copies with an int64 buffer; flambeau evaluates them."""
    train_x, train_y = usps(args.data, "train")
    x = train_x.astype(np.float32) / 255
    rows = []
    for name, make, shape, arch_of in [("USPS MLP", mlp, None, "usps-mlp-ce-best"), ("2-D LeNet CNN", lenet, (1, 16, 16), "conv2d")]:
        torch.manual_seed(1)
        net = make()
        net.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.int64))
        print(f"PyTorch {name}: training {args.epochs} epochs", flush=True)
        train_torch(net, x, train_y, args.epochs, shape)
        arch = archs[arch_of]
        for dtype, tag in [(torch.float32, "F32"), (torch.float16, "F16"), (torch.bfloat16, "BF16")]:
            sd = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in net.state_dict().items()}
            path = os.path.join(args.work, "reverse", f"{name.split()[-1].lower()}-{tag.lower()}.safetensors")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            save_file({k: v.contiguous() for k, v in sd.items()}, path, metadata={"format": "pt"})
            strict = subprocess.run(
                [args.flambeau, "--quiet", "--data", args.data, "evaluate", "--model", path, "--arch", arch,
                 "--out", path + ".strict"], capture_output=True, text=True)
            refused = strict.returncode != 0 and "num_batches_tracked" in strict.stderr
            ours, _ = evaluate_outputs(args.flambeau, path, args.data, path + ".evaluate",
                                       ["--arch", arch, "--non-strict"])
            same = make()
            same.load_state_dict({k: v.float() for k, v in sd.items() if k != "num_batches_tracked"}, strict=True)
            same.eval()
            theirs = torch_outputs(same, pixels(images, {}), shape)
            row = compare(f"PyTorch {name} {tag} -> flambeau", ours, theirs, labels)
            row["kind"] += " (strict load refused the int64 buffer)" if refused else " (strict load did NOT refuse)"
            rows.append(row)
    return rows


def table(rows):
    cols = ["kind", "max |diff|", "agreement", "accuracy flambeau", "accuracy PyTorch"]
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(r.get(c, "–") for c in cols) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--flambeau", required=True, help="the flambeau binary")
    p.add_argument("--data", required=True, help="data folder holding usps/")
    p.add_argument("--work", required=True, help="folder for the runs and files")
    p.add_argument("--epochs", type=int, default=2, help="epochs of every training run (default 2)")
    args = p.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    images, labels = usps(args.data, "t10k")
    rows, archs = forward(args, images, labels)
    rows += reverse(args, archs, images, labels)
    print()
    print(f"torch {torch.__version__}, {len(labels)} USPS test images, {args.epochs} epochs per run, "
          f"{time.time() - start:.0f} s")
    print(table(rows))


if __name__ == "__main__":
    main()
