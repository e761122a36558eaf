"""Reading each document format, as a ratio to embedding the same text, in one run.

    .venv/bin/python benchmarks/bench_formats.py [--docs 40] [--json]

The same seeded text (the seed article's sentences, shuffled per document)
is written as .txt, .md (front matter, headings, markup, a table, a code
block), .rst (the same, as a Sphinx page: roles, a note, a simple table), .html (with navigation, a cookie banner, scripts and a footer around
the article), .docx and .pdf (fpdf2, ~3 pages a document). For each format:
the time to read and chunk the files (`read_documents` + `chunk_document`)
against the time the packaged encoder takes to embed the resulting passages
(ratio = read+chunk time / embedding time: below 1 means reading is not the
bottleneck), and pages/s for PDF. Needs the test extra (fpdf2).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from embeddings.chunking import chunk_document, split_sentences  # noqa: E402
from embeddings.documents import read_documents  # noqa: E402


def paragraphs_for(n_docs: int, seed: int = 0) -> list[list[str]]:
    (seed_doc,) = read_documents([ROOT / "seeds"]).documents
    text = seed_doc.text
    sentences = [text[a:b] for blk in seed_doc.blocks for a, b in split_sentences(text, blk.start, blk.end)]
    rng = random.Random(seed)
    out = []
    for _ in range(n_docs):
        picked = rng.sample(sentences, k=len(sentences))
        out.append([" ".join(picked[j : j + 3]) for j in range(0, len(picked), 3)])
    return out


def ascii(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1").replace("\u2019", "'")


def write_txt(folder: Path, i: int, paras: list[str]) -> None:
    (folder / f"doc{i:03d}.txt").write_text("\n\n".join(paras), encoding="utf-8")


def write_md(folder: Path, i: int, paras: list[str]) -> None:
    body = [f"---\ntitle: Report {i}\ndate: 2025-04-25\ntags: [news]\n---\n# Report {i}\n"]
    for n, p in enumerate(paras):
        if n % 4 == 0:
            body.append(f"## Part {n // 4 + 1}\n")
        words = p.split()
        if len(words) > 6:
            words[2] = f"**{words[2]}**"
            words[5] = f"[{words[5]}](https://example.com/{n})"
        body.append(" ".join(words) + "\n")
    body.append("| Name | Value |\n|---|---|\n| alpha | 1 |\n| beta | 2 |\n\n```bash\nrun --fast\n```\n")
    (folder / f"doc{i:03d}.md").write_text("\n".join(body), encoding="utf-8")


def write_rst(folder: Path, i: int, paras: list[str]) -> None:
    title = f"Report {i}"
    body = [f":orphan:\n\n{title}\n{'=' * len(title)}\n"]
    for n, p in enumerate(paras):
        if n % 4 == 0:
            part = f"Part {n // 4 + 1}"
            body.append(f"{part}\n{'-' * len(part)}\n")
        words = p.split()
        if len(words) > 6:
            words[2] = f"**{words[2]}**"
            words[4] = f":func:`~pkg.mod.{words[4]}`"
            words[5] = f"`{words[5]} <https://example.com/{n}>`_"
        body.append(" ".join(words) + "\n")
    body.append(".. note::\n   Keep it short.\n\n====== =====\nName   Value\n====== =====\nalpha  1\nbeta   2\n"
                "====== =====\n\n.. code-block:: bash\n\n   run --fast\n")
    (folder / f"doc{i:03d}.rst").write_text("\n".join(body), encoding="utf-8")


def write_html(folder: Path, i: int, paras: list[str]) -> None:
    from html import escape

    article = "".join(f"<h2>Part {n // 4 + 1}</h2>" * (n % 4 == 0) + f"<p>{escape(p)}</p>" for n, p in enumerate(paras))
    page = (
        f"<html><head><title>Report {i} | News</title><style>p{{color:red}}</style>"
        "<script>var x = 'tracking';</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
        "<div class='cookie-banner'>We use cookies to improve your experience. Accept all cookies?</div>"
        f"<article><h1>Report {i}</h1>{article}</article>"
        "<footer>Copyright 2025 News Ltd. Contact us. Privacy policy.</footer></body></html>"
    )
    (folder / f"doc{i:03d}.html").write_text(page, encoding="utf-8")


def write_docx(folder: Path, i: int, paras: list[str]) -> None:
    import docx

    d = docx.Document()
    d.add_heading(f"Report {i}", 1)
    for n, p in enumerate(paras):
        if n % 4 == 0:
            d.add_heading(f"Part {n // 4 + 1}", 2)
        d.add_paragraph(p)
    d.save(folder / f"doc{i:03d}.docx")


def write_pdf(folder: Path, i: int, paras: list[str]) -> int:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for n, p in enumerate(paras):
        if n % 5 == 0:
            pdf.add_page()
        pdf.multi_cell(0, 6, ascii(p))
        pdf.ln(4)
    pdf.output(str(folder / f"doc{i:03d}.pdf"))
    return pdf.page


WRITERS = {"txt": write_txt, "md": write_md, "rst": write_rst, "html": write_html, "docx": write_docx, "pdf": write_pdf}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from embeddings.encoder import Encoder
    from qa.settings import Settings

    encoder = Encoder(Settings().index.model)
    encoder.encode(["warm up"] * 16)
    corpus = paragraphs_for(args.docs)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, write in WRITERS.items():
            folder = Path(tmp) / fmt
            folder.mkdir()
            pages = sum((write(folder, i, paras) or 0) for i, paras in enumerate(corpus))
            t0 = time.perf_counter()
            reading = read_documents([folder])
            passages = [p for d in reading.documents for p in chunk_document(d)]
            read_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            encoder.encode([p.embed_text for p in passages])
            embed_s = time.perf_counter() - t0
            results[fmt] = {
                "documents": len(reading.documents),
                "skipped": len(reading.skipped),
                "passages": len(passages),
                "read_and_chunk_s": round(read_s, 3),
                "embed_s": round(embed_s, 3),
                "read_over_embed": round(read_s / embed_s, 3),
                **({"pages": pages, "pages_per_s": round(pages / read_s, 1)} if fmt == "pdf" else {}),
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'format':6} {'docs':>5} {'passages':>8} {'read+chunk s':>12} {'embed s':>8} {'ratio':>6}")
    for fmt, r in results.items():
        extra = f"  ({r['pages']} pages, {r['pages_per_s']} pages/s)" if fmt == "pdf" else ""
        print(f"{fmt:6} {r['documents']:>5} {r['passages']:>8} {r['read_and_chunk_s']:>12} {r['embed_s']:>8} {r['read_over_embed']:>6}{extra}")


if __name__ == "__main__":
    main()
