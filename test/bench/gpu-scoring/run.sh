#!/usr/bin/env bash
# On the GPU machine: stages the bundle that prepare.sh built, then measures the benchmark CNN
# (224×224×3) in images/s: onnxruntime-node on the CUDA provider (float32 and uint8 input, batch
# 32–256, 1–4 runs in flight; WebGPU once), onnxruntime-gpu in Python (host input float32 / uint8,
# and I/O-bound on the GPU), and PyTorch (input on the GPU; float32 / uint8 copied from the host).
# First checks that model-uint8.onnx scores as model.onnx on the same pixels (CPU and CUDA). Writes $OUT/results.jsonl, $OUT/log.txt
# and $OUT/summary.md (the table with ratios), and prints the table.
#   bash test/bench/gpu-scoring/run.sh
# Environment: BUNDLE (default .cache/gpu-bundle), WORK (default /tmp/gpu-scoring: kept while the
# machine stays warm, so a second call can bring only another provider), PROVIDER (slim | sm90;
# default: sm90 when the bundle has it, else slim), SECONDS_PER_PEER (default 4), PEERS=quick
# (a CPU-only dry run of the same steps) or PEERS=sessions (only the uint8 rows with runs spread
# over several sessions, and PyTorch), SKIP_GL=1 (do not unpack the Vulkan loader into /: for a dry run elsewhere).
# Exit 4 when neither the bundle's common/ nor an earlier call's staging is there.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
bundle=${BUNDLE:-$repo/.cache/gpu-bundle}
work=${WORK:-/tmp/gpu-scoring}
out=${OUT:-$work/out}
seconds=${SECONDS_PER_PEER:-4}
mkdir -p "$out" "$work"
results=$out/results.jsonl
: > "$results"
log() { echo "run: $*" | tee -a "$out/log.txt"; }
bind=$work/node_modules/onnxruntime-node/bin/napi-v6/linux/x64

# 1. Node, onnxruntime-node, onnxruntime-gpu's Python package, the model.
if [ -d "$bundle/common" ]; then
  log "staging ${bundle#"$repo"/}/common in $work"
  rm -rf "$work/node_modules" "$work/py" "$work/model" "$work/gl"
  mkdir -p "$work/bin" "$work/py" "$work/node_modules"
  xz -dc "$bundle/common/node.xz" > "$work/bin/node" && chmod +x "$work/bin/node"
  tar -xJf "$bundle/common/ort-node.tar.xz" -C "$work/node_modules"
  tar -xJf "$bundle/common/ort-python.tar.xz" -C "$work/py"
  cp -r "$bundle/common/model" "$bundle/common/gl" "$work/"
  cp "$bundle/common/libonnxruntime_providers_shared.so" "$bind/"
elif [ -x "$work/bin/node" ] && [ -d "$bind" ]; then
  log "reusing $work from an earlier call"
else
  log "no $bundle/common and nothing staged in $work (a fresh machine?): call with common/ in carry first"
  exit 4
fi
export PATH="$work/bin:$PATH"

# 2. The CUDA provider (one copy, shared by Node and Python).
variant=${PROVIDER:-}
if [ -z "$variant" ]; then
  if [ -f "$bundle/sm90/libonnxruntime_providers_cuda.so.xz" ]; then variant=sm90; else variant=slim; fi
fi
if [ -f "$bundle/$variant/libonnxruntime_providers_cuda.so.xz" ]; then
  log "CUDA provider: $variant"
  xz -dc "$bundle/$variant/libonnxruntime_providers_cuda.so.xz" > "$bind/libonnxruntime_providers_cuda.so"
  echo "$variant" > "$work/provider-variant"
elif [ -f "$bind/libonnxruntime_providers_cuda.so" ]; then
  variant=$(cat "$work/provider-variant" 2>/dev/null || echo "?")
  log "CUDA provider: $variant (staged earlier)"
else
  log "no CUDA provider in $bundle/$variant: the CUDA peers will fail"
fi
ln -sf "$bind/libonnxruntime_providers_cuda.so" "$bind/libonnxruntime_providers_shared.so" "$work/py/onnxruntime/capi/" 2>/dev/null

# 3. CUDA 13 libraries: those of the machine's PyTorch (nvidia-* wheels), then the toolkit's.
libdirs=$(python3 - <<'EOF'
import glob, os, sys
dirs = set()
try:
    import nvidia
    for p in nvidia.__path__:
        for f in glob.glob(os.path.join(p, "**", "lib*.so*"), recursive=True):
            dirs.add(os.path.dirname(f))
except Exception as e:
    print(f"run: no nvidia-* Python packages ({e})", file=sys.stderr)
print(":".join(sorted(dirs)))
EOF
)
# ONNX Runtime loads cuDNN / cuFFT / NVRTC by name; the wheels ship only versioned files.
mkdir -p "$work/links"
IFS=: read -r -a dirs <<< "$libdirs"
for d in "${dirs[@]}" /usr/local/cuda/lib64; do
  for f in "$d"/lib{cudnn,cufft,nvrtc,cublas,cublasLt,cudart,curand}.so.[0-9]*; do
    [ -e "$f" ] || continue
    base=$(basename "$f" | sed -E 's/(\.so)\..*/\1/')
    [ -e "$d/$base" ] || [ -e "$work/links/$base" ] || ln -s "$f" "$work/links/$base"
  done
done
export LD_LIBRARY_PATH="${libdirs:+$libdirs:}$work/links:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CUDA_MODULE_LOADING=LAZY # pruned providers: never load the modules whose code was zeroed

# 4. Vulkan loader for the WebGPU provider (Dawn inside onnxruntime-node).
if [ -z "${SKIP_GL:-}" ]; then # SKIP_GL=1: a dry run on a machine whose / must stay as it is
  for f in "$work"/gl/*.deb; do dpkg -x "$f" / 2>/dev/null; done
  ldconfig 2>/dev/null
fi
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  for j in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$j" ] && export VK_DRIVER_FILES=$j && break
  done
fi

# 5. What this machine is.
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "node $(node -v); CUDA_MODULE_LOADING=$CUDA_MODULE_LOADING; VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "provider's libraries:"; ldd "$bind/libonnxruntime_providers_cuda.so" | grep -E 'not found|libcu|libnv'
} 2>&1 | tee -a "$out/log.txt"

# 6. The measurements; one failing does not stop the others.
model=$work/model/model.onnx
model8=$work/model/model-uint8.onnx
node_peer() { # node_peer EP INPUT BATCH IN_FLIGHT [more score-node.mjs arguments]
  local ep=$1 input=$2 b=$3 n=$4 m=$model
  shift 4
  [ "$input" = uint8 ] && m=$model8
  log "onnxruntime-node --ep $ep --input $input --batch $b --concurrency $n $*"
  local text
  text=$(timeout 180 node "$here/score-node.mjs" --model "$m" --node-modules "$work/node_modules" --seconds "$seconds" \
    --ep "$ep" --input "$input" --batch "$b" --concurrency "$n" "$@" 2>&1)
  printf '%s\n' "$text" | tee -a "$out/log.txt" | grep -v '^RESULT '
  if printf '%s\n' "$text" | grep -q '^RESULT '; then
    printf '%s\n' "$text" | grep '^RESULT ' | sed "s/^RESULT //; s/}\$/,\"provider\":\"$variant\"}/" >> "$results"
  else # died before its RESULT line (a crash in a provider, the timeout): keep its last words
    local why
    why=$(printf '%s\n' "$text" | tail -3 | tr '\n\t"\\' '    ' | cut -c1-400)
    echo "{\"runtime\":\"onnxruntime-node\",\"ep\":\"$ep\",\"input\":\"$input\",\"batch\":$b,\"concurrency\":$n,\"error\":\"exited without a result: $why\"}" >> "$results"
  fi
}
py_peer() { # py_peer BATCHES PEERS
  log "python --batch $1 --only $2"
  timeout 300 python3 "$here/score_python.py" --model "$model" --model-uint8 "$model8" --seconds "$seconds" --batch "$1" --only "$2" 2>&1 |
    tee -a "$out/log.txt" | tee -a /dev/stderr | grep '^RESULT ' | sed 's/^RESULT //' >> "$results"
}
check_uint8() { # the uint8 model scores as the float32 one on the same pixels (CPU, then CUDA)
  log "check-uint8 --ep $1"
  timeout 120 node "$here/check-uint8.mjs" --dir "$work/model" --node-modules "$work/node_modules" --ep "$1" 2>&1 |
    tee -a "$out/log.txt" | tee -a /dev/stderr | grep '^RESULT ' | sed 's/^RESULT //' >> "$results"
}
# PEERS=quick: a dry run (CPU only, small batches) of the same steps.
if [ "${PEERS:-}" = quick ]; then
  check_uint8 cpu
  node_peer cpu float32 2 1 --check --warmup 1
  node_peer cpu uint8 2 2 --warmup 1
  py_peer 2 ort-cuda,ort-cuda-u8
elif [ "${PEERS:-}" = sessions ]; then # runs in flight over several sessions, against PyTorch's
  node_peer cuda uint8 32 1
  node_peer cuda uint8 64 1
  for b in 32 64 128; do for n in 2 4; do node_peer cuda uint8 $b $n --sessions $n; done; done
  node_peer cuda uint8 256 2 --sessions 2
  py_peer 32,64,128,256 torch,torch-host-u8
else
  check_uint8 cpu
  check_uint8 cuda
  node_peer cuda float32 32 1 --check
  node_peer cuda uint8 32 1 --check
  node_peer cuda uint8 32 4
  for b in 64 128 256; do node_peer cuda uint8 $b 1; done
  for b in 128 256; do node_peer cuda uint8 $b 2; done
  node_peer cuda uint8 128 4
  for b in 32 64 128; do for n in 2 4; do node_peer cuda uint8 $b $n --sessions $n; done; done
  node_peer cuda float32 128 1
  node_peer webgpu uint8 32 1 --check
  PYTHONPATH=$work/py py_peer 32,128 ort-cuda,ort-cuda-u8,ort-cuda-bound
  py_peer 32,64,128,256 torch,torch-host,torch-host-u8
fi

# 7. The table.
node "$here/summarize.mjs" "$results" | tee "$out/summary.md"
