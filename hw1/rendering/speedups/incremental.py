"""Lay out again only the pages an edit touches: the warm `--watch` render, with a full render's PDF.

WeasyPrint lays a document out page by page: page k starts where page k-1 stopped (a path of child
indexes into the box tree) in the state page k-1 left (page counters, page side), which it keeps per
page in `context.page_maker`. In a warm process, the render before an edit tells where every page
started, so this module:

1. compares the new box tree with the previous render's (a hash per box: its element, attributes, text
   and image, and its children's hashes, aligned like a diff) and lists the changed subtrees, with the
   index shifts that map the previous render's positions into the new tree;
2. keeps the previous pages up to the first one whose layout looked at a changed box (its "reach": a
   page's break can depend on boxes past it, such as a heading kept with the paragraph after it);
3. lays out pages from there with WeasyPrint's own `remake_page`, until a page ends past every change
   begun, in exactly the state the previous render had there; keeps the previous pages from there on,
   and so on for the next change;
4. gives the page lookups (the contents' `target-counter` page numbers) the previous render's anchor
   pages; when an anchor moved or the page count changed, reads them again and lets WeasyPrint's own
   repagination re-make the pages that show them.

A changed head (the stylesheet) means a full layout, as does a position it cannot map or a document
with what carries state from page to page outside page_maker (footnotes, running elements, floats
broken across pages). The PDF is byte for byte a full render's (tests/test_incremental.py, after every
kind of edit; the first render in a process, as a cold `--report-only`, is a full one).

This wraps WeasyPrint internals (`make_all_pages`, `block_level_layout`, `remake_page`, page_maker
entries, the target collector), so it is used only with the WeasyPrint versions it was checked against
(TESTED_WEASYPRINT); any other version renders every page, as before.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

TESTED_WEASYPRINT = ("70.",)  # versions whose layout internals this module was checked against
_UNKNOWN = object()  # a previous render's position with no place in the new tree (inside what changed)


class _FullLayoutNeeded(Exception):
    """The kept pages might not be what a full layout gives: lay the document out in full."""


@dataclass
class _Node:
    """A box's hash, for comparing two box trees: `own` covers the box itself, `whole` its subtree."""

    own: int
    whole: int
    children: list[_Node]
    laid_out_as_one: bool  # a table or flex/grid container: its layout reads all its content at once


@dataclass
class _Rendered:
    """What the next render needs from this one."""

    head: str  # the page's HTML before <body>: the stylesheet is in it
    base_url: str
    tree: _Node
    pages: list[tuple]  # per page: (page box, its children before margin boxes, its root's children, document)
    page_maker: list  # WeasyPrint's per-page start states, after pagination finished
    anchors: list[frozenset]  # per page: the anchors on it
    lookup_pages: set[int]  # pages whose content looks up other pages' numbers (target-counter: the contents)
    reach: list[tuple | None]  # per page: the furthest box its layout looked at (see _Plan.reach)
    initial_page_sizes: dict


@dataclass
class _Plan:
    """One render in progress."""

    previous: _Rendered | None
    context: Any = None
    tree: _Node | None = None
    paths: dict[int, tuple] = field(default_factory=dict)  # id(box) -> its path, for the boxes of this tree
    # Per page index, the furthest block box (in document order) whose layout that page started: a page's
    # break can depend on boxes past it (the lines kept by orphans, a heading kept with what follows).
    reach: dict[int, tuple] = field(default_factory=dict)
    incremental: bool = False
    relaid: list[tuple[int, int]] = field(default_factory=list)  # (first, last) page indexes laid out again
    pages: list = field(default_factory=list)  # as _Rendered.pages


_PREVIOUS: dict[str, _Rendered] = {}  # output PDF -> its last render in this process
_ACTIVE: list[_Plan] = []  # the render in progress (a one-item stack; renders do not nest)
LAST: dict[str, Any] = {}  # what the last render did: {"incremental": bool, "relaid": [(first, last) page indexes]}


def enabled() -> bool:
    import weasyprint

    return weasyprint.__version__.startswith(TESTED_WEASYPRINT) and _install()


def forget(key: str | None = None) -> None:
    """Drop what was kept of the previous render (of `key`, or of all): the next render is a full one."""
    if key is None:
        _PREVIOUS.clear()
    else:
        _PREVIOUS.pop(key, None)


def render(html_text: str, base_url: str, key: str, **options):
    """WeasyPrint's `HTML(string=html_text, base_url=base_url).render(**options)`, re-laying out only what
    changed since this process last rendered `key` (the output PDF's path)."""
    import weasyprint

    def full_render(previous: _Rendered | None) -> tuple[Any, _Plan]:
        plan = _Plan(previous)
        _ACTIVE.append(plan)
        try:
            return weasyprint.HTML(string=html_text, base_url=base_url).render(**options), plan
        finally:
            _ACTIVE.remove(plan)

    if not enabled():
        return weasyprint.HTML(string=html_text, base_url=base_url).render(**options)
    head = html_text.split("<body", 1)[0]
    previous = _PREVIOUS.pop(key, None)  # a failed render leaves nothing stale behind
    if previous is not None and (previous.head != head or previous.base_url != base_url):
        previous = None
    try:
        document, plan = full_render(previous)
    except _FullLayoutNeeded:
        document, plan = full_render(None)
    except Exception:
        if previous is None:
            raise
        # Keeping pages failed where WeasyPrint's own layout may not (the tests see it: LAST says "full").
        document, plan = full_render(None)
    LAST.update(incremental=plan.incremental, relaid=plan.relaid)
    context = plan.context
    if plan.tree is None or context is None or _carries_page_state(context):
        return document
    lookup_pages = {item.page_maker_index for item in context.target_collector.counter_lookup_items.values()
                    if item.page_maker_index is not None}
    if plan.incremental:
        lookup_pages |= previous.lookup_pages
    # A kept page box holds its document (and so the fonts it draws with) alive.
    pages = [(page, children, root_children, origin or document) for page, children, root_children, origin in plan.pages]
    _PREVIOUS[key] = _Rendered(
        head=head, base_url=base_url, tree=plan.tree, pages=pages,
        page_maker=copy.deepcopy(context.page_maker), anchors=[frozenset(page.anchors) for page in document.pages],
        reach=[plan.reach.get(i) for i in range(len(document.pages))], lookup_pages=lookup_pages,
        initial_page_sizes=dict(context.style_for.initial_page_sizes))
    return document


def _carries_page_state(context) -> bool:
    """Whether the document has what carries state from one page to the next beyond page_maker."""
    return bool(context.footnotes or context.reported_footnotes or context.broken_out_of_flow
                or any(context.running_elements.values()))


# --- The wrapped WeasyPrint steps ----------------------------------------------------------------------

_INSTALLED: list[bool] = []


def _install() -> bool:
    """Wrap weasyprint.layout.make_all_pages (once); False if this WeasyPrint lacks what is wrapped."""
    if _INSTALLED:
        return _INSTALLED[0]
    try:
        from weasyprint import layout
        from weasyprint.layout import block
        from weasyprint.layout.page import remake_page  # noqa: F401 (used by _incremental_pages)
    except ImportError:
        _INSTALLED.append(False)
        return False
    original = getattr(layout, "make_all_pages", None)
    if not callable(original) or not callable(getattr(block, "block_level_layout", None)):
        _INSTALLED.append(False)
        return False

    def make_all_pages(context, root_box, html, pages):
        plan = _ACTIVE[-1] if _ACTIVE else None
        if plan is None:
            yield from original(context, root_box, html, pages)
            return
        if plan.context is None:  # the first pagination pass of this render
            plan.context = context
            plan.tree = _tree(root_box, plan.paths)
            made = None if plan.previous is None else _incremental_pages(plan, context, root_box, html)
            plan.incremental = made is not None
            if made is None:
                made = list(original(context, root_box, html, pages))
        else:  # WeasyPrint paginates again: it re-makes the pages whose page lookups (contents) changed
            made = list(original(context, root_box, html, pages))
        # Before the margin boxes are added (which replaces these lists): what a later render reuses.
        origins = {id(kept[0]): kept[3] for kept in plan.previous.pages} if plan.incremental else {}
        plan.pages = [(page, page.children, page.children[0].children, origins.get(id(page))) for page in made]
        yield from made

    block_level_layout = block.block_level_layout

    def reaching_block_level_layout(context, box, *args, **kwargs):
        plan = _ACTIVE[-1] if _ACTIVE else None
        if plan is not None and plan.context is context:
            path = plan.paths.get(id(box))
            page = context.current_page - 1
            if path is not None and path > plan.reach.get(page, ()):
                plan.reach[page] = path
        return block_level_layout(context, box, *args, **kwargs)

    layout.make_all_pages = make_all_pages
    block.block_level_layout = reaching_block_level_layout
    _INSTALLED.append(True)
    return True


def _incremental_pages(plan: _Plan, context, root_box, html) -> list | None:
    """The pages of the new box tree: the previous ones where nothing changed, the rest laid out again
    (None, before anything is laid out: lay out every page instead)."""
    from weasyprint.layout.page import remake_page

    previous = plan.previous
    changes, shifts = _differences(previous.tree, plan.tree)
    count = len(previous.pages)
    # Previous positions, in the new tree's child indices (_UNKNOWN: inside what changed, or not recorded).
    reach = [_UNKNOWN if r is None else _moved(r, shifts) for r in previous.reach]
    entries = [(_moved_skip_stack(entry[0], shifts),) + tuple(copy.deepcopy(entry[1:])) for entry in previous.page_maker]
    pending = sorted((_widened(plan.tree, start), _widened(plan.tree, end)) for start, end in changes)
    if not pending:  # the same boxes: lay out the last page again (cheap), keep the rest
        if reach[-1] is _UNKNOWN:
            return None
        pending = [(reach[-1], reach[-1])]
    for entry in entries:  # object ids of the previous render's page lookups: meaningless here
        entry[-1]["content_lookups"] = []

    context.style_for.initial_page_sizes.update(previous.initial_page_sizes)
    context.rendered_notes = []
    _seed_page_numbers(context, previous)
    context.page_maker = [entries[0]]
    made: list = []
    moved = False  # whether an anchor is on another page than before (what reads page numbers changes)
    index = 0  # the next page to make
    while index < count:
        if not pending:
            _keep(made, context, html, previous, entries, reach, plan, index, count)
            index = count
            break
        start = pending[0][0]
        first = next((j for j in range(index, count) if reach[j] is _UNKNOWN or _covers(reach[j], start)), None)
        if first is None or entries[first][0] is _UNKNOWN:
            if not made:
                return None
            raise _FullLayoutNeeded
        _keep(made, context, html, previous, entries, reach, plan, index, first)
        index = first
        while True:  # lay out pages until past every change begun, in the state the previous render had there
            remake_state = context.page_maker[index][-1]
            before = entries[index][-1]["anchors"] if index < count else None
            remake_state.update(content_changed=False, pages_wanted=False, anchors=[], content_lookups=[])
            page, resume_at = remake_page(index, context, root_box, html)
            made.append(page)
            moved |= remake_state["anchors"] != before
            index += 1
            if resume_at is None:
                pending = []
                break
            resume_path = _path(resume_at)
            if resume_path is None or index >= count:
                continue
            while pending and _past(resume_path, pending[0][1]):
                pending.pop(0)
            if ((not pending or resume_path < pending[0][0]) and not _carries_page_state(context)
                    and context.page_maker[index][:4] == entries[index][:4]):
                context.page_maker[index] = entries[index]  # with the anchors the kept page caches
                break
        plan.relaid.append((first, index - 1))
    if moved or len(made) != count:
        # The contents' page numbers change. The page lookups laid out in this render read the previous
        # render's numbers (_seed_page_numbers): read them again, now that the anchors are laid out. Then
        # WeasyPrint's own repagination re-makes every page that looks them up, as after a first pass.
        for item in context.target_collector.counter_lookup_items.values():
            if item.page_maker_index is not None and item.page_maker_index + 1 < len(context.page_maker):
                item.parse_again(context.page_maker[item.page_maker_index + 1][3][1])
                context.page_maker[item.page_maker_index][-1]["content_changed"] = True
        for index in previous.lookup_pages:
            if index < len(context.page_maker):
                context.page_maker[index][-1]["content_changed"] = True
    return made


def _keep(made: list, context, html, previous: _Rendered, entries: list, reach: list, plan: _Plan,
          start: int, stop: int) -> None:
    """Keep the previous render's pages start..stop-1, with their start states and reach."""
    for index in range(start, stop):
        made.append(_restored(previous.pages[index], context, html))
        context.page_maker.append(entries[index + 1])
        plan.reach[index] = reach[index]


def _seed_page_numbers(context, previous: _Rendered) -> None:
    """Tell this render's page lookups (target-counter: the contents' page numbers) the page of every
    anchor as the previous render laid it out; pages laid out again update what moved."""
    seen: set = set()
    for index, anchors in enumerate(previous.anchors):
        for anchor in sorted(anchors - seen):
            context.target_collector.cache_target_page_counters(
                anchor, copy.deepcopy(previous.page_maker[index + 1][3][1]), index, context.page_maker)
        seen |= anchors


def _restored(kept: tuple, context, html) -> Any:
    """A previous render's page box as WeasyPrint's pagination left it (before its margin boxes), with its
    page type's styles computed in this render's context (the margin boxes are laid out from them)."""
    from weasyprint.layout.page import set_page_type_computed_styles

    page, children, root_children, _ = kept
    page.children = children
    children[0].children = root_children
    set_page_type_computed_styles(page.page_type, html, context.style_for)
    return page


def _path(skip_stack) -> tuple | None:
    """A page break's position as a path of child indices (None: several parallel positions)."""
    path = []
    while skip_stack:
        if len(skip_stack) != 1:
            return None
        (index, skip_stack), = skip_stack.items()
        path.append(index)
    return tuple(path)


def _tree(box, paths: dict[int, tuple], path: tuple = ()) -> _Node:
    """The hash tree of a box tree (children in WeasyPrint's order, which page break paths index); fills
    `paths` with each box's path."""
    from weasyprint.formatting_structure import boxes

    paths[id(box)] = path
    element = getattr(box, "element", None)
    attributes = tuple(sorted(element.attrib.items())) if element is not None and hasattr(element, "attrib") else ()
    image = getattr(box, "image", None)
    own = hash((type(box).__name__, box.element_tag, getattr(box, "text", None), attributes,
                id(image) if image is not None else None))
    children = [_tree(child, paths, path + (i,)) for i, child in enumerate(getattr(box, "children", ()))]
    as_one = (getattr(box, "is_table_wrapper", False)
              or isinstance(box, (boxes.TableBox, boxes.FlexContainerBox, boxes.GridContainerBox)))
    return _Node(own, hash((own, tuple(child.whole for child in children))), children, as_one)


def _widened(tree: _Node, path: tuple) -> tuple:
    """`path`, or its outermost ancestor laid out as one (a table's column widths read every cell)."""
    node = tree
    for depth, index in enumerate(path):
        if node.laid_out_as_one:
            return path[:depth]
        node = node.children[index]
    return path


def _covers(reach: tuple, path: tuple) -> bool:
    """Whether a layout that reached box `reach` looked at box `path` (it is before it, or inside it)."""
    return reach > path or path[:len(reach)] == reach


def _differences(old: _Node, new: _Node) -> tuple[list[tuple[tuple, tuple]], list[tuple[tuple, int, int, int]]]:
    """Where two box trees differ: the changed subtrees as (first path, last path) in the new tree, in
    document order, and the index shifts (parent path, first and past-last old index changed, change in
    child count) that map the old tree's later positions to the new tree's."""
    import difflib

    changes: list[tuple[tuple, tuple]] = []
    shifts: list[tuple[tuple, int, int, int]] = []

    def walk(old: _Node, new: _Node, path: tuple) -> None:
        if old.whole == new.whole:
            return
        if old.own != new.own:
            changes.append((path, path))
            return
        old_hashes, new_hashes = [c.whole for c in old.children], [c.whole for c in new.children]
        matcher = difflib.SequenceMatcher(None, old_hashes, new_hashes, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                for offset in range(i2 - i1):
                    walk(old.children[i1 + offset], new.children[j1 + offset], path + (j1 + offset,))
                continue
            if j2 > j1:  # inserted or replaced children
                changes.append((path + (j1,), path + (j2 - 1,)))
            else:  # removed: what follows them is laid out again (or the parent, if nothing does)
                changes.append((path + (j1,), path + (j1,)) if j1 < len(new.children) else (path, path))
            shifts.append((path, i1, i2, (j2 - j1) - (i2 - i1)))

    walk(old, new, ())
    return changes, shifts


def _moved(path: tuple, shifts: list) -> tuple | object:
    """An old tree's path in the new tree (_UNKNOWN: inside a changed range)."""
    moved = list(path)
    for depth in range(len(path)):
        delta = 0
        for parent, first, past, shift in shifts:
            if len(parent) == depth and tuple(path[:depth]) == parent:
                if first <= path[depth] < past:
                    return _UNKNOWN
                if path[depth] >= past:
                    delta += shift
        moved[depth] = path[depth] + delta
    return tuple(moved)


def _moved_skip_stack(skip_stack, shifts: list):
    """A page start (WeasyPrint's nested {child index: ...} skip stack) in the new tree's indices."""
    if skip_stack is None or not shifts:
        return copy.deepcopy(skip_stack)
    path = _path(skip_stack)
    if path is None:
        return _UNKNOWN
    moved = _moved(path, shifts)
    if moved is _UNKNOWN:
        return _UNKNOWN
    rebuilt = None
    for index in reversed(moved):
        rebuilt = {index: rebuilt}
    return rebuilt


def _past(path: tuple, end: tuple) -> bool:
    """Whether a page that starts at `path` starts after all of the subtree at `end`."""
    return path > end and path[:len(end)] != end
