"""The warm render lays out again only the pages an edit touches (hw1/rendering/speedups/incremental.py), and its PDF is the
PDF of a full layout, byte for byte, after every kind of edit: a word, a paragraph that pushes the pages
on, pages added and removed, a heading the contents list, the contents' page itself, a table cell, a
figure pair, the stylesheet, and several places at once."""

from __future__ import annotations

import pytest

weasyprint = pytest.importorskip("weasyprint")

from hw1.rendering.speedups import boxtree, incremental, pdf_cache
from hw1.rendering import render as _quiet_font_notice  # noqa: F401 (its logging filter)

# As the report renders: font subsets cached by their glyphs. (fontTools stamps a new subset with the
# time of day, so two uncached renders of one page can differ in that stamp alone.)
pdf_cache.install()

STYLE = """
@page { size: A5; margin: 1.5cm;
  @top-right { content: string(section-title); font-size: 8pt; }
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; } }
@page :first { @top-right { content: none; } }
body { font-family: serif; font-size: 10pt; line-height: 1.35; }
h2 { string-set: section-title content(); }
h2, h3 { break-after: avoid; }
p { text-align: justify; hyphens: auto; orphans: 2; widows: 2; }
.toc a::after { content: leader(".") target-counter(attr(href), page); }
figure { break-inside: avoid; margin: 0.5em 0; }
.row { display: flex; gap: 0.3cm; }
table { border-collapse: collapse; break-inside: avoid; }
td { border: 0.5pt solid #777; padding: 2pt 4pt; }
"""
WORDS = ("gradient descent moves the weights against the slope of the loss and the step size decides how far "
         "each update goes while the curvature decides whether it overshoots").split()


def _square(colour: str) -> str:
    import base64

    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="120" height="80" '
           f'fill="#{colour}"/></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _paragraph(seed: int, words: int = 70) -> str:
    return " ".join(WORDS[(seed * 7 + k * 3) % len(WORDS)] for k in range(words)).capitalize() + "."


def _sections() -> dict[str, str]:
    """The document's editable pieces, by name."""
    pieces = {"title": "<h1>Report</h1><p>Rendered for a test.</p>"}
    for s in range(6):
        pieces[f"h{s}"] = f'<h2 id="s{s}">Section {s + 1}</h2>'
        for q in range(3):
            pieces[f"p{s}.{q}"] = f'<h3 id="s{s}q{q}">Question {s + 1}.{q + 1}</h3><p>{_paragraph(s * 3 + q)}</p>'
        pieces[f"t{s}"] = ("<table>" + "".join(f"<tr><td>row {r}</td><td>{r * s / 7:.3f}</td></tr>" for r in range(4))
                           + "</table>")
        pieces[f"f{s}"] = ('<div class="row">' + "".join(
            f'<figure><img src="{_square(colour)}"><figcaption>Figure {s}{side}.</figcaption></figure>'
            for side, colour in (("a", "4477aa"), ("b", "cc6677"))) + "</div>")
    return pieces


def _html(pieces: dict[str, str], style: str = STYLE) -> str:
    import re

    # The contents list each section's heading, as the report's do (a renamed heading renames its entry).
    contents = "".join(f'<li><a href="#{ident}">{text}</a></li>' for name, piece in pieces.items()
                       for ident, text in re.findall(r'<h2 id="(\w+)">([^<]*)</h2>', piece))
    body = pieces["title"] + f'<nav class="toc"><ol>{contents}</ol></nav>' + "".join(
        text for name, text in pieces.items() if name != "title")
    return f"<!DOCTYPE html><html lang=en><head><style>{style}</style></head><body>{body}</body></html>"


IMAGES: dict = {}  # the warm renders' image cache (as --watch keeps one): the same image, the same object


def _warm(html: str, key: str = "warm"):
    """A render in a warm process (the previous render of `key` and the image cache kept)."""
    return incremental.render(html, base_url="file:///nonexistent/", key=key, cache=IMAGES)


def _full_pdf(html: str) -> bytes:
    """The PDF of a full layout: nothing kept from a render before, no image kept."""
    incremental.forget("full")
    pdf = incremental.render(html, base_url="file:///nonexistent/", key="full", cache={}).write_pdf()
    assert incremental.LAST["incremental"] is False
    return pdf


def _edit(pieces: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in pieces[name], (name, old)
    return {**pieces, name: pieces[name].replace(old, new, 1)}


def test_incremental_renders_are_full_renders_after_every_kind_of_edit():
    if not incremental.enabled():
        pytest.skip(f"WeasyPrint {weasyprint.__version__} is not one incremental layout was checked against")
    incremental.forget()
    IMAGES.clear()
    pieces = _sections()
    pages = {len(_warm(_html(pieces)).pages)}
    assert incremental.LAST["incremental"] is False  # nothing before it
    edits = [  # (what, the edit, the most pages it may lay out again, or None: no limit); each on the last
        ("one word in the middle", lambda p: _edit(p, "p3.1", "gradient", "gradients"), 2),
        ("the same text again", lambda p: p, 1),
        ("a paragraph grown by lines", lambda p: _edit(p, "p2.0", "</p>", " " + _paragraph(5, 60) + "</p>"), None),
        ("a page more", lambda p: _edit(p, "p1.2", "</p>", "</p><p>" + _paragraph(9, 400) + "</p>"), None),
        ("that page removed again", lambda p: _edit(p, "p1.2", "</p><p>" + _paragraph(9, 400) + "</p>", "</p>"), None),
        ("a heading the contents list", lambda p: _edit(p, "h4", "Section 5", "Section five, renamed"), None),
        ("the title page", lambda p: _edit(p, "title", "Rendered for a test.", "Rendered again, for a test."), None),
        ("a table cell", lambda p: _edit(p, "t2", "row 3", "row three"), None),
        ("a figure caption in a flex row", lambda p: _edit(p, "f4", "Figure 4a.", "Figure 4a, renamed."), None),
        ("a section removed", lambda p: {name: text for name, text in p.items()
                                         if not name.startswith(("h3", "p3", "t3", "f3"))}, None),
        ("two places at once", lambda p: _edit(_edit(p, "p0.0", "loss", "cost"), "p5.2", "loss", "cost"), None),
        ("a paragraph inserted, and a word further on", lambda p: _edit(
            _edit(p, "p0.1", "</p>", "</p><p>" + _paragraph(3, 30) + "</p>"), "p5.0", "step", "stride"), None),
    ]
    for what, edit, most in edits:
        edited = edit(pieces)
        html = _html(edited)
        document = _warm(html)
        pages.add(len(document.pages))
        warm = document.write_pdf()
        done = dict(incremental.LAST)
        assert done["incremental"], f"{what}: laid out in full"
        assert warm == _full_pdf(html), f"{what}: the warm PDF differs from a full layout's ({done})"
        if most is not None:
            relaid = sum(last - first + 1 for first, last in done["relaid"])
            assert relaid <= most, f"{what}: laid out {relaid} pages again ({done})"
        pieces = edited
    assert len(pages) >= 2  # the page count changed on the way (and the contents' page numbers with it)
    # A stylesheet edit may change every page: a full layout, and still the same PDF.
    html = _html(pieces, STYLE.replace("line-height: 1.35", "line-height: 1.4"))
    warm = _warm(html).write_pdf()
    assert incremental.LAST["incremental"] is False
    assert warm == _full_pdf(html)


def test_an_edit_can_pull_a_heading_back_onto_the_page_before():
    """A heading kept with its paragraph (break-after: avoid) goes to the next page when the paragraph's
    first line does not fit. Making that line shorter brings both back: the page before changes, though
    the edit is on the page after. (The page whose layout looked at the edited box is laid out again.)"""
    if not incremental.enabled():
        pytest.skip(f"WeasyPrint {weasyprint.__version__} is not one incremental layout was checked against")

    def html(image_height: int) -> str:
        return (f"<!DOCTYPE html><html><head><style>{STYLE}</style></head><body>"
                '<div style="height: 600px; background: #eee"></div><h3 id="kept">A heading</h3>'
                f'<p><img style="height: {image_height}px" src="{_square("4477aa")}"> and its text.</p>'
                f"<p>{_paragraph(1, 200)}</p></body></html>")

    incremental.forget("pull")
    before = _warm(html(120), "pull")
    assert "kept" not in before.pages[0].anchors  # the heading went to page 2 with its paragraph
    after = _warm(html(12), "pull")
    assert incremental.LAST["incremental"] and "kept" in after.pages[0].anchors
    assert after.write_pdf() == _full_pdf(html(12))


def test_paths_of_the_old_tree_follow_inserted_and_removed_children():
    # Two children inserted at index 2 of the root's child 0, and one removed at index 7 (old indexes).
    shifts = [((0,), 2, 2, 2), ((0,), 7, 8, -1)]
    assert boxtree.moved((0, 1, 5), shifts) == (0, 1, 5)  # before the insertion: unchanged
    assert boxtree.moved((0, 4, 1), shifts) == (0, 6, 1)  # after it: two further on
    assert boxtree.moved((0, 7), shifts) is boxtree.UNKNOWN  # the removed child
    assert boxtree.moved((0, 9, 3), shifts) == (0, 10, 3)  # after both: +2 - 1
    assert boxtree.moved((1, 9), shifts) == (1, 9)  # another parent
    assert boxtree.moved_skip_stack({0: {4: {1: None}}}, shifts) == {0: {6: {1: None}}}
    assert boxtree.past((0, 6, 2), (0, 6)) is False and boxtree.past((0, 7), (0, 6)) is True
    assert boxtree.covers((0, 6), (0, 6, 2)) and boxtree.covers((0, 8), (0, 6, 2))
    assert not boxtree.covers((0, 5, 9), (0, 6, 2))
