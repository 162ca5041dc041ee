#!/usr/bin/env bash
# One command: fine-tune a checkpoint on the hard profile (mostly dashed/dotted, faint, faded,
# broken and 1-bit curves; flat stretches on grid lines) mixed with the default mix and the clean
# profile (grid-less or faint-grid pages, no or mild damage) so that plain strokes on blank paper
# stay curves: 1,200 default prints; 1,500 hard prints per seed in HARD_SEEDS (default "2 3");
# 1,000 clean prints per seed in CLEAN_SEEDS (default "4"; CLEAN_SEEDS="" leaves them out). The clean
# pools are named clean_v3, after the profile's third version: the first (run clean3) drew no hand
# annotations, the second (pools clean2, run clean4) all kinds; the third leaves out wavy strokes.
#   scripts/train/finetune.sh INIT.pt [SEED] [MINUTES] [STEPS] [RUN_NAME] [LR]
# Pools are deterministic given their seeds; logs go to scripts/train/runs/RUN_NAME/log.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
INIT=${1:?usage: finetune.sh INIT.pt [SEED] [MINUTES] [STEPS] [RUN_NAME] [LR]}
SEED=${2:-0}; MINUTES=${3:-45}; STEPS=${4:-1500}; RUN=${5:-hard}; LR=${6:-5e-4}
D=scripts/train/data
mkdir -p "$D" scripts/train/runs
W=${WORKERS:-2}
[ -f $D/pool_train_a1200.npz ] || python3 scripts/train/render.py pool --split train --n 1200 --seed 0 --workers $W --out $D/pool_train_a1200.npz
HARD=()
for H in ${HARD_SEEDS:-2 3}; do
  [ -f $D/pool_train_hard_s$H.npz ] || python3 scripts/train/render.py pool --split train --n 1500 --seed $H --workers $W --profile hard --out $D/pool_train_hard_s$H.npz
  HARD+=($D/pool_train_hard_s$H.npz)
done
for C in ${CLEAN_SEEDS-4}; do
  [ -f $D/pool_train_clean_v3_s$C.npz ] || python3 scripts/train/render.py pool --split train --n 1000 --seed $C --workers $W --profile clean --out $D/pool_train_clean_v3_s$C.npz
  HARD+=($D/pool_train_clean_v3_s$C.npz)
done
[ -f $D/pool_val.npz ] || python3 scripts/train/render.py pool --split val --n 120 --seed 5 --workers $W --out $D/pool_val.npz
python3 scripts/train/train.py --data $D/pool_train_a1200.npz "${HARD[@]}" --val $D/pool_val.npz \
  --init "$INIT" --lr "$LR" --run scripts/train/runs/$RUN --seed "$SEED" --minutes "$MINUTES" --steps "$STEPS" ${EXTRA_ARGS:-}
