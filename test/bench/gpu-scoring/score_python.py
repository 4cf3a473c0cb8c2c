#!/usr/bin/env python3
"""The Python peers of score-node.mjs on the same GPU and the same model.onnx:

  ort-cuda        onnxruntime-gpu, CUDA provider, host numpy batch (copied to the GPU each run,
                  as onnxruntime-node does)
  ort-cuda-u8     the same, with uint8 pixels into model-uint8.onnx (Cast + Div 255 on the GPU)
  ort-cuda-bound  the same with I/O binding: input and output stay on the GPU (the ceiling)
  torch           PyTorch, the same architecture (weights read from model.onnx), input on the GPU
  torch-host      PyTorch with the host NHWC float32 batch copied and permuted each batch
  torch-host-u8   PyTorch with the host NHWC uint8 batch copied, then permuted, cast and / 255 on the GPU

  score_python.py --model model.onnx [--model-uint8 model-uint8.onnx] [--batch 32[,128,...]]
                  [--seconds 8] [--only ort-cuda,torch,...]

Every peer scores the same pixels (uint8; the float32 peers get pixels / 255), so their outputs
are compared per batch size at the end. A list of batch sizes runs every peer at each.

Prints a human line and one `RESULT {json}` line per peer. A peer that cannot run prints its
error in RESULT and the others go on. Needs numpy; onnxruntime-gpu for ort-* (its CUDA provider
must really be in use: Python ONNX Runtime falls back to the CPU silently, which is reported as
an error here); torch and onnx for torch*.
"""
import argparse
import json
import os
import time

import numpy as np

SIZE = 224


def result_line(r):
    print(f"RESULT {json.dumps(r)}", flush=True)


def measure(run, batch, seconds, sync=lambda: None):
    lat = []
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        s = time.perf_counter()
        run()
        sync()
        lat.append(time.perf_counter() - s)
    elapsed = time.perf_counter() - start
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000
    return {
        "imagesPerSecond": round(len(lat) * batch / elapsed),
        "runs": len(lat),
        "seconds": round(elapsed, 2),
        "p50BatchMs": round(pct(50), 2),
        "p99BatchMs": round(pct(99), 2),
    }


def host_pixels(batch):
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (batch, SIZE, SIZE, 3), dtype=np.uint8)


def host_batch(batch):
    return host_pixels(batch).astype(np.float32) / np.float32(255)


def ort_peer(name, model, batch, seconds, warmup, model_uint8=None):
    import onnxruntime as ort

    uint8 = name == "ort-cuda-u8"
    if uint8:
        model = model_uint8
    r = {"runtime": "onnxruntime-python", "peer": name, "ortVersion": ort.__version__, "batch": batch, "input": "uint8" if uint8 else "float32"}
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, so, providers=[("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"])
    used = sess.get_providers()
    r["providers"] = used
    if used[0] != "CUDAExecutionProvider":
        raise RuntimeError(f"the CUDA provider did not load (session providers: {used}); see ONNX Runtime's log above")
    x = host_pixels(batch) if uint8 else host_batch(batch)
    if name in ("ort-cuda", "ort-cuda-u8"):
        run = lambda: sess.run(["probabilities"], {"image": x})
    else:
        x_gpu = ort.OrtValue.ortvalue_from_numpy(x, "cuda", 0)
        io = sess.io_binding()
        io.bind_ortvalue_input("image", x_gpu)
        io.bind_output("probabilities", "cuda", 0)
        run = lambda: sess.run_with_iobinding(io)
    for _ in range(warmup):
        run()
    r.update(measure(run, batch, seconds))
    r["_probabilities"] = sess.run(["probabilities"], {"image": x})[0]
    return r


def torch_model(model_path):
    """The CNN of make-model.ts in PyTorch, with the weights of model.onnx (Conv OIHW; Gemm [in, out])."""
    import onnx
    import torch
    from onnx import numpy_helper

    g = onnx.load(model_path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    layers = []
    for node in g.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Conv":
            w, b = init[node.input[1]], init[node.input[2]]
            conv = torch.nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), padding=attrs.get("pads", [0])[0])
            conv.weight.data = torch.from_numpy(w.copy())
            conv.bias.data = torch.from_numpy(b.copy())
            layers.append(conv)
        elif node.op_type == "Relu":
            layers.append(torch.nn.ReLU())
        elif node.op_type == "MaxPool":
            layers.append(torch.nn.MaxPool2d(tuple(attrs["kernel_shape"]), tuple(attrs["strides"])))
        elif node.op_type == "GlobalAveragePool":
            layers.append(torch.nn.AdaptiveAvgPool2d(1))
        elif node.op_type == "Flatten":
            layers.append(torch.nn.Flatten(1))
        elif node.op_type == "Gemm":
            w, b = init[node.input[1]], init[node.input[2]]
            w = w if attrs.get("transB", 0) else w.T  # Linear keeps [out, in]
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data = torch.from_numpy(np.ascontiguousarray(w))
            lin.bias.data = torch.from_numpy(b.copy())
            layers.append(lin)
        elif node.op_type == "Softmax":
            layers.append(torch.nn.Softmax(dim=1))
        elif node.op_type == "Transpose":
            pass  # NHWC → NCHW: the NCHW peer takes NCHW input, the host peer permutes
        else:
            raise RuntimeError(f"model.onnx has a {node.op_type} node the PyTorch twin does not know")
    return torch.nn.Sequential(*layers)


def torch_peer(name, model_path, batch, seconds, warmup, model_uint8=None):
    import torch

    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest algorithms
    r = {"runtime": "pytorch", "peer": name, "torchVersion": torch.__version__, "cudnn": torch.backends.cudnn.version(), "batch": batch, "tf32Conv": torch.backends.cudnn.allow_tf32, "input": "uint8" if name == "torch-host-u8" else "float32"}
    if not torch.cuda.is_available():
        raise RuntimeError("torch.cuda.is_available() is False")
    r["gpu"] = torch.cuda.get_device_name(0)
    net = torch_model(model_path).cuda().eval()
    x = host_batch(batch)
    pixels = host_pixels(batch)
    sync = torch.cuda.synchronize
    with torch.inference_mode():
        if name == "torch":
            xg = torch.from_numpy(x).cuda().permute(0, 3, 1, 2).contiguous()
            run = lambda: net(xg)
        elif name == "torch-host-u8":  # 1 byte per pixel over the bus; permute, cast and scale on the GPU
            run = lambda: net(torch.from_numpy(pixels).cuda().permute(0, 3, 1, 2).float().div(255)).cpu()
        else:
            run = lambda: net(torch.from_numpy(x).to("cuda").permute(0, 3, 1, 2)).cpu()
        for _ in range(warmup):
            run()
        sync()
        r.update(measure(run, batch, seconds, sync))
        r["_probabilities"] = run().cpu().numpy()  # this peer's own path, for the comparison
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--model-uint8", help="default: model-uint8.onnx beside --model")
    ap.add_argument("--batch", default="32", help="one batch size or a comma-separated list")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--only", default="ort-cuda,ort-cuda-bound,torch,torch-host")
    a = ap.parse_args()
    try:
        batches = [int(b) for b in a.batch.split(",")]
        assert batches and all(b > 0 for b in batches)
    except (ValueError, AssertionError):
        ap.error(f"--batch takes positive integers separated by commas, not {a.batch!r}")
    peers = a.only.split(",")
    unknown = set(peers) - {"ort-cuda", "ort-cuda-u8", "ort-cuda-bound", "torch", "torch-host", "torch-host-u8"}
    if unknown:
        ap.error(f"unknown peers: {', '.join(sorted(unknown))}")
    model_uint8 = a.model_uint8 or os.path.join(os.path.dirname(a.model), "model-uint8.onnx")
    for batch in batches:
        outputs = {}
        for name in peers:
            try:
                r = (ort_peer if name.startswith("ort") else torch_peer)(name, a.model, batch, a.seconds, a.warmup, model_uint8)
                outputs[name] = r.pop("_probabilities")
                print(f"{name} batch {batch}: {r['imagesPerSecond']} images/s (p50 {r['p50BatchMs']} ms, p99 {r['p99BatchMs']} ms per batch)", flush=True)
            except Exception as e:  # noqa: BLE001 - one peer's failure must not stop the others
                r = {"peer": name, "batch": batch, "error": f"{type(e).__name__}: {e}"[:2000]}
                print(f"{name}: FAILED: {r['error']}", flush=True)
            result_line(r)
        # Same weights, same pixels: the peers should agree (TF32 convolutions differ in the 3rd decimal).
        names = list(outputs)
        for other in names[1:]:
            print(f"batch {batch}: max |Δ| {names[0]} vs {other}: {float(np.abs(outputs[names[0]] - outputs[other]).max()):.2e}", flush=True)


if __name__ == "__main__":
    main()
