"""The Pillow + onnxruntime peer of the batch-scoring benchmark's image case: a folder of PNG / JPEG
files scored with an image model (model.onnx + metadata.json with an "image" preprocessing step).
The same partitioning as ours: the sorted image keys in chunks of --images-per-partition,
partition i -> process i mod N; each image decoded with Pillow, scaled as the image step says,
scored in batches, written as results/images-NNNNN.csv (id = the image key, label, p_<label>...).
Prints {"rows": ..., "seconds": ...}.

usage: python batch_pillow.py --model DIR --input DIR --output DIR [--workers N] [--batch-size 512] [--images-per-partition 500]
"""
import argparse
import json
import multiprocessing as mp
import os
import time

import numpy as np
import onnxruntime as ort
import pandas as pd
from PIL import Image

EXTENSIONS = (".png", ".jpg", ".jpeg")


def score(rank: int, args: argparse.Namespace, partitions: list, meta: dict) -> int:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(args.model, "model.onnx"), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    labels = np.asarray(meta["labels"])
    step = next(p for p in meta["preprocessing"] if p["kind"] == "image")
    height, width, channels = step["height"], step["width"], step["channels"]
    scale, offset = np.float32(step.get("scale", 1 / 255)), np.float32(step.get("offset", 0))
    mode = "L" if channels == 1 else "RGB"
    results = os.path.join(args.output, "results")
    os.makedirs(results, exist_ok=True)
    rows = 0
    for index, keys in enumerate(partitions):
        if index % args.workers != rank:
            continue
        probs = []
        for start in range(0, len(keys), args.batch_size):
            batch = keys[start : start + args.batch_size]
            x = np.empty((len(batch), height, width, channels), dtype=np.float32)
            for i, key in enumerate(batch):
                with Image.open(os.path.join(args.input, key)) as image:
                    pixels = np.asarray(image.convert(mode), dtype=np.float32)
                x[i] = (pixels * scale + offset).reshape(height, width, channels)
            probs.append(session.run(None, {input_name: x})[0])
        p = np.concatenate(probs)
        out = pd.DataFrame({"id": keys, "label": labels[p.argmax(axis=1)]})
        for j, label in enumerate(labels):
            out[f"p_{label}"] = p[:, j]
        name = f"images-{index:05d}"
        tmp = os.path.join(results, f".{name}.csv.tmp-{os.getpid()}")
        out.to_csv(tmp, index=False)
        os.replace(tmp, os.path.join(results, f"{name}.csv"))
        rows += len(keys)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--images-per-partition", type=int, default=500)
    args = parser.parse_args()
    started = time.perf_counter()
    with open(os.path.join(args.model, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    keys = []
    for folder, dirs, files in os.walk(args.input):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        rel = os.path.relpath(folder, args.input)
        keys += [n if rel == "." else f"{rel}/{n}" for n in files if n.lower().endswith(EXTENSIONS) and not n.startswith(".")]
    keys.sort()
    per = args.images_per_partition
    partitions = [keys[i : i + per] for i in range(0, len(keys), per)]
    with mp.get_context("fork").Pool(args.workers) as pool:
        rows = sum(pool.starmap(score, [(rank, args, partitions, meta) for rank in range(args.workers)]))
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
