#!/usr/bin/env bash
# One command: render the training/validation crop pools (if missing), then train.
#   scripts/train/train.sh [SEED] [MINUTES] [STEPS] [RUN_NAME]
# INIT=CKPT.pt continues training from a checkpoint on the same pools (LR sets its peak learning
# rate; train.py's default is 2e-3); WORKERS=N renders the pools in N processes (same pools);
# CLEAN_SEEDS="4 ..." adds 1,000 clean-profile prints per seed (the pools finetune.sh renders,
# clean_v3) to the mix, so plain curves on blank or grid-removed paper are seen from the start.
# Pools are deterministic given their seeds; logs go to scripts/train/runs/RUN_NAME/log.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEED=${1:-0}; MINUTES=${2:-60}; STEPS=${3:-2000}; RUN=${4:-main}
D=scripts/train/data
W=${WORKERS:-1}
mkdir -p "$D" scripts/train/runs
[ -f $D/pool_train_a.npz ] || python3 scripts/train/render.py pool --split train --n 2400 --seed 0 --workers $W --out $D/pool_train_a.npz
[ -f $D/pool_train_b.npz ] || python3 scripts/train/render.py pool --split train --n 2400 --seed 1 --workers $W --out $D/pool_train_b.npz
[ -f $D/pool_val.npz ] || python3 scripts/train/render.py pool --split val --n 120 --seed 5 --workers $W --out $D/pool_val.npz
POOLS=($D/pool_train_a.npz $D/pool_train_b.npz)
for C in ${CLEAN_SEEDS:-}; do
  [ -f $D/pool_train_clean_v3_s$C.npz ] || python3 scripts/train/render.py pool --split train --n 1000 --seed $C --workers $W --profile clean --out $D/pool_train_clean_v3_s$C.npz
  POOLS+=($D/pool_train_clean_v3_s$C.npz)
done
python3 scripts/train/train.py --data "${POOLS[@]}" --val $D/pool_val.npz \
  --run scripts/train/runs/$RUN --seed "$SEED" ${INIT:+--init "$INIT"} ${LR:+--lr "$LR"} --minutes "$MINUTES" --steps "$STEPS" ${EXTRA_ARGS:-}
