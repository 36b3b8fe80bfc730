#!/usr/bin/env bash
# The checks for a lent GPU machine (docs/export.md, "On a GPU"), as one script: onnxruntime-gpu from pieces
# copied to /tmp/ort-part-* by earlier calls (benchmarks/pack_onnxruntime_gpu.py makes them; the machine has
# PyTorch's CUDA 13 / cuDNN 9 wheels, not onnxruntime-gpu, and no zstd: put .ort/bin on PATH), then the CUDA
# tests, every shelf file (benchmarks/gpu_shelf.py), benchmarks/gpu_sampling.py and two streamed ganzoo-sample runs.
# Results go to $OUT (the device tool's output folder), else ./gpu-check-out.
set -uo pipefail
out=${OUT:-gpu-check-out}
mkdir -p "$out"
site=/tmp/ortgpu
if [ ! -d "$site/onnxruntime" ]; then
    mkdir -p "$site" && cat /tmp/ort-part-* | zstd -dq | tar x -C "$site" || { echo "unpacking failed"; exit 1; }
fi
packages=$(python3 -c "import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))")
export LD_LIBRARY_PATH=$(find "$packages/nvidia" -maxdepth 3 -type d -name lib | tr '\n' ':')${LD_LIBRARY_PATH:-}
export PYTHONPATH=$site:$PWD/export:$PWD/benchmarks PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
python3 -c "import onnxruntime as o, torch; print('onnxruntime', o.__version__, o.get_available_providers(), 'torch', torch.__version__)"
python3 -m pytest -q -n 0 -p no:cacheprovider tests/test_cuda_form.py 2>&1 | tee "$out/tests.txt" | tail -25
python3 benchmarks/gpu_shelf.py 2>&1 | tee "$out/shelf.txt"
model=ganzoo/zoo/entries/dcgan-mnist/generator.onnx
python3 benchmarks/gpu_sampling.py "$model" --rounds "${ROUNDS:-3}" --seconds "${SECONDS_EACH:-0.5}" 2>&1 | tee "$out/bench.txt"
rm -rf /tmp/many.npy /tmp/many-pngs
for target in /tmp/many.npy /tmp/many-pngs; do
    n=$([ "$target" = /tmp/many.npy ] && echo 100000 || echo 20000)
    python3 -c "from ganzoo_runtime.cli import run; run()" "$model" -n "$n" --batch-size 1000 --output "$target" \
        --device cuda 2>&1 | tr '\r' '\n' | tail -1 | tee -a "$out/stream.txt"
done
