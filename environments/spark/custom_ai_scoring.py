"""What the Spark jobs share with the toolkit's Node batch scorer (lib/serve/batch): the model
(model.onnx + metadata.json, checked against the sha256 the metadata records), the metadata's
preprocessing, and the input rules, so that a row is scored — or its file quarantined — exactly
as the Node scorer does it.

Shipped to the executors with spark-submit --py-files; imports nothing of Spark.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

# Rows per ONNX Runtime call (the Node scorer's default batch size).
BATCH_ROWS = 512


class CorruptInput(Exception):
    """A file the scorer cannot read: the whole file goes to quarantine (the Node scorer's rule)."""


class ModelProblem(Exception):
    """A model the job cannot score with (missing file, checksum, unsupported preprocessing)."""


@dataclass
class Model:
    name: str
    features: list
    labels: list
    onnx: bytes
    onnx_sha256: str
    # (mean, 1/std) per standard-scaler step, float32 as the Node scorer keeps them (1/std = 1 where std is 0).
    steps: list = field(default_factory=list)


def load_model(read, where: str) -> Model:
    """The model at `where`; `read(name)` returns a file's bytes or None."""
    raw = read("metadata.json")
    if raw is None:
        raise ModelProblem(f"No metadata.json at {where}: save the model with saveServableModel (lib/models).")
    meta = json.loads(raw.decode("utf-8"))
    onnx = read("model.onnx")
    if onnx is None:
        raise ModelProblem(f"No model.onnx at {where}: save the model with saveServableModel (lib/models).")
    digest = "sha256:" + hashlib.sha256(onnx).hexdigest()
    recorded = (meta.get("files") or {}).get("model.onnx")
    if recorded and (recorded.get("sha256") != digest or recorded.get("bytes") != len(onnx)):
        raise ModelProblem(f"{where}/model.onnx does not match the save that wrote metadata.json (checksum mismatch): copy the whole model folder again.")
    inputs = meta["inputs"][0]
    features = inputs.get("features") or []
    if not features:
        raise ModelProblem(f"{where}/metadata.json names no input features: the Spark job scores tabular models.")
    out_shape = meta["outputs"][0].get("shape") or []
    labels = meta.get("labels") or [str(i) for i in range(out_shape[-1] if out_shape and isinstance(out_shape[-1], int) else 0)]
    model = Model(name=meta["name"], features=features, labels=labels, onnx=onnx, onnx_sha256=digest)
    width = len(features)
    for i, step in enumerate(meta.get("preprocessing") or []):
        if step.get("kind") == "image":
            continue
        if step.get("kind") != "standard-scaler":
            raise ModelProblem(f"{where}/metadata.json: preprocessing[{i}] is {step.get('kind')!r}, which the scorer cannot apply.")
        if len(step["mean"]) != width:
            raise ModelProblem(f"{where}/metadata.json: preprocessing[{i}] scales {len(step['mean'])} values but a row has {width}.")
        model.steps.append((np.asarray(step["mean"], dtype=np.float32), np.asarray([1.0 if s == 0 else 1.0 / s for s in step["std"]], dtype=np.float32)))
    return model


def preprocess(model: Model, x: np.ndarray) -> np.ndarray:
    """Each scaler as lib/serve/preprocess.ts applies it: (x − mean) × (1/std), computed in double
    from float32 operands and rounded once to float32, as JavaScript does over Float32Arrays."""
    for mu, inv in model.steps:
        x = ((x.astype(np.float64) - mu.astype(np.float64)) * inv.astype(np.float64)).astype(np.float32)
    return x


# One ONNX Runtime session per Python worker process, kept across tasks and batches (Spark reuses
# its Python workers): keyed by the model's digest. SESSIONS_CREATED counts what this process made.
_SESSIONS: dict = {}
SESSIONS_CREATED = 0


def session_for(model: Model):
    global SESSIONS_CREATED
    found = _SESSIONS.get(model.onnx_sha256)
    if found is not None:
        return found
    import onnxruntime as ort

    ort.disable_telemetry_events()
    options = ort.SessionOptions()
    # One thread per session, as the Node batch workers: Spark's parallelism is its tasks.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model.onnx, options, providers=["CPUExecutionProvider"])
    _SESSIONS[model.onnx_sha256] = sess
    SESSIONS_CREATED += 1
    return sess


def score(model: Model, raw: np.ndarray) -> np.ndarray:
    """Probabilities (rows × labels, float32) for raw feature rows (rows × features)."""
    sess = session_for(model)
    name = sess.get_inputs()[0].name
    out = []
    for start in range(0, len(raw), BATCH_ROWS):
        x = preprocess(model, np.ascontiguousarray(raw[start : start + BATCH_ROWS], dtype=np.float32))
        out.append(np.asarray(sess.run(None, {name: x})[0], dtype=np.float32))
    if not out:
        return np.zeros((0, len(model.labels)), dtype=np.float32)
    probs = np.concatenate(out)
    if probs.shape[1] != len(model.labels):
        raise ModelProblem(f"The model gave {probs.shape[1]} outputs per row for {len(model.labels)} labels: its metadata.json does not fit model.onnx.")
    return probs


# --- input rules (lib/serve/batch/readers.ts and csv.ts) -------------------------------------

# What JavaScript's Number() reads as a finite decimal (after trim), hex / octal / binary excluded.
_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_NUMBER_CHARS = frozenset("0123456789+-.eE \t")
# String.prototype.trim's whitespace, the common part of it.
_WS = " \t\n\r\x0b\x0c\xa0\ufeff\u2028\u2029"


def parse_number_cell(cell: str):
    text = cell.strip(_WS)
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def split_csv_line(line: str) -> list:
    if '"' not in line:
        return line.split(",")
    cells, cell, quoted, i = [], [], False, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"' and i + 1 < len(line) and line[i + 1] == '"':
                cell.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                cell.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ",":
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(ch)
        i += 1
    cells.append("".join(cell))
    return cells


def _feature_indices(columns: list, features: list) -> list:
    missing = [f for f in features if f not in columns]
    if missing:
        raise CorruptInput(f"it lacks the model's feature column(s) {', '.join(missing)}")
    return [columns.index(f) for f in features]


def read_csv(data: bytes, features: list):
    """(ids, rows × features float32) of a CSV file, or CorruptInput naming the line. Plain files
    go through pandas' C tokenizer and vectorised checks; anything it is not sure of (quotes, CR,
    a duplicate or odd header, a cell outside the number grammar, a ragged line) is decided by the
    line-by-line reader, which gives the Node scorer's values and messages."""
    fast = _read_csv_fast(data, features)
    return fast if fast is not None else _read_csv_exact(data, features)


def _read_csv_fast(data: bytes, features: list):
    import pandas as pd

    if b'"' in data or b"\r" in data or not data.strip():
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    first, _, rest = text.partition("\n")
    columns = [(c.lstrip("\ufeff") if i == 0 else c).strip(_WS) for i, c in enumerate(first.split(","))]
    if len(set(columns)) != len(columns) or any(f not in columns for f in features) or not rest.strip():
        return None
    try:
        frame = pd.read_csv(io.StringIO(rest), header=None, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=True, engine="c")
    except Exception:  # noqa: BLE001 — a ragged line: the exact reader names it
        return None
    if frame.shape[1] != len(columns) or frame.isna().any().any():  # ragged lines: the exact reader names them
        return None
    n = len(frame)
    out = np.empty((n, len(features)), dtype=np.float32)
    for c, f in enumerate(features):
        cells = frame[columns.index(f)].to_numpy(dtype=object)
        # Only the characters of the decimal grammar (so no inf, nan, 1_000, 0x.., non-ASCII digits,
        # which Python's float() would take and JavaScript's Number() would not); float() then
        # refuses what is still not a number (1e, 1.2.3, blank), and the exact reader names it.
        if not _NUMBER_CHARS.issuperset("".join(cells)):
            return None
        try:
            values = cells.astype(np.float64)
        except ValueError:
            return None
        if not np.isfinite(values).all():
            return None
        out[:, c] = values
    if "id" in columns:
        ids = frame[columns.index("id")].str.strip(_WS).tolist()
    else:
        ids = [str(i) for i in range(n)]
    return ids, out


def _read_csv_exact(data: bytes, features: list):
    text = data.decode("utf-8", errors="replace")
    lines = re.split(r"\r\n|\n|\r", text)
    if lines and lines[-1] == "":
        lines.pop()
    columns = None
    ids, values = [], []
    at, id_at, data_row = [], -1, 0
    for number, line in enumerate(lines, start=1):
        if line.strip(_WS) == "":
            continue
        cells = split_csv_line(line)
        if columns is None:
            columns = [(c.lstrip("\ufeff") if i == 0 else c).strip(_WS) for i, c in enumerate(cells)]
            at = _feature_indices(columns, features)
            id_at = columns.index("id") if "id" in columns else -1
            continue
        if len(cells) != len(columns):
            raise CorruptInput(f"line {number} has {len(cells)} columns, the header {len(columns)}")
        row = []
        for f, c in zip(features, at):
            value = parse_number_cell(cells[c])
            if value is None:
                raise CorruptInput(f"line {number}, column {f}: {json.dumps(cells[c], ensure_ascii=False)} is not a number")
            row.append(value)
        values.append(row)
        ids.append(cells[id_at].strip(_WS) if id_at >= 0 else str(data_row))
        data_row += 1
    if columns is None:
        raise CorruptInput("the file is empty (no header row)")
    return ids, np.asarray(values, dtype=np.float32).reshape(len(values), len(features))


def _js_string(value) -> str:
    """String(value) as JavaScript writes a Parquet id (1.0 → "1")."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def read_parquet(data: bytes, features: list):
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 — any reader failure is a corrupt file
        raise CorruptInput(f"it is not a readable Parquet file ({error})") from None
    _feature_indices(table.column_names, features)
    n = table.num_rows
    out = np.empty((n, len(features)), dtype=np.float32)
    for c, f in enumerate(features):
        column = table.column(f).to_pandas()
        numeric = column.to_numpy(dtype=np.float64, na_value=np.nan) if column.dtype.kind in "fiub" else None
        if numeric is None:
            raise CorruptInput(f"row 0, column {f}: {column.iloc[0] if n else ''} is not a number")
        finite = np.isfinite(numeric)
        if not finite.all():
            bad = int(np.argmin(finite))
            raise CorruptInput(f"row {bad}, column {f}: {_js_number(column.iloc[bad])} is not a number")
        out[:, c] = numeric
    ids = [_js_string(v) for v in table.column("id").to_pylist()] if "id" in table.column_names else [str(i) for i in range(n)]
    return ids, out


def _js_number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN" if value is not None else "null"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def read_partition(key: str, data: bytes, features: list):
    return read_parquet(data, features) if key.lower().endswith(".parquet") else read_csv(data, features)


def partition_name(key: str) -> str:
    """The Node scorer's partition name: the key with / → __, without a .csv extension."""
    return re.sub(r"\.csv$", "", key, flags=re.IGNORECASE).replace("/", "__")


def input_keys(paths: list, root: str) -> list:
    """(key, path) of the files the Node scorer would read, sorted by key: CSV / Parquet, no hidden
    files or _ folders."""
    root = root.rstrip("/") + "/"
    keys = []
    for p in paths:
        key = p[len(root) :] if p.startswith(root) else p.rsplit("/", 1)[-1]
        parts = key.split("/")
        if any(part.startswith(".") or part.startswith("_") for part in parts):
            continue
        if key.lower().endswith((".csv", ".parquet")):
            keys.append((key, p))
    return sorted(keys)
