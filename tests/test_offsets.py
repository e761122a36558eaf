"""Reading text ↔ source: the builder's map leads every visible character back to the file."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from embeddings.offsets import BLOCK_SEPARATOR, SourceMap, TextBuilder


def test_verbatim_mapped_and_inserted_pieces():
    source = "# Title\n\nSay **hello** &amp; `run`!\n"
    b = TextBuilder(source)
    b.begin("text", ("Title",))
    b.verbatim(9, 13)  # "Say "
    b.verbatim(15, 20)  # "hello"
    b.verbatim(22, 23)  # " "
    b.mapped("&", 23, 28)  # "&amp;"
    b.verbatim(28, 29)
    b.verbatim(30, 33)  # "run"
    b.inserted("!")
    text, blocks, smap = b.build()
    assert text == "Say hello & run!"
    assert [(x.start, x.end, x.kind, x.section) for x in blocks] == [(0, 16, "text", ("Title",))]
    assert smap.to_source(4, 9) == (15, 20) and source[15:20] == "hello"
    assert smap.to_source(10, 11) == (23, 28)  # the entity as a unit
    assert smap.to_source(0, 9) == (9, 20)  # first to last visible character, markup inside
    assert smap.to_source(15, 16) is None  # only inserted characters
    assert smap.to_source(12, 16) == (30, 33)


def test_blocks_are_separated_and_empty_blocks_vanish():
    source = "one\ntwo"
    b = TextBuilder(source)
    b.begin()
    b.verbatim(0, 3)
    b.begin("code")
    b.inserted("   ")
    b.begin("table", ("S",), page=2)
    b.verbatim(4, 7)
    text, blocks, smap = b.build()
    assert text == "one" + BLOCK_SEPARATOR + "two"
    assert [(x.kind, text[x.start : x.end], x.page) for x in blocks] == [("text", "one", None), ("table", "two", 2)]
    assert smap.to_source(blocks[1].start, blocks[1].end) == (4, 7)


def test_round_trip_and_identity():
    smap = SourceMap(((0, 3, 10, 3), (5, 1, 20, 4)))
    assert SourceMap.from_list(smap.to_list()) == smap
    assert SourceMap.identity(5).is_identity and not smap.is_identity
    assert SourceMap.identity(5).to_source(1, 3) == (1, 3)


pieces = st.lists(
    st.tuples(
        st.sampled_from(["verbatim", "mapped", "inserted", "block"]),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=6),
    ),
    max_size=30,
)


@given(pieces)
def test_every_mapped_character_leads_to_its_source(parts):
    # A source of verbatim pieces and "<x>" units; the reading text holds x for each unit.
    source = "".join(f"<{t}>" if kind == "mapped" else t for kind, t in parts if kind in ("verbatim", "mapped"))
    b = TextBuilder(source)
    b.begin()
    cursor = 0
    visible = []  # the mapped pieces, in order
    for kind, t in parts:
        if kind == "block":
            b.begin()
        elif kind == "verbatim":
            b.verbatim(cursor, cursor + len(t))
            cursor += len(t)
            visible.append(t)
        elif kind == "mapped":
            b.mapped(t, cursor, cursor + len(t) + 2)
            cursor += len(t) + 2
            visible.append(t)
        else:
            b.inserted(t)
    text, blocks, smap = b.build()
    for t0, tl, s0, sl in smap.runs:
        if tl == sl:
            assert text[t0 : t0 + tl] == source[s0 : s0 + sl]
            for i in range(tl):
                assert smap.to_source(t0 + i, t0 + i + 1) == (s0 + i, s0 + i + 1)
        else:
            assert source[s0 : s0 + sl] == f"<{text[t0 : t0 + tl]}>"
            assert smap.to_source(t0, t0 + tl) == (s0, s0 + sl)
    mapped_text = "".join(text[r[0] : r[0] + r[1]] for r in smap.runs)
    # Only whitespace-only blocks are dropped: every visible non-space character is mapped, in order.
    assert "".join(mapped_text.split()) == "".join("".join(visible).split())
    for block in blocks:
        assert text[block.start : block.end].strip() == text[block.start : block.end]
        assert block.end > block.start
