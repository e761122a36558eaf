#!/bin/bash
# Reader training on the lent GPU, one command: four teachers continue the shipped reader side by side
# (different seeds and learning rates), then three students distil the ensemble (teachers + shipped reader).
# The run with the best held-out F1 (last 10 SQuAD *train* articles) comes back; the dev set plays no part.
source "$(dirname "$0")/common.sh"
run T1 --minutes $TM --lr 5e-5 --seed 1 &
run T2 --minutes $TM --lr 5e-5 --seed 2 &
run T3 --minutes $TM --lr 1e-4 --seed 3 &
run T4 --minutes $TM --lr 1e-4 --seed 4 &
wait; el teachers; report T1 T2 T3 T4
ship $(best $W T1 T2 T3 T4)
teachers=qa/reader/weights; for n in T1 T2 T3 T4; do [ -f $W/$n-out/reader.safetensors ] && teachers=$teachers,$W/$n-out; done
echo "teachers: $teachers"
run S1 --minutes $SM --lr 1e-4 --batch-size 64 --teachers $teachers --distill-weight 0.5 --temperature 2 &
run S2 --minutes $SM --lr 5e-5 --batch-size 64 --teachers $teachers --distill-weight 0.8 --temperature 2 &
run S3 --minutes $SM --lr 1e-4 --batch-size 32 --teachers $teachers --distill-weight 0.7 --temperature 1 &
wait; el students; report S1 S2 S3
ship $(best $W T1 T2 T3 T4 S1 S2 S3)
(cd $W && tar czf $OUT/logs.tgz T?.log S?.log) ; el done
