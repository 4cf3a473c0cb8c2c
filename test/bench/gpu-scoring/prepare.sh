#!/usr/bin/env bash
# Builds the bundle that lets run.sh score the benchmark CNN on a GPU machine with no Node.js and
# no package registries (the device machine: H100 / H200, CUDA 13 driver, PyTorch preinstalled).
#   test/bench/gpu-scoring/prepare.sh [BUNDLE_DIR]     (default .cache/gpu-bundle; keep it git-ignored)
# Needs here: node + this repo's node_modules, python3 with pip, xz, zstd, and the session tool
# ../shared/tools/gpu-node-bundle (Node binary + Vulkan loader packages).
#
# BUNDLE_DIR/common  node.xz, gl/*.deb, ort-node.tar.xz (onnxruntime-node for linux/x64 only),
#                    ort-python.tar.xz (onnxruntime-gpu's Python package, without its CUDA provider),
#                    model/ (model.onnx, model-uint8.onnx, model.json), libonnxruntime_providers_shared.so
# BUNDLE_DIR/slim    the CUDA provider with sm_90 device code only, less LLM-only kernels (fits one call)
# BUNDLE_DIR/sm90    the CUDA provider with all sm_90 device code (a second call, if slim fails)
# The CUDA provider comes from the onnxruntime-gpu wheel of onnxruntime-node's version (PyPI).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
bundle=$(mkdir -p "${1:-$repo/.cache/gpu-bundle}" && cd "${1:-$repo/.cache/gpu-bundle}" && pwd)
limit=$((64 * 1024 * 1024))
tool=${GPU_NODE_BUNDLE:-$repo/../shared/tools/gpu-node-bundle}
nm=$repo/node_modules
ver=$(node -p "require('$nm/onnxruntime-node/package.json').version")
wheels=$repo/.cache/onnxruntime-cuda/$ver
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say() { echo "prepare: $*"; }
for c in node python3 xz zstd tar; do command -v "$c" >/dev/null || { echo "prepare: needs $c" >&2; exit 1; }; done
[ -x "$tool" ] || { echo "prepare: no $tool (the session's gpu-node-bundle tool); set GPU_NODE_BUNDLE" >&2; exit 1; }

rm -rf "$bundle/common" "$bundle/slim" "$bundle/sm90"
mkdir -p "$bundle/common/model" "$bundle/slim" "$bundle/sm90"

say "Node binary and Vulkan loaders ($tool)"
"$tool" "$bundle/common" >/dev/null

say "model (tfjs Layers → exportOnnx)"
(cd "$repo" && node bin/run-ts.mjs test/bench/gpu-scoring/make-model.ts "$bundle/common/model" 2>&1 | grep '^make-model')

say "onnxruntime-node $ver, linux/x64 only"
(cd "$nm" && tar -cf - onnxruntime-node/package.json onnxruntime-node/dist onnxruntime-common \
  onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node) |
  xz -T2 -6 > "$bundle/common/ort-node.tar.xz"

whl=$(ls "$wheels"/onnxruntime_gpu-"$ver"-cp312-*.whl 2>/dev/null | head -1 || true)
if [ -z "$whl" ]; then
  say "downloading onnxruntime-gpu==$ver (cp312, for the device's Python 3.12)"
  mkdir -p "$wheels"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 -d "$wheels" "onnxruntime-gpu==$ver"
  whl=$(ls "$wheels"/onnxruntime_gpu-"$ver"-cp312-*.whl | head -1)
fi
say "onnxruntime-gpu's Python package from $(basename "$whl")"
python3 - "$whl" "$tmp/py" <<'EOF'
import sys, zipfile
whl, dest = sys.argv[1:]
# The CUDA provider travels once, in slim/ or sm90/; TensorRT's and the C API library are not used.
skip = ("libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so", "libonnxruntime.so.")
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.startswith("onnxruntime/") and not any(s in n for s in skip):
            z.extract(n, dest)
    z.extract("onnxruntime/capi/libonnxruntime_providers_cuda.so", dest + "-cuda")
EOF
cp "$tmp/py/onnxruntime/capi/libonnxruntime_providers_shared.so" "$bundle/common/"
(cd "$tmp/py" && tar -cf - onnxruntime) | xz -T2 -6 > "$bundle/common/ort-python.tar.xz"

provider=$tmp/py-cuda/onnxruntime/capi/libonnxruntime_providers_cuda.so
say "CUDA provider, sm_90 only ($(du -m "$provider" | cut -f1) MB before)"
python3 "$here/prune_fatbin.py" "$provider" "$tmp/sm90.so" --arch 90
xz -T2 -6 -c "$tmp/sm90.so" > "$bundle/sm90/libonnxruntime_providers_cuda.so.xz"
say "CUDA provider, sm_90 without LLM-only kernels"
python3 "$here/prune_fatbin.py" "$provider" "$tmp/slim.so" --arch 90 --slim
xz -T2 -6 -c "$tmp/slim.so" > "$bundle/slim/libonnxruntime_providers_cuda.so.xz"

# Tolerates listed paths that are gone (a tracked file deleted in the work tree): stat fails, xargs exits 123.
tree=$(cd "$repo" && git ls-files -co --exclude-standard -z | { xargs -0 stat -c %s 2>/dev/null || true; } | awk '{s+=$1} END {print s+0}')
size() { du -sb "$@" | awk '{s+=$1} END {print s}'; }
common=$(size "$bundle/common"); slim=$(size "$bundle/slim"); sm90=$(size "$bundle/sm90")
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo
du -sh "$bundle"/common/* "$bundle"/slim/* "$bundle"/sm90/*
echo
say "working tree $(mib "$tree"); common $(mib "$common"); slim $(mib "$slim"); sm90 $(mib "$sm90"); carry limit $(mib $limit)"
one=$((tree + common + slim))
if [ "$one" -le "$limit" ]; then
  say "call 1 (tree + common + slim): $(mib "$one"): fits. carry: [\"${bundle#"$repo"/}/common\", \"${bundle#"$repo"/}/slim\"]"
else
  say "call 1 (tree + common + slim): $(mib "$one"): OVER the limit by $(mib $((one - limit)))"
fi
two=$((tree + sm90))
say "call 2, only if slim fails (tree + sm90, reusing call 1's /tmp/gpu-scoring while the machine is warm): $(mib "$two")$([ "$two" -le "$limit" ] && echo ": fits" || echo ": OVER")"
