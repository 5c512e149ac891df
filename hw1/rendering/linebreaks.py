"""Lines broken early inside a justified paragraph, found in WeasyPrint's layout and laid out again.

WeasyPrint 70 sometimes ends a line after the second half of a hyphenated word although the rest fits: seed 8's
hand-in printed "... the tar-" / "geted" / "attack succeeds on 97.5% ...", a one-word line inside a paragraph
(reproduced with plain WeasyPrint, so not a speed-up's doing; it depends on the exact text: without the
percent signs the same paragraph breaks well). LaTeX never prints such a line. After a layout, `early_breaks`
finds the paragraphs with a short line that is neither their first nor their last (public box attributes only);
`without_auto_hyphens` gives the page with those paragraphs set to `hyphens: manual`, which lays them out
again without the automatic hyphenation that triggers it. One retry: a paragraph still broken is left as it is.
"""

from __future__ import annotations

import re

SHORT = 0.5  # a line inside a justified paragraph filling less than half the measure was broken early
_P_TAG = re.compile(r"<p(?=[\s>])")


def _lines_of(box):
    """Each block's own line boxes, for every block under `box` (a page's root box)."""
    lines = [child for child in getattr(box, "children", ()) if type(child).__name__ == "LineBox"]
    if lines:
        yield box, lines
    for child in getattr(box, "children", ()):
        if type(child).__name__ != "LineBox":
            yield from _lines_of(child)


def _filled(line, measure: float) -> float:
    """The share of the paragraph's measure (its content width) the line's content takes (a line box is as wide
    as its content)."""
    return line.width / measure if measure else 1.0


def _is_p(element) -> bool:
    tag = getattr(element, "tag", "")
    return isinstance(tag, str) and (tag == "p" or tag.endswith("}p"))


def early_breaks(document) -> tuple[list[int], int]:
    """Indexes (document order among the <p> elements) of paragraphs with a line broken early, and the number of
    <p> elements; ([], 0) where the layout cannot be read (`Page._page_box` is a page's root box in WeasyPrint 70)."""
    boxes = [getattr(page, "_page_box", None) for page in document.pages]
    if not boxes or any(box is None for box in boxes):
        return [], 0
    found, root = [], None
    for page_box in boxes:
        for block, lines in _lines_of(page_box):
            element = getattr(block, "element", None)
            if root is None and element is not None and getattr(element, "tag", "").endswith("html"):
                root = element
            if (len(lines) >= 3 and _is_p(element) and block.style["text_align_all"] == "justify"
                    and any(_filled(line, block.width) < SHORT for line in lines[1:-1]) and element not in found):
                found.append(element)
        if root is None and page_box.children:
            root = getattr(page_box.children[0], "element", None)
    if not found or root is None:
        return [], 0
    paragraphs = [element for element in root.iter() if _is_p(element)]
    return sorted(paragraphs.index(element) for element in found if element in paragraphs), len(paragraphs)


def without_auto_hyphens(page: str, indexes: list[int], paragraphs: int) -> str:
    """`page` with the <p> elements at `indexes` (document order) set to `hyphens: manual`; unchanged unless its
    <p ...> tags are exactly the `paragraphs` the layout had (so that an index names the same paragraph)."""
    wanted, pieces, last = set(indexes), [], 0
    tags = list(_P_TAG.finditer(page))
    if len(tags) != paragraphs or not wanted:
        return page
    for k, match in enumerate(tags):
        if k in wanted:
            pieces += [page[last:match.end()], ' style="hyphens: manual"']
            last = match.end()
    return "".join(pieces) + page[last:]
