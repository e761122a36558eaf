#!/bin/bash
# Reader training on the lent GPU, one command: four continuations of the shipped reader learn the shared ranking
# with distractors in it only (--group-distractors 2 --no-group-window-loss, cropped windows), each is souped with
# the shipped reader (and all four together), and every reader is compared on the held-out *train* articles
# (python -m qa.training.compare: own paragraph, and among 5 paragraphs of its article as query time ranks them).
# The two with the best among-paragraphs F1 come back, split to fit, with every log and model card;
# the choice between them and the shipped reader is made at home on the 600-question choosing set.
TM_SET=${TM:-}; source "$(dirname "$0")/common.sh"
# Training gets what the command's BUDGET (seconds) leaves after tokenising and the RESERVE that souping,
# comparing and splitting need, unless TM (minutes) is given.
TM=$(awk -v b=${BUDGET:-560} -v r=${RESERVE:-270} -v e=$(( $(date +%s) - T0 )) -v tm=$TM_SET 'BEGIN { print (tm != "" ? tm : (b - r - e) / 60) }')
el "training $TM minutes a run"
G="--group-distractors 2 --no-group-window-loss --crop-fraction 0.3 --warmup-steps 50"
run G1 --minutes $TM $G --lr 3e-5 --seed 11 &
run G2 --minutes $TM $G --lr 5e-5 --seed 12 &
run G3 --minutes $TM $G --lr 5e-5 --seed 13 --group-weight 0.7 &
run G4 --minutes $TM $G --lr 1e-4 --seed 14 &
wait; el trained; report G1 G2 G3 G4
runs=$(for n in G1 G2 G3 G4; do [ -f $W/$n-out/reader.safetensors ] && echo $W/$n-out; done)
for r in $runs; do n=$(basename $r -out); $PY -m qa.training.soup --out $W/S${n#G} qa/reader/weights $r; done
[ $(echo $runs | wc -w) -ge 2 ] && $PY -m qa.training.soup --out $W/SA qa/reader/weights $runs
el souped
(cd $W && tar czf $OUT/logs.tgz G?.log */MODEL_CARD.md)
readers=$(ls -d $W/S[0-9] $W/SA $runs 2>/dev/null)
half=$(( ($(echo $readers | wc -w) + 1) / 2 ))
cmp="$PY -m qa.training.compare --data $P/train-v1.1.json.gz --checkpoint-dir $W/pre --eval-questions $EQ --eval-negatives $EN --paragraphs 5"
$cmp --json $W/c1.jsonl qa/reader/weights $(echo $readers | tr ' ' '\n' | head -n $half) > $W/c1.txt 2>&1 &
$cmp --json $W/c2.jsonl $(echo $readers | tr ' ' '\n' | tail -n +$((half + 1))) > $W/c2.txt 2>&1 &
wait; el compared; cat $W/c1.txt $W/c2.txt | tee $OUT/compare.txt; cat $W/c?.jsonl > $OUT/compare.jsonl
picked=$($PY - $OUT/compare.jsonl <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if not r["reader"].startswith("qa/reader/weights")]
rows.sort(key=lambda r: (-r["among"]["f1"], -r["own"]["f1"]))
print(" ".join(r["reader"] for r in rows[:2]))
PY
)
[ -n "$picked" ] || picked=$(ls -d $W/SA $W/S[0-9] 2>/dev/null | head -2)
for r in $picked; do n=$(basename $r); mkdir -p $OUT/$n; echo "bringing back $n"
  (cd $r && split -b 12M reader.safetensors $OUT/$n/reader.part. && sha256sum reader.safetensors); done
el done
