#!/bin/bash
# Reader training on the lent GPU, one command: four runs continue the shipped reader with 384-token windows
# (the shipped one was trained and is read with 192), side by side with different learning rates and batches.
# The run with the best held-out F1 (last 10 SQuAD *train* articles) comes back; the dev set plays no part.
source "$(dirname "$0")/common.sh"
run L1 --minutes $TM --max-seq-len 384 --lr 5e-5 --seed 1 &
run L2 --minutes $TM --max-seq-len 384 --lr 1e-4 --seed 2 &
run L3 --minutes $TM --max-seq-len 384 --lr 1e-4 --seed 3 --batch-size 64 &
run L4 --minutes $TM --max-seq-len 384 --lr 2e-4 --seed 4 --batch-size 64 &
wait; el long-windows; report L1 L2 L3 L4
ship $(best $W L1 L2 L3 L4)
(cd $W && tar czf $OUT/logs.tgz L?.log) ; el done
