# The real-time scoring server on an NVIDIA GPU: `custom-ai serve` (ENTRYPOINTS.serve in
# lib/jobs/entrypoints.ts) with ONNX Runtime's CUDA provider, on CUDA 13 + cuDNN 9 (the provider
# of onnxruntime-gpu 1.30 is built for them; the node needs an NVIDIA driver ≥ 580).
# Build from the repository root: node environments/docker/build.mjs scoring-gpu
# Read-only root filesystem: the server writes only under $TMPDIR (/tmp: mount an emptyDir or a
# tmpfs there). The model: baked in (--build-arg MODEL_DIR=<folder>) or read from Blob Storage at
# start (--model <blob URL>), as in scoring-cpu.Dockerfile.

# --- Node 24 LTS, for the build stages and as the binary the image copies ---
FROM node:24.22.3-trixie-slim AS node

# --- production dependencies, pruned to what `custom-ai serve` loads ---
FROM node AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY environments/docker/images.mjs environments/docker/prune-node-modules.mjs environments/docker/
# No install scripts: onnxruntime-node's would fetch its CUDA provider from NuGet; the next stage
# takes it from PyPI instead.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node environments/docker/prune-node-modules.mjs scoring-gpu

# --- ONNX Runtime's CUDA provider from the onnxruntime-gpu wheel of onnxruntime-node's version ---
FROM python:3.12.12-slim-trixie AS ort-cuda
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY environments/gpu/install-onnxruntime-cuda.mjs environments/gpu/
# Places libonnxruntime_providers_cuda.so and _shared.so beside onnxruntime-node's binding; the
# GPU check runs at start instead (`--execution-provider cuda` fails with the reason).
RUN node environments/gpu/install-onnxruntime-cuda.mjs --no-verify --cache /tmp/onnxruntime-cuda \
 && rm -rf /tmp/onnxruntime-cuda

# --- the image ---
FROM nvidia/cuda:13.0.2-cudnn-runtime-ubuntu24.04
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/custom-ai-on-azure/custom-ai-on-azure
LABEL org.opencontainers.image.title="custom-ai/scoring-gpu" \
      org.opencontainers.image.description="Custom AI on Azure: real-time scoring server (ONNX Runtime, CUDA 13)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    TMPDIR=/tmp
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=ort-cuda /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin/custom-ai.mjs bin/prebuilt.mjs bin/run-ts.mjs ./bin/
# What `custom-ai serve` loads: no lib/train, lib/data or TensorFlow.js.
COPY lib/cli ./lib/cli
COPY lib/core ./lib/core
COPY lib/jobs ./lib/jobs
COPY lib/models ./lib/models
COPY lib/notebook ./lib/notebook
COPY lib/serve ./lib/serve
# The entrypoint pre-built to JavaScript (bin/prebuilt.mjs, into .cache/js): it starts without
# tsx's loader. Stamped with these files as copied, so it is fresh on the read-only filesystem.
RUN node bin/prebuilt.mjs lib/cli/main.ts
ARG MODEL_DIR=environments/docker/no-model
COPY ${MODEL_DIR} ./model/
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/custom-ai.mjs", "serve"]
CMD ["--model", "/app/model", "--host", "0.0.0.0", "--port", "8080", "--execution-provider", "cuda"]
