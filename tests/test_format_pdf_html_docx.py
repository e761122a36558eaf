"""PDF, HTML and DOCX parsers: structure, metadata, boilerplate removal, failures, offsets.

Every fixture is made here (fpdf2, python-docx, literal HTML) into tmp_path.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from html import escape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.formats import FormatError, Parsed, parse

# --- helpers ---------------------------------------------------------------------------------


def block_texts(parsed: Parsed) -> list[str]:
    return [parsed.text[b.start : b.end] for b in parsed.blocks]


#: What a table row's sentences insert between the cells' own words ("The Type of password is bool.").
TABLE_WORDS = {"The ", " of ", " is ", ".", ". The ", " The ", ": ", ". ", " "}


def assert_maps_back(parsed: Parsed) -> None:
    """Each block character maps to an equal source character, or was inserted
    (only the joining words of table rows' sentences, `TABLE_WORDS`)."""
    source = parsed.source if parsed.source is not None else parsed.text
    for block in parsed.blocks:
        inserted, run = [], ""
        for i in range(block.start, block.end):
            where = parsed.source_map.to_source(i, i + 1) if parsed.source_map else (i, i + 1)
            if where is None:
                run += parsed.text[i]
            else:
                assert source[where[0] : where[1]] == parsed.text[i], (block, i)
                if run:
                    inserted.append(run)
                    run = ""
        if run:
            inserted.append(run)
        if block.kind == "table":
            assert set(inserted) <= TABLE_WORDS, (parsed.text[block.start : block.end], inserted)
        else:
            assert not inserted, block


def whole_source(parsed: Parsed, block) -> str:
    """The source range a block maps to, as a whole."""
    start, end = parsed.source_map.to_source(block.start, block.end)
    return parsed.source[start:end]


# --- PDF -----------------------------------------------------------------------------------

PAGE_FACTS = {
    1: ["The lighthouse on Kesslo Point was built in 1874.", "Its lamp is visible from 22 nautical miles."],
    2: ["The ferry to Arnsby leaves from pier 7 at 06:40.", "A return ticket costs 12 euros."],
    3: ["The harbour crane lifts at most 40 tonnes.", "It was serviced in March by Norsk Lift."],
}


def make_pdf(path: Path, pages: list[list[str] | None], title: str | None = "Harbour Handbook") -> Path:
    """Each page: paragraphs of text (a vertical gap between them), or None for an image-only page."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_author("Port Authority")
    pdf.set_creation_date(dt.datetime(2025, 4, 25, 10, 30, tzinfo=dt.timezone.utc))
    pdf.set_font("helvetica", size=11)
    for paragraphs in pages:
        pdf.add_page()
        if paragraphs is None:
            pdf.rect(20, 20, 120, 160, style="F")  # a "scan": drawn content, no text
            continue
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5, paragraph)
            pdf.ln(6)
    pdf.output(str(path))
    return path


def parse_file(path: Path) -> Parsed:
    return parse(path, path.read_bytes())


def test_pdf_pages_blocks_metadata(tmp_path):
    long = "Visitors must register at the harbour office before boarding any vessel. " * 4
    pages = [PAGE_FACTS[1] + [long], PAGE_FACTS[2], PAGE_FACTS[3]]
    parsed = parse_file(make_pdf(tmp_path / "handbook.pdf", pages))

    assert parsed.title == "Harbour Handbook"
    assert parsed.date == "2025-04-25"
    assert parsed.metadata["author"] == "Port Authority"
    assert parsed.metadata["pages"] == "3"
    assert parsed.warnings == []
    assert len(parsed.page_starts) == 3 and parsed.page_starts[0] == 0

    starts = [*parsed.page_starts, len(parsed.source)]
    for page, facts in PAGE_FACTS.items():
        page_text = parsed.source[starts[page - 1] : starts[page]]
        for fact in facts:
            assert fact in page_text
        others = [f for p, fs in PAGE_FACTS.items() if p != page for f in fs]
        assert not any(f in page_text for f in others)

    # paragraphs found from the gaps between lines: one block per paragraph, with its page
    texts = block_texts(parsed)
    for page, facts in PAGE_FACTS.items():
        for fact in facts:
            [block] = [b for b, t in zip(parsed.blocks, texts) if fact in t]
            assert block.page == page and parsed.text[block.start : block.end] == fact
    wrapped = [t for t in texts if t.startswith("Visitors")]
    assert len(wrapped) == 1 and "\n" in wrapped[0]  # a wrapped paragraph stays one block
    assert [b.page for b in parsed.blocks] == sorted(b.page for b in parsed.blocks)

    # identity: every block's reading text is its source slice, on its own page
    for block in parsed.blocks:
        start, end = parsed.source_map.to_source(block.start, block.end)
        assert parsed.source[start:end] == parsed.text[block.start : block.end]
        assert starts[block.page - 1] <= start and end <= starts[block.page]
    assert_maps_back(parsed)


def test_pdf_locations_through_documents(tmp_path):
    from embeddings.documents import read_document

    document, warnings = read_document(make_pdf(tmp_path / "h.pdf", [PAGE_FACTS[1], PAGE_FACTS[2]]))
    assert warnings == [] and document.format == "pdf" and document.title == "Harbour Handbook"
    fact = PAGE_FACTS[2][1]
    start = document.text.index(fact)
    where = document.locate(start, start + len(fact))
    assert where.page == 2
    assert document.page_text(2)[where.start : where.end] == fact


def test_pdf_text_normalised_and_paragraphs(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    lines = dict(new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 5, "The relay needs a re-\nconfiguration after each update.\nIt restarts itself.", **lines)
    pdf.set_font("helvetica", "B", size=18)  # a heading right below, no gap: a size change
    pdf.multi_cell(0, 8, "Maintenance schedule", **lines)
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 5, "Filters are replaced every 3 months.\nBelts are checked weekly.", **lines)
    path = tmp_path / "n.pdf"
    pdf.output(str(path))
    parsed = parse_file(path)
    for junk in "\r\x00\x0c\ufffe\x02\u00ad":
        assert junk not in parsed.source.replace("\n\f\n", "")
    # pdfium marks the line-end hyphen (U+FFFE) and joins the lines: the word reads whole
    assert block_texts(parsed) == [
        "The relay needs a reconfiguration after each update.\nIt restarts itself.",
        "Maintenance schedule",
        "Filters are replaced every 3 months.\nBelts are checked weekly.",
    ]
    assert parsed.title is None and parsed.page_starts == (0,)


def test_pdf_image_only_page_warns(tmp_path):
    parsed = parse_file(make_pdf(tmp_path / "mixed.pdf", [PAGE_FACTS[1], None, PAGE_FACTS[3]]))
    assert parsed.warnings == ["page 2 has no text layer (scanned?)"]
    assert len(parsed.page_starts) == 3
    starts = [*parsed.page_starts, len(parsed.source)]
    assert parsed.source[starts[1] : starts[2]].strip() == ""
    assert PAGE_FACTS[3][0] in parsed.source[starts[2] :]
    assert {b.page for b in parsed.blocks} == {1, 3}


def test_pdf_without_text_layer_is_an_error(tmp_path):
    with pytest.raises(FormatError, match="no text layer.*OCR"):
        parse_file(make_pdf(tmp_path / "scan.pdf", [None, None]))


def test_pdf_damaged_or_encrypted_is_an_error(tmp_path):
    good = make_pdf(tmp_path / "good.pdf", [PAGE_FACTS[1]]).read_bytes()
    for name, data in [
        ("truncated.pdf", good[: len(good) // 2]),
        ("random.pdf", random.Random(1).randbytes(4000)),
        ("empty.pdf", b""),
        ("fake.pdf", b"%PDF-1.7\nthis is not really a pdf\n%%EOF"),
    ]:
        with pytest.raises(FormatError, match="not a readable PDF") as info:
            parse(tmp_path / name, data)
        assert "\n" not in str(info.value)

    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica")
    pdf.cell(0, 10, "classified")
    pdf.set_encryption(owner_password="owner", user_password="user")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    with pytest.raises(FormatError, match="encrypted"):
        parse_file(path)


# --- HTML ----------------------------------------------------------------------------------

ARTICLE = """
<h1>Tidal Energy in Kesslo Bay</h1>
<p>The Kesslo tidal plant produces 240 megawatts at peak flow, enough for 90,000 homes.</p>
<h2>Turbines</h2>
<p>Each of the 48 turbines sits on the seabed at a depth of 35 metres &amp; turns at 14 rpm.</p>
<ul><li>Blades are made of carbon fibre composite.</li>
<li>Maintenance happens every 18 months by crane barge.</li></ul>
<h2>Output by season</h2>
<p>Output varies through the year because spring tides are stronger than neap tides.</p>
<table><thead><tr><th>Season</th><th>Average output</th></tr></thead>
<tbody><tr><td>Winter</td><td>210 MW</td></tr><tr><td>Summer</td><td>180 MW</td></tr></tbody></table>
<h3>Storage</h3>
<p>Excess power is stored in a pumped-hydro reservoir above Arnsby, holding 2 gigawatt-hours.</p>
<pre>reservoir --level
reservoir --drain   5%</pre>
<dl><dt>Head</dt><dd>The height difference is 310 metres.</dd></dl>
"""

BOILERPLATE_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Tidal Energy in Kesslo Bay | Coastal News</title>
<meta name="author" content="Maren Holt">
<meta property="article:published_time" content="2024-03-18T09:00:00Z">
<style>.menu {{ color: red }} body {{ font-family: Georgia }}</style>
<script>var trackingId = "UA-TRACKER-99"; function loadAds() {{}}</script>
</head><body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. Accept all cookies?</div>
<header><nav class="menu"><ul><li><a href="/">Home page</a></li><li><a href="/sports">Sports desk</a></li>
<li><a href="/weather">Weather radar</a></li></ul></nav></header>
<main><article>{ARTICLE}</article>
<aside class="sidebar"><h3>Related articles</h3><ul><li><a href="/a">Wind farms expand north</a></li>
<li><a href="/b">Solar tariffs cut again</a></li></ul></aside></main>
<footer><p>© 2023 Coastal News Ltd. All rights reserved.</p><p>Contact: newsroom@coastalnews.example</p></footer>
<script>loadAds();</script>
</body></html>"""

FACTS = ["240 megawatts", "35 metres & turns", "carbon fibre", "every 18 months", "pumped-hydro reservoir"]
BOILERPLATE = ["cookies", "Home page", "Sports desk", "Weather radar", "UA-TRACKER", "loadAds", "font-family",
               "Related articles", "Wind farms", "Solar tariffs", "Coastal News Ltd", "newsroom@"]


def test_html_main_content_without_boilerplate(tmp_path):
    path = tmp_path / "tidal.html"
    path.write_text(BOILERPLATE_PAGE, encoding="utf-8")
    parsed = parse_file(path)

    for fact in FACTS:
        assert fact in parsed.text
    for junk in BOILERPLATE:
        assert junk not in parsed.text and junk not in parsed.source, junk

    assert parsed.title == "Tidal Energy in Kesslo Bay"
    assert parsed.date == "2024-03-18"  # from the meta tag, not the footer's © 2023
    assert parsed.metadata["author"] == "Maren Holt"

    by_text = dict(zip(block_texts(parsed), parsed.blocks))
    root = ("Tidal Energy in Kesslo Bay",)
    assert by_text[next(t for t in by_text if "240 megawatts" in t)].section == root
    assert by_text["Blades are made of carbon fibre composite."].section == root + ("Turbines",)
    assert by_text["Maintenance happens every 18 months by crane barge."].kind == "text"
    storage = by_text[next(t for t in by_text if "Arnsby" in t)]
    assert storage.section == root + ("Output by season", "Storage")
    storage_path = root + ("Output by season", "Storage")
    code = by_text["reservoir --level\nreservoir --drain   5%"]  # a bare <pre>: its lines and spaces kept
    assert code.kind == "code" and code.section == storage_path
    assert by_text["Head\nThe height difference is 310 metres."].section == storage_path  # <dt> with its <dd>
    # headings are section paths, not blocks
    assert "Turbines" not in by_text and "Tidal Energy in Kesslo Bay" not in by_text

    rows = [(t, b) for t, b in by_text.items() if b.kind == "table"]
    assert [t for t, _ in rows] == ["The Average output of Winter is 210 MW.",
                                    "The Average output of Summer is 180 MW."]
    assert all(b.section == root + ("Output by season",) for _, b in rows)
    assert "Season | Average output\nWinter | 210 MW\nSummer | 180 MW" in parsed.source
    # a row's cells map to their own line of the source; the header words to the header line
    winter = rows[0][1]
    start = parsed.text.index("210 MW", winter.start)
    lo, hi = parsed.source_map.to_source(start, start + 6)
    assert (lo, hi) == (parsed.source.index("210 MW"), parsed.source.index("210 MW") + 6)
    key = parsed.text.index("Winter", winter.start)
    lo, hi = parsed.source_map.to_source(key, key + 6)
    assert (lo, hi) == (parsed.source.index("Winter |"), parsed.source.index("Winter |") + 6)
    head = parsed.text.index("Average output", winter.start)
    lo, hi = parsed.source_map.to_source(head, head + 14)
    assert lo == parsed.source.index("Season | Average output") + len("Season | ")
    for word in ("The ", " of ", " is "):
        at = parsed.text.index(word, winter.start)
        assert parsed.source_map.to_source(at, at + len(word)) is None
    assert_maps_back(parsed)
    # the entity is decoded; the source is the extracted text, so it maps one to one
    block = by_text[next(t for t in by_text if "35 metres" in t)]
    assert whole_source(parsed, block) == parsed.text[block.start : block.end]


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_html_docx_locations_through_documents(tmp_path, kind):
    from embeddings.documents import read_document

    if kind == "html":
        path = tmp_path / "tidal.html"
        path.write_text(BOILERPLATE_PAGE, encoding="utf-8")
        fact = "Blades are made of carbon fibre composite."
    else:
        path = make_docx(tmp_path / "guide.docx")
        fact = "Passwords must be rotated every 90 days."
    document, warnings = read_document(path)
    assert warnings == [] and document.format == kind
    start = document.text.index(fact)
    where = document.locate(start, start + len(fact))
    assert where.page is None and document.source_text[where.start : where.end] == fact
    row = next(b for b in document.blocks if b.kind == "table")
    spot = document.locate(row.start, row.end)  # header words map to the header line
    assert document.source_text[spot.start : spot.end].count("\n") == 1


def test_html_table_rows_as_sentences_and_tables_without_header_as_is(tmp_path):
    body = ("<p>The relay has several settings that operators change often, listed below with their types.</p>"
            "<table><tr><th>Setting</th><th>Value</th><th></th></tr>"
            "<tr><td>Warranty</td><td>2 years.</td><td>extendable</td></tr>"
            "<tr><td>Colour</td><td></td><td></td></tr></table>"
            "<p>Contact details for the regional offices follow in the second table of this page.</p>"
            "<table><tr><td>Oslo</td><td>+47 22 00 00 00</td></tr><tr><td>Bergen</td><td>+47 55 00 00 00</td></tr>"
            "</table>")
    page = f"<html><head><title>t</title></head><body><article>{body}</article></body></html>"
    parsed = parse(tmp_path / "relay.html", page.encode())
    rows = [t for t, b in zip(block_texts(parsed), parsed.blocks) if b.kind == "table"]
    assert rows == [
        "The Value of Warranty is 2 years. Warranty: extendable.",  # no second "."; no header word: "key: value"
        "Colour",  # only the key
        "Oslo | +47 22 00 00 00",  # no <th>: the row's source line as is
        "Bergen | +47 55 00 00 00",
    ]
    assert "Oslo | +47 22 00 00 00\nBergen | +47 55 00 00 00" in parsed.source
    oslo = next(b for b in parsed.blocks if parsed.text[b.start : b.end].startswith("Oslo"))
    assert whole_source(parsed, oslo) == "Oslo | +47 22 00 00 00"
    assert_maps_back(parsed)


def test_html_without_content_container_keeps_headings_and_lists(tmp_path):
    # a pandoc-style export: no <article>/<main>; trafilatura's first pass drops
    # headings and lists there, the parser retries with the body as the article
    page = ("<html><head><title>Relay notes</title></head><body>"
            "<div class='menu'><a href='/'>Home</a> | <a href='/docs'>Docs</a></div>"
            f"<div class='container'><div class='row'>{ARTICLE}</div></div></body></html>")
    parsed = parse(tmp_path / "notes.html", page.encode())
    assert "carbon fibre" in parsed.text and "every 18 months" in parsed.text
    [blades] = [b for b, t in zip(parsed.blocks, block_texts(parsed)) if t.startswith("Blades")]
    assert blades.section == ("Tidal Energy in Kesslo Bay", "Turbines")
    assert "The Average output of Winter is 210 MW." in block_texts(parsed)
    assert "Docs" not in parsed.text
    assert_maps_back(parsed)


def test_html_div_layout_menus_and_footer_dates_stay_out(tmp_path):
    # no semantic tags at all: trafilatura's default mode lets the div menu in and
    # guesses the date from the footer's copyright; precision + markup-only dates do not
    page = ("<html><body><div class='header'><a href='/'>Home</a> | <a href='/x'>Products</a></div>"
            "<div class='content'><div>The warranty lasts 24 months from the date of purchase.</div>"
            "<div>Returns are accepted within 30 days if the item is unused.</div></div>"
            "<div class='footer'>Copyright 2023 Blendco</div></body></html>")
    parsed = parse(tmp_path / "warranty.html", page.encode())
    assert "24 months" in parsed.text and "30 days" in parsed.text
    assert "Home" not in parsed.text and "Products" not in parsed.text
    assert parsed.date is None


def test_html_permalink_headings_are_sections(tmp_path):
    # mdBook / Sphinx style: headings are links to themselves (or carry a ¶ link)
    para = "Workers {0} handle jobs from queue {0}, one job at a time, and report back when done."
    page = ("<html><head><title>Workers - The Tool Book</title></head><body>"
            "<nav><a href='/'>Home</a></nav><main>"
            "<h1 id='w'><a class='header' href='#w'>Workers</a></h1>" + f"<p>{para.format(1)}</p>"
            + "<h2 id='t'>Thread workers<a class='headerlink' href='#t'>¶</a></h2>" + f"<p>{para.format(2)}</p>"
            + "</main></body></html>")
    parsed = parse(tmp_path / "workers.html", page.encode())
    assert parsed.title == "Workers"
    assert [b.section for b in parsed.blocks] == [("Workers",), ("Workers", "Thread workers")]
    assert "¶" not in parsed.source


def test_html_navigation_only_is_an_error(tmp_path):
    page = ("<html><head><title>Site map</title></head><body><nav><ul>"
            + "".join(f"<li><a href='/{w}'>{w.title()}</a></li>" for w in ["home", "about", "products", "contact"])
            + "</ul></nav><footer>© 2024 Example Corp · Imprint · Privacy</footer></body></html>")
    with pytest.raises(FormatError, match="no main text"):
        parse(tmp_path / "nav.html", page.encode())
    with pytest.raises(FormatError, match=r"^\S*empty.htm has no main text \(not an HTML page\?\)$"):
        parse(tmp_path / "empty.htm", b"")
    # a menu in divs and a footer line: the retry for lost lists must not keep the footer
    divs = ("<html><head><title>Menu</title></head><body><div class='menu'><ul>"
            "<li><a href='/'>Home</a></li><li><a href='/a'>About us</a></li><li><a href='/c'>Contact</a></li>"
            "</ul></div><div class='foot'>(c) 2024 Example</div></body></html>")
    with pytest.raises(FormatError, match="no main text"):
        parse(tmp_path / "menu.html", divs.encode())


def test_html_list_only_page(tmp_path):
    page = ("<html><head><title>Packing</title></head><body><h1>Packing list</h1><ul>"
            "<li>Two warm sweaters for the boat trip</li><li>Rain jacket with a hood</li></ul></body></html>")
    parsed = parse(tmp_path / "packing.html", page.encode())
    assert [(b.section, t) for b, t in zip(parsed.blocks, block_texts(parsed))] == [
        (("Packing list",), "Two warm sweaters for the boat trip"),
        (("Packing list",), "Rain jacket with a hood"),
    ]


def test_html_declared_charset(tmp_path):
    page = ("<html><head><meta charset='windows-1252'><title>Caf\xe9 menu</title></head><body><article>"
            "<p>The caf\xe9 on R\xf8dvej serves cr\xe8me br\xfbl\xe9e every Sunday for 6 euros, "
            "from noon until the kitchen closes at nine.</p></article></body></html>")
    parsed = parse(tmp_path / "cafe.htm", page.encode("cp1252"))
    assert "café on Rødvej serves crème brûlée" in parsed.text
    assert parsed.title == "Café menu"


# --- DOCX ----------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    props = d.core_properties
    props.title, props.author = "Relay Configuration Guide", "Ana Pereira"
    props.created = dt.datetime(2024, 6, 2, 8, 30)
    d.add_paragraph("Relay Configuration Guide", style="Title")
    d.add_paragraph("This guide covers the settings of the relay daemon.")
    d.add_heading("Security", level=1)
    d.add_paragraph("The relay encrypts traffic with TLS 1.3 by default.")
    d.add_heading("Passwords", level=2)
    d.add_paragraph("Passwords must be rotated every 90 days.")
    d.add_paragraph("Use at least 14 characters.", style="List Bullet")
    d.add_paragraph("Never reuse the last 5 passwords.", style="List Bullet")
    table = d.add_table(rows=3, cols=3)
    for r, values in enumerate([("Name", "Type", "Default"), ("password", "bool", "False"), ("timeout", "int", "30")]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    d.add_paragraph("")
    d.add_heading("Logging", level=1)
    d.add_paragraph("Logs are kept for 31 days.")
    d.save(str(path))
    return path


def test_docx_structure_and_metadata(tmp_path):
    parsed = parse_file(make_docx(tmp_path / "guide.docx"))
    assert parsed.title == "Relay Configuration Guide"
    assert parsed.date == "2024-06-02"
    assert parsed.metadata["author"] == "Ana Pereira"

    root = ("Relay Configuration Guide",)
    assert [(t, b.kind, b.section) for t, b in zip(block_texts(parsed), parsed.blocks)] == [
        ("This guide covers the settings of the relay daemon.", "text", root),
        ("The relay encrypts traffic with TLS 1.3 by default.", "text", root + ("Security",)),
        ("Passwords must be rotated every 90 days.", "text", root + ("Security", "Passwords")),
        ("Use at least 14 characters.", "text", root + ("Security", "Passwords")),
        ("Never reuse the last 5 passwords.", "text", root + ("Security", "Passwords")),
        ("The Type of password is bool. The Default of password is False.", "table", root + ("Security", "Passwords")),
        ("The Type of timeout is int. The Default of timeout is 30.", "table", root + ("Security", "Passwords")),
        ("Logs are kept for 31 days.", "text", root + ("Logging",)),
    ]
    assert parsed.source == (
        "Relay Configuration Guide\n\nThis guide covers the settings of the relay daemon.\n\nSecurity\n\n"
        "The relay encrypts traffic with TLS 1.3 by default.\n\nPasswords\n\n"
        "Passwords must be rotated every 90 days.\n\nUse at least 14 characters.\n\n"
        "Never reuse the last 5 passwords.\n\n"
        "Name | Type | Default\npassword | bool | False\ntimeout | int | 30\n\n"
        "Logging\n\nLogs are kept for 31 days."
    )
    # header words map to the header row, the key (each time) and the values to their own row
    row = parsed.blocks[5]
    assert parsed.source_map.to_source(row.start, row.start + 4) is None  # "The "
    for word in ("Type", "Default"):
        at = parsed.text.index(word, row.start)
        lo, hi = parsed.source_map.to_source(at, at + len(word))
        assert parsed.source[lo:hi] == word and lo == parsed.source.index(word)  # in "Name | Type | Default"
    line = parsed.source.index("password | bool | False")
    keys = [i for i in range(row.start, row.end) if parsed.text.startswith("password", i)]
    assert len(keys) == 2
    for at in keys:
        assert parsed.source_map.to_source(at, at + 8) == (line, line + 8)
    at = parsed.text.index("False", row.start)
    assert parsed.source_map.to_source(at, at + 5) == (parsed.source.index("False"), parsed.source.index("False") + 5)
    for word in ("The ", " of ", " is ", "."):
        at = parsed.text.index(word, row.start)
        assert parsed.source_map.to_source(at, at + len(word)) is None
    assert_maps_back(parsed)


def test_docx_merged_cells_links_and_content_controls(tmp_path):
    import docx
    from docx.oxml import OxmlElement

    d = docx.Document()
    table = d.add_table(rows=4, cols=3)
    for r, row in enumerate([("Region", "City", "Staff"), ("North", "Oslo", "12"), (None, "Bergen", "7"),
                             ("South", "Kristiansand", "4")]):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(2, 0))  # "North" spans two rows
    table.cell(3, 1).add_paragraph("(harbour office)")
    # a paragraph with a hyperlink, inside a content control (w:sdt)
    paragraph = d.add_paragraph("Forms are at ")
    link, run, text = OxmlElement("w:hyperlink"), OxmlElement("w:r"), OxmlElement("w:t")
    text.text = "the staff portal"
    run.append(text)
    link.append(run)
    paragraph._p.append(link)
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    paragraph._p.addprevious(sdt)
    sdt.append(content)
    content.append(paragraph._p)
    buffer = io.BytesIO()
    d.save(buffer)
    parsed = parse(tmp_path / "staff.docx", buffer.getvalue())
    assert block_texts(parsed) == [
        "The City of North is Oslo. The Staff of North is 12.",
        "The City of North is Bergen. The Staff of North is 7.",
        "The City of South is Kristiansand (harbour office). The Staff of South is 4.",
        "Forms are at the staff portal",
    ]
    assert "North | Bergen | 7" in parsed.source
    assert_maps_back(parsed)


def test_docx_template_date_is_no_date(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Only one paragraph here.")
    path = tmp_path / "plain.docx"
    d.save(str(path))
    parsed = parse_file(path)
    assert parsed.date is None and parsed.title is None
    assert block_texts(parsed) == ["Only one paragraph here."]


def test_docx_damaged_is_an_error(tmp_path):
    with pytest.raises(FormatError, match="not a readable Word document"):
        parse(tmp_path / "random.docx", random.Random(2).randbytes(3000))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", "a zip file renamed to .docx")
    with pytest.raises(FormatError, match="not a readable Word document") as info:
        parse(tmp_path / "renamed.docx", buffer.getvalue())
    assert "\n" not in str(info.value)
    good = make_docx(tmp_path / "g.docx").read_bytes()
    with pytest.raises(FormatError, match="not a readable Word document"):
        parse(tmp_path / "cut.docx", good[: len(good) // 2])


# --- offsets property (generated DOCX / HTML) ---------------------------------------------------

_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÆøé0123456789.,:;!?'&<>\"-", min_size=1, max_size=12)
_phrase = st.lists(_words, min_size=1, max_size=8).map(" ".join)
_element = st.one_of(
    st.tuples(st.just("heading"), st.integers(1, 3), _phrase),
    st.tuples(st.just("para"), st.just(0), _phrase),
    st.tuples(st.just("list"), st.just(0), st.lists(_phrase, min_size=1, max_size=3)),
    st.tuples(st.just("table"), st.integers(1, 3), st.lists(st.lists(_phrase, min_size=2, max_size=2),
                                                            min_size=2, max_size=3)),
)
_document = st.lists(_element, min_size=1, max_size=6)
_property = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ends_sentence(value: str) -> bool:
    return value.rstrip("\"')]}»”’")[-1:] in (".", "!", "?", "…")


def _expected_texts(elements) -> list[str]:
    """The block texts every parser must produce from the generated elements."""
    out = []
    for kind, _level, content in elements:
        if kind == "para":
            out.append(content)
        elif kind == "list":
            out.extend(content)
        elif kind == "table":
            header = content[0]
            for key, *values in content[1:]:
                sentences = [f"The {h} of {key} is {v}" + ("" if _ends_sentence(v) else ".")
                             for h, v in zip(header[1:], values)]
                out.append(" ".join(sentences) or key)
    return out


@_property
@given(_document)
def test_docx_offsets_property(elements):
    import docx

    d = docx.Document()
    for kind, level, content in elements:
        if kind == "heading":
            d.add_heading(content, level=level)
        elif kind == "para":
            d.add_paragraph(content)
        elif kind == "list":
            for item in content:
                d.add_paragraph(item, style="List Bullet")
        else:
            table = d.add_table(rows=len(content), cols=2)
            for r, row in enumerate(content):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    buffer = io.BytesIO()
    d.save(buffer)
    parsed = parse(Path("generated.docx"), buffer.getvalue())
    norm = lambda s: " ".join(s.split())  # noqa: E731
    assert [norm(t) for t in block_texts(parsed)] == [norm(t) for t in _expected_texts(elements)]
    assert_maps_back(parsed)


@_property
@given(_document)
def test_html_offsets_property(elements):
    parts = []
    for kind, level, content in elements:
        if kind == "heading":
            parts.append(f"<h{level}>{escape(content)}</h{level}>")
        elif kind == "para":
            parts.append(f"<p>{escape(content)}</p>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in content) + "</ul>")
        else:
            head, *rows = content
            parts.append("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
                         + "</table>")
    page = f"<html><head><title>t</title></head><body><article>{''.join(parts)}</article></body></html>"
    try:
        parsed = parse(Path("generated.html"), page.encode())
    except FormatError:
        return  # trafilatura judged it no main text (e.g. only headings)
    assert_maps_back(parsed)
    # blocks are the generated texts, in order (trafilatura may drop a repeated one)
    norm = lambda s: " ".join(s.split())  # noqa: E731
    expected = iter([norm(t) for t in _expected_texts(elements)])
    for text in block_texts(parsed):
        assert norm(text) in expected
