"""HTML (trafilatura): the page's main content only, with its headings as section paths.

trafilatura finds the main content and drops navigation, scripts, styles,
cookie banners, sidebars and footers. It is asked for its XML output
(``<head>``, ``<p>``, ``<list>/<item>``, ``<table>/<row>/<cell>``, ``<code>``,
``<quote>``), which keeps the structure, with ``favor_precision=True``: on a
page without a recognisable content container its default and recall modes
fall back to a flat baseline that lets ``<div>`` menus through ("Home |
Products The warranty lasts…"), precision mode does not. Dates come from the
page's markup only (``extensive_search=False``): the default also guesses
from text, and took "Copyright 2023" in a footer for 2023-01-01.

Two repairs around trafilatura, both measured on real pages (mdBook, rustdoc,
pandoc-style exports):

- links inside ``<h1>``…``<h6>`` are replaced by their text (permalink symbols
  such as ``¶`` dropped) before extraction: documentation generators make
  every heading a link to itself, and precision mode deletes all-link
  headings as boilerplate, losing every section path; a bare ``<pre>`` gets
  a ``<code>`` inside, else trafilatura makes it a quote and joins its lines;
- without a content container (``<article>``, ``<main>``, ``id="content"``…)
  trafilatura collects loose paragraphs only and loses headings and lists
  (a pandoc export ``<body><h1>…``, a ``<div class="container">`` layout).
  When the page has headings or list items outside ``nav``/``header``/
  ``footer``/``aside`` that the extraction lacks, the innermost element
  holding every paragraph it kept (the body, if need be) is made an
  ``<article>`` and the page extracted again; that result is kept when it
  holds at least as many words (when the first pass found nothing, when it
  holds a heading or a list).

The title is the ``<title>`` element without a trailing site name ("Page |
Site" → "Page"), else trafilatura's; the date, author, site name and
description are trafilatura's (meta tags, JSON-LD). Bytes are decoded by
trafilatura (the charset the page declares, else detected).

Source layout (what citations index): the extracted text, one entry per
element, entries separated by a blank line: a heading's text, a paragraph
(``<lb/>`` as a newline), a code block as is; a list's items one per line; a
table's rows one per line, cells joined by ``" | "``. Reading text: one block
per paragraph, list item (a ``<dt>`` and its ``<dd>`` together), code block
and table row; headings are not blocks but the section path of what follows
them. Every block is a verbatim copy of its source range, except table rows
under a header row (``<th>`` cells), which read ``The Average output of Winter
is 210 MW.`` — one sentence per cell naming the row's first cell and the
column's header, the header words read from the header row's place in the
source (`embeddings.formats.tables.write_row`). Rows of a table without a
header row are their source line as is.
"""

from __future__ import annotations

import re
from pathlib import Path

from embeddings.formats import FormatError, Parsed
from embeddings.formats.tables import Sections, SourceWriter, write_table

_WHITESPACE = re.compile(r"\s+")
#: "Page title | Site", "Page title - Site", "Page title — Site" → "Page title"
_TITLE_SITE = re.compile(r"^(.+)\s+[|–—·•»-]\s+\S.*$")
_CONTENT_MARKUP = (
    "//body//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::li]"
    "[not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside)]"
)
_EXTRACT_OPTIONS = dict(
    output_format="xml",
    with_metadata=True,
    include_tables=True,
    include_formatting=False,
    include_comments=False,
    include_images=False,
    include_links=False,
    favor_precision=True,
    deduplicate=False,
    date_extraction_params={"extensive_search": False, "original_date": True},
)


# --- HTML ---------------------------------------------------------------------------------


def parse(path: Path, data: bytes) -> Parsed:
    import trafilatura
    from lxml import etree
    from trafilatura.utils import load_html

    def load():
        tree = load_html(data) if data.strip() else None
        return None if tree is None else _prepare(tree)

    def extract(tree):
        xml = trafilatura.extract(tree, **_EXTRACT_OPTIONS)
        return etree.fromstring(xml) if xml else None

    try:
        tree = load()
        if tree is None:
            raise FormatError(f"{path} has no main text (not an HTML page?)")
        page_title = _page_title(tree)
        markup = {el.tag for el in tree.xpath(_CONTENT_MARKUP)}
        doc = extract(tree)
        if _lost_structure(doc, markup):
            # tell trafilatura where the content is: the element around what it kept
            tree = load()
            container = _container(tree, doc)
            if container is not None:
                if container.tag == "body":
                    article = etree.SubElement(container, "article")
                    article.text, container.text = container.text, None
                    for child in list(container)[:-1]:
                        article.append(child)
                else:
                    container.tag = "article"
                again = extract(tree)
                if again is not None and (
                    _words(again) >= _words(doc) if doc is not None
                    # nothing found before: only the structure looked for, not a stray line
                    else again.find(".//head") is not None or again.find(".//list") is not None
                ):
                    doc = again
    except FormatError:
        raise
    except (ValueError, TypeError, etree.LxmlError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise FormatError(f"{path} could not be read as HTML ({reason})") from None
    main = doc.find("main") if doc is not None else None
    if main is None or not "".join(main.itertext()).strip():
        raise FormatError(f"{path} has no main text (only navigation or boilerplate?)")

    writer = SourceWriter()
    _walk(main, writer, Sections())
    source, text, blocks, source_map = writer.build()
    if not blocks:
        raise FormatError(f"{path} has no main text (only navigation or boilerplate?)")
    metadata = {}
    for key in ("author", "sitename", "description", "categories", "tags", "url", "language"):
        value = " ".join((doc.get(key) or "").split())
        if value:
            metadata[key] = value
    date = doc.get("date") or None
    return Parsed(
        text=text,
        blocks=blocks,
        source=source,
        source_map=source_map,
        title=page_title or " ".join((doc.get("title") or "").split()) or None,
        date=date if date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else None,
        metadata=metadata,
    )


def _prepare(tree):
    """Two fixes to the page before trafilatura sees it.

    Links inside headings → their text (a permalink symbol such as ``¶`` or
    ``#``: dropped): documentation generators make headings links to
    themselves, and in precision mode trafilatura deletes all-link headings.
    A ``<pre>`` without ``<code>`` gets one: trafilatura turns a bare
    ``<pre>`` into a quote and joins its lines."""
    from lxml import etree

    for heading in tree.xpath("//h1|//h2|//h3|//h4|//h5|//h6"):
        for link in list(heading.iter("a")):
            if any(c.isalnum() for c in link.text_content()):
                link.drop_tag()
            else:
                link.drop_tree()
    for pre in tree.xpath("//pre[not(.//code)]"):
        code = etree.Element("code")
        code.text, pre.text = pre.text, None
        for child in list(pre):
            code.append(child)
        pre.append(code)
    return tree


def _page_title(tree) -> str | None:
    """The ``<title>`` element, without a site name after a separator (" | ", " - ", " — ")."""
    element = tree.find(".//head/title")
    title = " ".join(element.text_content().split()) if element is not None else ""
    match = _TITLE_SITE.match(title)
    return (match.group(1) if match else title) or None


def _lost_structure(doc, markup: set[str]) -> bool:
    """Whether the page's content has headings or list items that the extraction lacks."""
    if doc is None:
        return bool(markup)
    lost_heads = any(t.startswith("h") for t in markup) and doc.find(".//head") is None
    return lost_heads or ("li" in markup and doc.find(".//list") is None)


def _container(tree, doc):
    """The innermost element holding every paragraph the extraction kept (the body if unsure)."""
    body = tree.find(".//body")
    if body is None or doc is None:
        return body
    kept = {" ".join("".join(p.itertext()).split()) for p in doc.iter("p")} - {""}
    found = [p for p in body.iter("p") if " ".join(p.text_content().split()) in kept]
    if not found:
        return body
    common = list(found[0].iterancestors())
    for p in found[1:]:
        ancestors = set(p.iterancestors())
        common = [a for a in common if a in ancestors]
    return common[0] if common else body


def _words(doc) -> int:
    main = doc.find("main")
    return len("".join(main.itertext()).split()) if main is not None else 0


def _walk(parent, writer: SourceWriter, sections: Sections) -> None:
    for el in parent:
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        if tag == "head":
            title = _text(el)
            if title:
                rend = el.get("rend") or ""
                level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
                sections.enter(level, " ".join(title.split()))
                writer.write(title)
        elif tag == "list":
            _list(el, writer, sections)
        elif tag == "table":
            rows = [[" ".join(_text(cell).split()) for cell in row.iter("cell")] for row in el.iter("row")]
            header = bool(len(el) and el[0].tag == "row" and len(el[0])
                          and all(c.get("role") == "head" for c in el[0].iter("cell")))
            write_table(writer, sections.path, rows, header)
        elif tag == "code":
            code = (el.text or "") + "".join(_text(c, code=True) + (c.tail or "") for c in el)
            code = "\n".join(line.rstrip() for line in code.strip("\n").split("\n"))
            if code.strip():
                writer.block("code", sections.path, [writer.write(code)])
        elif tag in ("quote", "div", "main", "section") and any(
            isinstance(c.tag, str) and c.tag in ("p", "list", "table", "head", "code", "quote") for c in el
        ):
            _walk(el, writer, sections)
        elif tag == "graphic":
            continue
        else:  # p, quote, anything else holding text
            text = _text(el)
            if text:
                writer.block("text", sections.path, [writer.write(text)])


def _list(el, writer: SourceWriter, sections: Sections, separator: str = "\n\n") -> str:
    """A list's items one per source line (the first after ``separator``); a ``<dt>`` item
    and its ``<dd>`` items are one block. Returns the separator for what follows in the list."""
    group: list[tuple[int, int]] | None = None
    for item in el:
        if item.tag != "item":
            continue
        own = _text(item, skip=("list",))
        if own:
            rng = writer.write(own, separator)
            separator = "\n"
            rend = item.get("rend", "")
            if rend.startswith("dt"):
                group = [rng]
                writer.block("text", sections.path, group)
            elif rend.startswith("dd") and group is not None:
                group.append(rng)
            else:
                group = None
                writer.block("text", sections.path, [rng])
        for sub in item:
            if sub.tag == "list":
                separator = _list(sub, writer, sections, separator)
                group = None
    return separator


def _text(el, skip: tuple[str, ...] = (), code: bool = False) -> str:
    """An element's text: ``<lb/>`` a newline; elsewhere, unless code, any run of
    whitespace one space (as a browser shows it), lines trimmed, empty lines dropped."""
    parts: list[str] = []
    squeeze = (lambda t: t) if code else (lambda t: _WHITESPACE.sub(" ", t))

    def visit(node) -> None:
        if node.text:
            parts.append(squeeze(node.text))
        for child in node:
            if isinstance(child.tag, str) and child.tag in skip:
                pass
            elif child.tag == "lb":
                parts.append("\n")
            elif isinstance(child.tag, str):
                visit(child)
            if child.tail:
                parts.append(squeeze(child.tail))

    visit(el)
    text = "".join(parts)
    if code:
        return text
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
