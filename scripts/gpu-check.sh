#!/usr/bin/env bash
# The GPU check: everything the trainer's GPU route (WebGPU through Dawn) has to show on a real
# GPU, in one run of under 6 minutes, on a machine with no Node, no npm and no network. Prepare
# its payload here first (node scripts/gpu-check-prepare.mjs -> .gpu-check/, at most 64 MiB),
# carry .gpu-check/ along, and run from the repository root:
#
#   bash scripts/gpu-check.sh [--quick] [--dir .gpu-check]
#
# It prints:
#   1. the machine and the WebGPU adapter (vendor, architecture, description, limits);
#   2. gpaco verify-loss on the golden cases with --backend webgpu;
#   3. bench:train, GPaCo, batch 128, for the conv net and ResNet-32: webgpu against wasm with
#      1 and 16 worker threads (16 = the GPU machine's cores);
#   4. 2 epochs of the cifar100-lt recipe (ResNet-32 GPaCo) on synthetic CIFAR-shaped data
#      (100 classes, 32x32x3, imbalance 100) on webgpu, with its images/s.
# --quick shortens every part (for a software Vulkan driver such as lavapipe, which is how it is
# tested without a GPU: VK_ICD_FILENAMES, or .cache/webgpu-driver/lvp_icd.json when present).
# Output also goes to $OUT/gpu-check.log when OUT is set (the device machine's result folder).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="$ROOT/.gpu-check"
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --dir) DIR=$(cd "$2" && pwd); shift ;;
    *) echo "usage: scripts/gpu-check.sh [--quick] [--dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpaco-gpu-check.XXXXXX")
LOG=${OUT:+$OUT/gpu-check.log}
LOG=${LOG:-$WORK/gpu-check.log}
exec > >(tee -a "$LOG") 2>&1
T0=$(date +%s)
say() { printf '\n== %s (%s s)\n' "$*" "$(( $(date +%s) - T0 ))"; }

[ -f "$DIR/app.tar.xz" ] || { echo "gpu-check: $DIR/app.tar.xz is missing: run node scripts/gpu-check-prepare.mjs first"; exit 2; }

say "setup"
# The Vulkan loader: the machine's own, else the carried one (unpacked into / as root only).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  if [ "$(id -u)" -eq 0 ] && ls "$DIR"/debs/*.deb >/dev/null 2>&1; then
    for f in "$DIR"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
    echo "Vulkan loader: unpacked $(ls "$DIR"/debs)"
  else
    echo "Vulkan loader: none found and none carried (or not root): WebGPU will not find an adapter"
  fi
fi
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  elif [ "$QUICK" -eq 1 ] && [ -f "$ROOT/.cache/webgpu-driver/lvp_icd.json" ]; then
    export VK_ICD_FILENAMES="$ROOT/.cache/webgpu-driver/lvp_icd.json"
  fi
fi
echo "Vulkan driver: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-default search of the loader}}"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
NODE=$(command -v node || true)
if [ -z "$NODE" ]; then
  xz -dc "$DIR/node.xz" >"$WORK/node" && chmod +x "$WORK/node" && NODE="$WORK/node"
fi
tar -xJf "$DIR/app.tar.xz" -C "$WORK"
APP="$WORK/dist"
echo "node: $NODE ($("$NODE" --version)); app unpacked in $WORK"

if [ "$QUICK" -eq 1 ]; then
  # A software driver runs a ResNet-32 step of 32 images in over a minute: smaller batches, and
  # the recipe's pipeline with a small conv net.
  STEPS=(--steps 1 --warmup 1); WORKERS=1,2; BATCH_convnet=32; BATCH_resnet32=8; MAXPC=20; IF=10; EPOCHS=1
  RECIPE=(--set model.arch=convnet --set model.width=8 --set optim.batchSize=32)
else
  STEPS=(--steps 2 --warmup 1); WORKERS=1,16; BATCH_convnet=128; BATCH_resnet32=128; MAXPC=500; IF=100; EPOCHS=2
  RECIPE=()
fi

say "1. machine and WebGPU adapter"
"$NODE" "$APP/gpu-probe.js"

say "2. gpaco verify-loss --backend webgpu (golden float64 cases)"
"$NODE" "$APP/cli.js" verify-loss "$WORK/gpaco_loss_cases.json" --backend webgpu

for model in convnet resnet32; do
  batch_var="BATCH_$model"
  BATCH=${!batch_var}
  say "3. bench:train GPaCo $model batch $BATCH: webgpu vs wasm, workers $WORKERS"
  "$NODE" "$APP/bench-train.js" --model "$model" --loss gpaco --batches "$BATCH" --backends webgpu,wasm --workers "$WORKERS" --no-torch "${STEPS[@]}" 2>&1 | grep -v ' step [0-9]'
done

say "4. cifar100-lt recipe, $EPOCHS epoch(s), synthetic CIFAR-shaped data (100 classes, 32x32x3, imbalance $IF, largest class $MAXPC), webgpu"
# At most 4 minutes, so the whole check stays under 6: SIGINT makes the trainer finish its step,
# checkpoint and stop, and the epochs done so far are printed.
timeout -s INT -k 30 240 "$NODE" "$APP/cli.js" train --preset cifar100-lt --runs-dir "$WORK/runs" --backend webgpu \
  --set data.kind=synthetic --set data.path="$WORK" --set data.classes=100 --set data.imageSize=32 --set data.channels=3 \
  --set data.maxPerClass="$MAXPC" --set data.imbalanceFactor="$IF" --set data.testPerClass=10 --set optim.epochs="$EPOCHS" --set eval.every=1 \
  --set checkpoint.every=1 "${RECIPE[@]}"
grep -h -E 'backend:|adapter:|parallel:|epoch [0-9]+/|eval epoch|peak RSS' "$WORK"/runs/*/trainer.log

say "done"
echo "log: $LOG"
