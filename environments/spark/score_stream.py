"""Tutorial 2-1: real-time scoring with Spark Structured Streaming. Reads records from Kafka (Event
Hubs' Kafka endpoint in Azure) or from a folder of JSON-lines files, scores each micro-batch with
the toolkit's model.onnx + metadata.json (one ONNX Runtime session per Python worker, the
metadata's preprocessing: custom_ai_scoring.py), and writes to a Parquet file sink with a
checkpoint, so that a job killed and restarted loses nothing and writes nothing twice: Spark's
file sink commits each micro-batch in <output>/_spark_metadata/<batchId> (readers trust that log,
not the folder listing), and the checkpoint records the source offsets of each batch before it runs.

A record is a JSON object: {"id": "...", "<feature>": number, ..., "sentAt": epoch ms (optional)}.
One the scorer cannot read (not JSON, a feature missing or not a finite number) is written as a
quarantined row (no label, `error` says why, `value` holds the record); the stream goes on.

Prints `@spark-batch {...}` after each micro-batch (id, rows, durations, commit time).

spark-submit --jars <kafka connector jars> --py-files custom_ai_scoring.py score_stream.py \
    --model m --source kafka --bootstrap 127.0.0.1:9092 --topic scoring --output out --checkpoint ckpt
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQueryListener
from pyspark.sql.types import FloatType, LongType, StringType, StructField, StructType

import custom_ai_scoring as cas

BATCH = "@spark-batch "
RESULT = "@spark-result "


def emit(prefix: str, value: dict) -> None:
    sys.stdout.write(prefix + json.dumps(value) + "\n")
    sys.stdout.flush()


class BatchReporter(StreamingQueryListener):
    """One `@spark-batch` line per micro-batch: after its sink commit (onQueryProgress)."""

    def onQueryStarted(self, event):
        emit(BATCH, {"event": "started", "id": str(event.id), "runId": str(event.runId), "atMs": int(time.time() * 1000)})

    def onQueryProgress(self, event):
        p = event.progress
        emit(
            BATCH,
            {
                "event": "progress",
                "name": p.name,
                "batchId": p.batchId,
                "rows": p.numInputRows,
                "durationMs": dict(p.durationMs),
                "committedAtMs": int(time.time() * 1000),
                "inputRowsPerSecond": p.inputRowsPerSecond,
                "processedRowsPerSecond": p.processedRowsPerSecond,
            },
        )

    def onQueryIdle(self, event):
        pass

    def onQueryTerminated(self, event):
        emit(BATCH, {"event": "terminated", "exception": event.exception})


def scored_schema(labels: list) -> StructType:
    return StructType(
        [
            StructField("id", StringType(), True),
            StructField("label", StringType(), True),
            *[StructField(f"p_{label}", FloatType(), True) for label in labels],
            StructField("sentAt", LongType(), True),
            StructField("scoredAt", LongType(), True),
            StructField("error", StringType(), True),
            StructField("value", StringType(), True),
        ]
    )


def parse_record(value: str, features: list):
    """(id, [feature values], sentAt) of one record, or CorruptInput saying why not."""
    try:
        record = json.loads(value)
    except (TypeError, ValueError) as error:
        raise cas.CorruptInput(f"not JSON ({error})") from None
    if not isinstance(record, dict):
        raise cas.CorruptInput("not a JSON object")
    row = []
    for f in features:
        v = record.get(f)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise cas.CorruptInput(f"column {f}: {json.dumps(v)} is not a number")
        row.append(float(v))
    sent = record.get("sentAt")
    return str(record.get("id", "")), row, int(sent) if isinstance(sent, (int, float)) else None


def scorer(model_bc):
    def run(batches):
        import warnings

        import numpy as np
        import pandas as pd

        warnings.filterwarnings("ignore", category=FutureWarning)  # pandas' concat of all-NA columns

        model = model_bc.value
        cas.session_for(model)
        labels = model.labels
        for frame in batches:
            ids, rows, sent, bad = [], [], [], []
            for value, key, ts in zip(frame["value"], frame["key"], frame["ts"]):
                try:
                    rid, row, at = parse_record(value, model.features)
                    ids.append(rid or (key or ""))
                    rows.append(row)
                    sent.append(int(ts) if ts is not None and ts == ts else at)
                except cas.CorruptInput as error:
                    bad.append((key, str(error), value))
            now = int(time.time() * 1000)
            out = {"id": ids}
            if rows:
                probs = cas.score(model, np.asarray(rows, dtype=np.float32))
                out["label"] = [labels[i] for i in probs.argmax(axis=1)]
                for c, label in enumerate(labels):
                    out[f"p_{label}"] = probs[:, c]
            else:
                out["label"] = []
                for label in labels:
                    out[f"p_{label}"] = np.zeros(0, dtype=np.float32)
            good = pd.DataFrame(out)
            good["sentAt"] = pd.array(sent, dtype="Int64")
            good["scoredAt"] = now
            good["error"] = None
            good["value"] = None
            if bad:
                q = pd.DataFrame({"id": [k for k, _, _ in bad], "error": [e for _, e, _ in bad], "value": [v for _, _, v in bad]})
                q["label"] = None
                for label in labels:
                    q[f"p_{label}"] = np.nan
                q["sentAt"] = pd.array([None] * len(bad), dtype="Int64")
                q["scoredAt"] = now
                good = pd.concat([good, q[good.columns]], ignore_index=True)
            yield good

    return run


def read_model(spark, location: str) -> cas.Model:
    def read(name):
        path = os.path.join(location, name)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    return cas.load_model(read, location)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--source", choices=["kafka", "files"], default="kafka")
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (kafka source)")
    parser.add_argument("--topic", help="Kafka topic (kafka source)")
    parser.add_argument("--input", help="folder of JSON-lines files (files source)")
    parser.add_argument("--output", required=True, help="folder of the Parquet file sink")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--trigger-ms", type=int, default=1000)
    parser.add_argument("--max-per-batch", type=int, default=0, help="Kafka: maxOffsetsPerTrigger; files: maxFilesPerTrigger")
    parser.add_argument("--stop-after-idle-ms", type=int, default=0, help="stop after this long with no new rows (0: run until killed)")
    args = parser.parse_args(argv)

    spark = SparkSession.builder.appName("custom-ai-stream-scoring").getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("CUSTOM_AI_SPARK_LOG_LEVEL", "WARN"))
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    # The sink's log keeps one file per micro-batch (no compaction): <output>/_spark_metadata/<batchId>
    # says which Parquet files each batch committed, which is how lib/spark reads the sink.
    spark.conf.set("spark.sql.streaming.fileSink.log.compactInterval", "1000000")
    spark.streams.addListener(BatchReporter())
    model = read_model(spark, args.model)
    model_bc = spark.sparkContext.broadcast(model)

    if args.source == "kafka":
        reader = (
            spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", args.bootstrap)
            .option("subscribe", args.topic)
            .option("startingOffsets", "earliest")
            .option("failOnDataLoss", "true")
        )
        if args.max_per_batch:
            reader = reader.option("maxOffsetsPerTrigger", str(args.max_per_batch))
        # The record's Kafka timestamp (the producer's send time): where end-to-end latency starts.
        source = reader.load().select(
            F.col("key").cast("string").alias("key"),
            F.col("value").cast("string").alias("value"),
            (F.unix_micros(F.col("timestamp")) / 1000).cast("long").alias("ts"),
        )
    else:
        reader = spark.readStream.format("text")
        if args.max_per_batch:
            reader = reader.option("maxFilesPerTrigger", str(args.max_per_batch))
        source = reader.load(args.input).select(F.lit(None).cast("string").alias("key"), F.col("value"), F.lit(None).cast("long").alias("ts"))

    scored = source.mapInPandas(scorer(model_bc), scored_schema(model.labels))
    query = (
        scored.writeStream.format("parquet")
        .queryName("custom-ai-scoring")
        .option("path", args.output)
        .option("checkpointLocation", args.checkpoint)
        .trigger(processingTime=f"{args.trigger_ms} milliseconds")
        .outputMode("append")
        .start()
    )
    try:
        if args.stop_after_idle_ms:
            # Stops once no micro-batch has brought rows for this long (a bounded run: tests, notebooks).
            # Idle: no micro-batch has brought rows for this long, none is running, and the last
            # trigger found no new data (the first batch, which includes start-up, must have finished).
            seen, last = None, None
            while query.isActive:
                time.sleep(0.25)
                recent = query.recentProgress
                with_rows = [p for p in recent if p["numInputRows"] > 0]
                if with_rows and with_rows[-1]["batchId"] != seen:
                    seen, last = with_rows[-1]["batchId"], time.time()
                elif recent and last is None:
                    last = time.time()
                status = query.status
                if status["isTriggerActive"] or status["isDataAvailable"]:
                    continue
                if last is not None and time.time() - last > args.stop_after_idle_ms / 1000:
                    query.stop()
        query.awaitTermination()
    finally:
        emit(RESULT, {"stopped": True, "lastBatchId": (query.lastProgress or {}).get("batchId")})
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
