"""A Seldon MLServer runtime that scores model.onnx with onnxruntime (MLServer ships none for
ONNX). Speaks V2 like the toolkit's /v2/models/{name}/infer: raw FP32 features in, the scaler of
metadata.json applied here, probabilities out. model-settings.json points at it as
"implementation": "mlserver_onnx.OnnxRuntime" with parameters.uri = the model folder."""
import json
import os

import numpy as np
import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse


class OnnxRuntime(MLModel):
    async def load(self) -> bool:
        model_dir = self.settings.parameters.uri
        with open(os.path.join(model_dir, "metadata.json"), encoding="utf-8") as f:
            meta = json.load(f)
        self.row_shape = [int(d) for d in meta["inputs"][0]["shape"][1:]]
        scaler = next((p for p in meta.get("preprocessing", []) if p.get("kind") == "standard-scaler"), None)
        self.mean = np.asarray(scaler["mean"], dtype=np.float32) if scaler else None
        self.std = np.where(np.asarray(scaler["std"]) == 0, 1, scaler["std"]).astype(np.float32) if scaler else None
        options = ort.SessionOptions()
        threads = os.environ.get("ORT_INTRA_OP_THREADS")
        if threads:
            options.intra_op_num_threads = int(threads)
        self.session = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_name = self.session.get_outputs()[0].name
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        x = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32, copy=False)
        x = x.reshape([x.shape[0], *self.row_shape])
        if self.mean is not None:
            x = (x - self.mean) / self.std
        out = self.session.run(None, {self.input_name: x})[0]
        return InferenceResponse(model_name=self.name, outputs=[NumpyCodec.encode_output(self.output_name, out)])
