"""The polars + onnxruntime peer of the batch-scoring benchmark (test/bench/batch-scoring.bench.ts):
batch_pandas.py with polars in place of pandas — the same N processes (multiprocessing), partition
i -> process i mod N, each partition read whole (pl.read_csv / pl.read_parquet), scaled with
metadata.json's standard scaler, scored with InferenceSession.run in batches, written as
results/<name>.csv (id, label, p_<label>...) through a temporary file and a rename.
Prints {"rows": ..., "seconds": ...}.

usage: python batch_polars.py --model DIR --input DIR --output DIR [--workers N] [--batch-size 512]
"""
import argparse
import json
import multiprocessing as mp
import os
import time


def score(rank: int, args: argparse.Namespace, files: list, meta: dict) -> int:
    # polars is imported in the worker (after the fork): its thread pool does not survive fork.
    os.environ["POLARS_MAX_THREADS"] = "1"  # one core per process, as our workers
    import numpy as np
    import onnxruntime as ort
    import polars as pl

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(args.model, "model.onnx"), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    features = meta["inputs"][0]["features"]
    labels = meta["labels"]
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
        if name.endswith(".parquet"):
            df = pl.read_parquet(path)
        else:
            # ids as text (as pandas keeps them); features read as float32 directly.
            df = pl.read_csv(path, schema_overrides={"id": pl.String, **{f: pl.Float32 for f in features}})
        x = (df.select(features).to_numpy().astype(np.float32, copy=False) - mean) / std
        b = args.batch_size
        probs = np.concatenate([session.run(None, {input_name: x[s : s + b]})[0] for s in range(0, len(x), b)])
        ids = df["id"] if "id" in df.columns else pl.Series("id", np.arange(len(df)))
        out = pl.DataFrame({"id": ids, "label": pl.Series(np.asarray(labels)[probs.argmax(axis=1)])})
        out = out.with_columns([pl.Series(f"p_{label}", probs[:, j]) for j, label in enumerate(labels)])
        stem = name[:-4] if name.endswith(".csv") else name
        tmp = os.path.join(results, f".{stem}.csv.tmp-{os.getpid()}")
        out.write_csv(tmp)
        os.replace(tmp, os.path.join(results, f"{stem}.csv"))
        rows += df.height
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
