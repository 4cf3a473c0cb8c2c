"""Tutorial 2-3: batch scoring with Spark. Scores a folder (or abfs:// / wasbs:// prefix) of CSV
and Parquet files with the toolkit's model.onnx + metadata.json, as lib/serve/batch scores them:

- a partition is an input file; a file with a row the scorer cannot read is quarantined whole
  (copied to <output>/quarantine/<key> with <key>.reason.json), the job goes on;
- ONNX Runtime runs inside mapInPandas, one session per Python worker (custom_ai_scoring.py);
- results: Parquet (or CSV) under <output>/results/, partitioned by the input partition's name,
  with the input's id column, the label and p_<label> per class;
- progress lines `@spark-progress {...}` and a last line `@spark-result {...}` on stdout.

spark-submit --py-files environments/spark/custom_ai_scoring.py environments/spark/score_batch.py \
    --model out/models/breast-cancer-mlp --input data/in --output data/out
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from datetime import datetime, timezone

from pyspark import AccumulatorParam
from pyspark.sql import SparkSession
from pyspark.sql.types import FloatType, StringType, StructField, StructType

import custom_ai_scoring as cas

RESULT = "@spark-result "
PROGRESS = "@spark-progress "


class DictMerge(AccumulatorParam):
    """Accumulates dicts: a retried task writes the same keys again instead of adding twice."""

    def zero(self, value):
        return {}

    def addInPlace(self, a, b):
        a.update(b)
        return a


def emit(prefix: str, value: dict) -> None:
    sys.stdout.write(prefix + json.dumps(value) + "\n")
    sys.stdout.flush()


def result_schema(labels: list) -> StructType:
    return StructType(
        [StructField("partition", StringType(), False), StructField("id", StringType(), False), StructField("label", StringType(), False)]
        + [StructField(f"p_{label}", FloatType(), False) for label in labels]
    )


def scorer(model_bc, keys_bc, quarantined_acc, rows_acc, sessions_acc):
    """The function mapInPandas runs: binaryFile rows (path, content) in, result rows out."""

    def run(batches):
        import numpy as np
        import pandas as pd

        model = model_bc.value
        keys = keys_bc.value
        cas.session_for(model)  # created once per Python worker, reused by every later task
        sessions_acc.add({os.getpid(): cas.SESSIONS_CREATED})
        columns = ["partition", "id", "label"] + [f"p_{label}" for label in model.labels]
        labels = np.asarray(model.labels, dtype=object)
        for files in batches:
            for path, content in zip(files["path"], files["content"]):
                key = keys.get(path)
                if key is None:
                    continue
                try:
                    ids, raw = cas.read_partition(key, bytes(content), model.features)
                except cas.CorruptInput as error:
                    quarantined_acc.add({key: f"{key}: {error}"})
                    continue
                probs = cas.score(model, raw)
                rows_acc.add({key: len(ids)})
                name = cas.partition_name(key)
                best = probs.argmax(axis=1) if len(ids) else np.zeros(0, dtype=int)
                for start in range(0, len(ids), 65536):
                    end = min(start + 65536, len(ids))
                    frame = {"partition": name, "id": ids[start:end], "label": labels[best[start:end]]}
                    for c, label in enumerate(model.labels):
                        frame[f"p_{label}"] = probs[start:end, c]
                    yield pd.DataFrame(frame, columns=columns)

    return run


def hadoop(spark):
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    return jvm, conf


def qualified(spark, location: str) -> str:
    jvm, conf = hadoop(spark)
    path = jvm.org.apache.hadoop.fs.Path(location)
    return str(path.getFileSystem(conf).makeQualified(path).toString())


def read_model(spark, location: str) -> cas.Model:
    jvm, conf = hadoop(spark)
    root = jvm.org.apache.hadoop.fs.Path(location)
    fs = root.getFileSystem(conf)

    def read(name):
        path = jvm.org.apache.hadoop.fs.Path(root, name)
        if not fs.exists(path):
            return None
        # Small files: through binaryFile, which reads any Hadoop file system into bytes.
        row = spark.read.format("binaryFile").load(str(fs.makeQualified(path).toString())).select("content").first()
        return bytes(row[0])

    return cas.load_model(read, location.rstrip("/"))


def write_text(spark, location: str, text: str) -> None:
    jvm, conf = hadoop(spark)
    path = jvm.org.apache.hadoop.fs.Path(location)
    out = path.getFileSystem(conf).create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def copy_file(spark, source: str, target: str) -> None:
    jvm, conf = hadoop(spark)
    src = jvm.org.apache.hadoop.fs.Path(source)
    dst = jvm.org.apache.hadoop.fs.Path(target)
    jvm.org.apache.hadoop.fs.FileUtil.copy(src.getFileSystem(conf), src, dst.getFileSystem(conf), dst, False, True, conf)


def watch_progress(spark, files: int, stop: threading.Event) -> None:
    """Prints the running stages' task counts every half second (the statusTracker, no UI needed)."""
    tracker = spark.sparkContext.statusTracker()
    last = None
    while not stop.wait(0.5):
        try:
            stages = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
            stages = [s for s in stages if s is not None]
            if not stages:
                continue
            state = {
                "stage": max(s.stageId for s in stages),
                "tasks": sum(s.numTasks for s in stages),
                "completed": sum(s.numCompletedTasks for s in stages),
                "active": sum(s.numActiveTasks for s in stages),
                "failed": sum(s.numFailedTasks for s in stages),
                "files": files,
            }
            if state != last:
                emit(PROGRESS, state)
                last = state
        except Exception:  # noqa: BLE001 — progress is best effort; the job decides
            pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="folder or URL of model.onnx + metadata.json")
    parser.add_argument("--input", required=True, help="folder or URL of CSV / Parquet files")
    parser.add_argument("--output", required=True, help="folder or URL for results/ and quarantine/")
    parser.add_argument("--results-format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--partitions", type=int, default=0, help="Spark partitions to score in (default: one per input file)")
    args = parser.parse_args(argv)

    started = time.time()
    spark = SparkSession.builder.appName("custom-ai-batch-scoring").getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("CUSTOM_AI_SPARK_LOG_LEVEL", "WARN"))
    # One file per Arrow batch: a file is read, scored and quarantined as one unit.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1")
    # One input file per Spark partition (no shuffle of the file bytes) unless --partitions says otherwise.
    spark.conf.set("spark.sql.files.openCostInBytes", str(1 << 40))
    try:
        model = read_model(spark, args.model)
        in_root = qualified(spark, args.input)
        out_root = qualified(spark, args.output).rstrip("/")
        listing = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(in_root)
        paths = [r.path for r in listing.select("path").collect()]
        keys = {path: key for key, path in cas.input_keys(paths, in_root)}
        wanted = sorted(keys, key=lambda p: keys[p])
        sc = spark.sparkContext
        model_bc = sc.broadcast(model)
        keys_bc = sc.broadcast(keys)
        quarantined = sc.accumulator({}, DictMerge())
        rows = sc.accumulator({}, DictMerge())
        sessions = sc.accumulator({}, DictMerge())
        files = spark.read.format("binaryFile").load(wanted) if wanted else None
        load_s = time.time() - started
        stop = threading.Event()
        watcher = threading.Thread(target=watch_progress, args=(spark, len(wanted), stop), daemon=True)
        watcher.start()
        score_started = time.time()
        try:
            if files is not None:
                source = files.select("path", "content")
                if args.partitions:
                    source = source.repartition(args.partitions, "path")
                scored = source.mapInPandas(
                    scorer(model_bc, keys_bc, quarantined, rows, sessions), result_schema(model.labels)
                )
                writer = scored.write.mode("overwrite").partitionBy("partition")
                target = f"{out_root}/results"
                writer.option("header", "true").csv(target) if args.results_format == "csv" else writer.parquet(target)
        finally:
            stop.set()
            watcher.join()
        score_s = time.time() - score_started
        bad = dict(sorted(quarantined.value.items()))
        path_of = {key: path for path, key in keys.items()}
        for key, reason in bad.items():
            copy_file(spark, path_of[key], f"{out_root}/quarantine/{key}")
            at = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
            write_text(spark, f"{out_root}/quarantine/{key}.reason.json", json.dumps({"partition": key, "reason": reason, "at": at}))
        total = sum(rows.value.values())
        summary = {
            "model": model.name,
            "input": in_root,
            "output": out_root,
            "files": len(wanted),
            "scored": len(rows.value),
            "quarantined": [{"partition": k, "reason": r} for k, r in bad.items()],
            "rows": total,
            "seconds": round(time.time() - started, 3),
            "startupSeconds": round(load_s, 3),
            "scoreSeconds": round(score_s, 3),
            "rowsPerSecond": round(total / score_s, 1) if score_s > 0 else 0,
            "sessionsPerWorker": {str(k): v for k, v in sessions.value.items()},
            "resultsFormat": args.results_format,
            "master": spark.sparkContext.master,
            "sparkVersion": spark.version,
        }
        write_text(spark, f"{out_root}/summary.json", json.dumps(summary, indent=2))
        emit(RESULT, summary)
        return 0
    except cas.ModelProblem as error:
        emit(RESULT, {"error": "BAD_MODEL", "message": str(error)})
        return 3
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
