"""What a typical tutorial scoring server does with model.onnx + metadata.json: load both once,
apply the standard scaler, run onnxruntime, return labels and probabilities. Shared by the
FastAPI and Flask peers of the serving benchmark (test/bench/serving-realtime.bench.ts)."""
import base64
import io
import json
import math
import os

import numpy as np
import onnxruntime as ort


class BadRequest(Exception):
    pass


class Scorer:
    def __init__(self, model_dir: str):
        with open(os.path.join(model_dir, "metadata.json"), encoding="utf-8") as f:
            meta = json.load(f)
        self.name = meta["name"]
        self.labels = meta.get("labels")
        inp = meta["inputs"][0]
        self.features = inp.get("features")
        self.row_shape = [int(d) for d in inp["shape"][1:]]
        self.row_size = int(np.prod(self.row_shape))
        scaler = next((p for p in meta.get("preprocessing", []) if p.get("kind") == "standard-scaler"), None)
        if scaler:
            self.mean = np.asarray(scaler["mean"], dtype=np.float32)
            std = np.asarray(scaler["std"], dtype=np.float32)
            self.std = np.where(std == 0, 1, std).astype(np.float32)
        else:
            self.mean = self.std = None
        image = next((p for p in meta.get("preprocessing", []) if p.get("kind") == "image"), None)
        self.pixel_scale = float(image.get("scale", 1 / 255)) if image else 1 / 255
        self.pixel_offset = float(image.get("offset", 0)) if image else 0.0
        options = ort.SessionOptions()
        threads = os.environ.get("ORT_INTRA_OP_THREADS")
        if threads:
            options.intra_op_num_threads = int(threads)
        self.session = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        # Warm up, as a server should before taking traffic.
        self.run(np.zeros((1, self.row_size), dtype=np.float32))

    def run(self, rows: np.ndarray) -> np.ndarray:
        x = rows.reshape([rows.shape[0], *self.row_shape]).astype(np.float32, copy=False)
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return self.session.run(None, {self.input_name: x})[0]

    def rows_from_body(self, body) -> np.ndarray:
        """{"records": [...]}, one record, {"instances": [...]} or {"images": [base64 PNG, ...]}."""
        if not isinstance(body, dict):
            raise BadRequest("The body must be a JSON object.")
        if "images" in body:
            return np.stack([self.decode_png(base64.b64decode(s)) for s in body["images"]])
        if "instances" in body:
            x = np.asarray(body["instances"], dtype=np.float32).reshape(-1, self.row_size)
            if not np.isfinite(x).all():
                raise BadRequest("instances must be finite numbers.")
            return x
        records = body["records"] if "records" in body else [body]
        if not isinstance(records, list) or not records:
            raise BadRequest('"records" must be a non-empty array.')
        x = np.empty((len(records), len(self.features)), dtype=np.float32)
        for r, rec in enumerate(records):
            for c, f in enumerate(self.features):
                v = rec.get(f) if isinstance(rec, dict) else None
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                    raise BadRequest(f'Feature "{f}" in records[{r}] must be a finite number.')
                x[r, c] = v
        return x

    def decode_png(self, data: bytes) -> np.ndarray:
        from PIL import Image  # only the DL model needs Pillow

        img = Image.open(io.BytesIO(data)).convert("L")
        if img.size != (self.row_shape[1], self.row_shape[0]):
            raise BadRequest(f"Images must be {self.row_shape[1]}x{self.row_shape[0]}.")
        return (np.asarray(img, dtype=np.float32) * self.pixel_scale + self.pixel_offset).reshape(self.row_size)

    def predictions(self, out: np.ndarray) -> list:
        labels = self.labels
        return [{"label": labels[int(np.argmax(p))], "probabilities": dict(zip(labels, p.tolist()))} for p in out]
