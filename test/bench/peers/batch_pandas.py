"""The pandas + onnxruntime peer of the batch-scoring benchmark (test/bench/batch-scoring.bench.ts):
what a typical Python batch-scoring script does with model.onnx + metadata.json. N processes
(multiprocessing), partition i -> process i mod N as our workers; each partition read whole with
pandas (read_csv / read_parquet), scaled with metadata.json's standard scaler, scored with
InferenceSession.run in batches, written as results/<name>.csv (id, label, p_<label>...) through a
temporary file and a rename. Prints {"rows": ..., "seconds": ...}.

usage: python batch_pandas.py --model DIR --input DIR --output DIR [--workers N] [--batch-size 512]
"""
import argparse
import json
import multiprocessing as mp
import os
import time

import numpy as np
import onnxruntime as ort
import pandas as pd


def score(rank: int, args: argparse.Namespace, files: list, meta: dict) -> int:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one core per process, as our workers
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(args.model, "model.onnx"), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    features = meta["inputs"][0]["features"]
    labels = np.asarray(meta["labels"])
    scaler = next(p for p in meta["preprocessing"] if p["kind"] == "standard-scaler")
    mean = np.asarray(scaler["mean"], dtype=np.float32)
    std = np.asarray(scaler["std"], dtype=np.float32)
    std[std == 0] = 1
    results = os.path.join(args.output, "results")
    os.makedirs(results, exist_ok=True)
    rows = 0
    for i, name in enumerate(files):
        if i % args.workers != rank:
            continue
        path = os.path.join(args.input, name)
        df = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
        x = (df[features].to_numpy(dtype=np.float32) - mean) / std
        b = args.batch_size
        probs = np.concatenate([session.run(None, {input_name: x[s : s + b]})[0] for s in range(0, len(x), b)])
        out = pd.DataFrame({"id": df["id"] if "id" in df.columns else np.arange(len(df))})
        out["label"] = labels[probs.argmax(axis=1)]
        for j, label in enumerate(labels):
            out[f"p_{label}"] = probs[:, j]
        stem = name[:-4] if name.endswith(".csv") else name
        tmp = os.path.join(results, f".{stem}.csv.tmp-{os.getpid()}")
        out.to_csv(tmp, index=False)
        os.replace(tmp, os.path.join(results, f"{stem}.csv"))
        rows += len(df)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=512)
    args = parser.parse_args()
    started = time.perf_counter()
    with open(os.path.join(args.model, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    files = sorted(n for n in os.listdir(args.input) if n.endswith((".csv", ".parquet")))
    with mp.get_context("fork").Pool(args.workers) as pool:
        rows = sum(pool.starmap(score, [(rank, args, files, meta) for rank in range(args.workers)]))
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
