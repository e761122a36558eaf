"""Indexing on a local Ray cluster against the local indexer, as ratios in one run.

    .venv/bin/python benchmarks/bench_ray.py [--docs 260]

The same files (>= 2,000 passages: the seed article's sentences shuffled
into new documents, as in bench_assistant.py) are indexed into fresh index
folders by the local indexer (`Assistant.from_paths`) and by
`Assistant.add_with_ray` with 1 and 2 embedding actors. The cluster is
started once, before the timed Ray runs (its ~4 s start is reported
apart), so the ratios show Ray Data's per-run overhead and the actors'
scaling. Needs the [ray] extra.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_assistant import synthetic_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=260)
    args = parser.parse_args()

    import ray

    from embeddings.distributed import RayOptions
    from qa import Assistant, Settings

    settings = Settings.from_env()
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        folder = work_dir / "docs"
        folder.mkdir()
        for doc in synthetic_corpus(args.docs):
            (folder / doc.doc_id).write_text(doc.text, encoding="utf-8")
        Assistant.from_paths([ROOT / "seeds"], work_dir / "warm", settings)  # loads the model once

        t0 = time.perf_counter()
        local = Assistant.from_paths([folder], work_dir / "local", settings)
        local_s = time.perf_counter() - t0
        passages = local.last_report.embedded_passages

        t0 = time.perf_counter()
        ray.init(num_cpus=max(os.cpu_count() or 1, 3), include_dashboard=False, configure_logging=False,
                 log_to_driver=False)
        start_s = time.perf_counter() - t0
        ray_s = {}
        for workers in (1, 2):
            assistant = Assistant.open_or_create(work_dir / f"ray{workers}", settings)
            t0 = time.perf_counter()
            report = assistant.add_with_ray([folder], RayOptions(workers=workers))
            ray_s[workers] = time.perf_counter() - t0
            assert report.embedded_passages == passages, report.summary()
        ray.shutdown()

    result = {
        "passages": passages,
        "cpus": os.cpu_count(),
        "local_seconds": round(local_s, 1),
        "local_passages_per_second": round(passages / local_s, 1),
        "ray_cluster_start_seconds": round(start_s, 1),
        **{f"ray_{w}_workers_seconds": round(s, 1) for w, s in ray_s.items()},
        **{f"ray_{w}_workers_passages_per_second": round(passages / s, 1) for w, s in ray_s.items()},
        **{f"ray_{w}_workers_over_local": round(local_s / s, 3) for w, s in ray_s.items()},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
