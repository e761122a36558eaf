#!/usr/bin/env bash
# Sets up .venv with the product; --test adds the test tools (and Ray, whose
# tests CI runs), --ray adds Ray for `qa index --ray`.
# torch is pinned first: an unpinned torch pulls several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=()
for arg in "$@"; do
    case "$arg" in
        --test) extras+=(test ray) ;;
        --ray) extras+=(ray) ;;
        *) echo "usage: scripts/install.sh [--test] [--ray]" >&2; exit 2 ;;
    esac
done
spec="."
if [ ${#extras[@]} -gt 0 ]; then
    spec=".[$(IFS=,; echo "${extras[*]}")]"
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e "${spec}"
echo "installed: $(.venv/bin/qa --help | head -1)"
