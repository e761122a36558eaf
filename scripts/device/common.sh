# Shared by the device scripts: environment, pretokenised data, and run / report / best / ship helpers.
export PYTHONPATH=$PWD/.devicepack/site:$PWD PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
P=.devicepack; W=${W:-/tmp}; OUT=${OUT:-$W/out}; mkdir -p $OUT
TM=${TM:-3.3}; SM=${SM:-3.4}; EQ=${EQ:-2251}; EN=${EN:-300}; PY=${PY:-python3}
T0=$(date +%s); el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv 2>/dev/null
$PY -c "import torch, transformers; print(torch.__version__, transformers.__version__, torch.cuda.is_available())"
$PY - <<PY || exit 1
from pathlib import Path
from qa.training.config import TrainConfig
from qa.training.data import load_pretokenised, training_path
from qa.training.checkpoint import sha256_file
p = training_path("$P/train-v1.1.json.gz"); Path("$W/pre").mkdir(parents=True, exist_ok=True)
load_pretokenised(p, sha256_file(p), TrainConfig(data=str(p)), Path("$W/pre"))
PY
el pretokenised
common="--data $P/train-v1.1.json.gz --init-from qa/reader/weights --eval-questions $EQ --eval-negatives $EN --eval-every-minutes 100 --checkpoint-every-minutes 100 --log-every-steps 200 --threads 3 --dropout 0.1"
run() { name=$1; shift; mkdir -p $W/$name; cp $W/pre/pretok-*.pkl $W/$name/;
  $PY -m qa.training $common --checkpoint-dir $W/$name --out $W/$name-out "$@" > $W/$name.log 2>&1; echo "$name exit $?"; }
report() { for n in "$@"; do echo "== $n"; grep -E '"event": "(eval|export)"' $W/$n.log | cut -c1-400; grep -E '"event": "train"' $W/$n.log | tail -1 | cut -c1-300; grep -iE 'Error|Traceback' $W/$n.log | tail -3 | cut -c1-300; done; }
best() { $PY - "$@" <<'PY'
import json, os, sys
w, names = sys.argv[1], sys.argv[2:]
best, f1 = "", 76.3  # the shipped reader's held-out F1 on the same 2,251 questions (its model card)
for n in names:
    try:
        evals = [json.loads(l) for l in open(f"{w}/{n}.log") if '"event": "eval"' in l]
    except OSError:
        continue
    if evals and os.path.exists(f"{w}/{n}-out/reader.safetensors") and evals[-1]["f1"] > f1:
        best, f1 = n, evals[-1]["f1"]
print(best)
PY
}
ship() { b=$1; [ -n "$b" ] || { echo "nothing beat the shipped reader"; return; }; echo "shipping $b"; rm -f $OUT/reader.part.* $OUT/MODEL_CARD.md
  (cd $W/$b-out && split -b 12M reader.safetensors $OUT/reader.part. && cp MODEL_CARD.md $OUT/ && sha256sum reader.safetensors); }
