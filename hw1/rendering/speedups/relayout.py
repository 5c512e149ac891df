"""The incremental layout itself (see incremental.py for what it does and when): the previous render's
pages kept where nothing changed, the others laid out again with WeasyPrint's `remake_page`.

WeasyPrint's `context.page_maker` entries are read here only, by named unpacking after a check of their
shape (_entry); a different shape raises _ShapeChanged, which incremental.render turns into one line on
stderr and a full layout.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import boxtree
from .boxtree import UNKNOWN


class _FullLayoutNeeded(Exception):
    """The kept pages might not be what a full layout gives: lay the document out in full."""


class _ShapeChanged(_FullLayoutNeeded):
    """WeasyPrint's data are not shaped as this module reads them: say so, and lay out in full."""


class _Kept(NamedTuple):
    """A page as pagination left it (before its margin boxes are added), for a later render to reuse."""

    page: Any
    children: list  # the page box's children before the margin boxes
    root_children: list  # its root box's children
    origin: Any  # the document it was laid out for (kept alive: its fonts draw the page)


@dataclass
class _Rendered:
    """What the next render needs from this one."""

    head: str  # the page's HTML before <body>: the stylesheet is in it
    base_url: str
    tree: boxtree.Node
    pages: list[_Kept]
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
    tree: boxtree.Node | None = None
    paths: dict[int, tuple] = field(default_factory=dict)  # id(box) -> its path, for the boxes of this tree
    # Per page index, the furthest block box (in document order) whose layout that page started: a page's
    # break can depend on boxes past it (the lines kept by orphans, a heading kept with what follows).
    reach: dict[int, tuple] = field(default_factory=dict)
    incremental: bool = False
    relaid: list[tuple[int, int]] = field(default_factory=list)  # (first, last) page indexes laid out again
    pages: list[_Kept] = field(default_factory=list)


def _carries_page_state(context) -> bool:
    """Whether the document has what carries state from one page to the next beyond page_maker."""
    return bool(context.footnotes or context.reported_footnotes or context.broken_out_of_flow
                or any(context.running_elements.values()))


# --- page_maker entries, read by name ------------------------------------------------------------------

_REMAKE_KEYS = frozenset({"content_changed", "pages_wanted", "anchors", "content_lookups"})


def _entry(entry) -> tuple:
    """A page_maker entry, checked to be what WeasyPrint 70 makes: (resume_at, next_page, right_page,
    page_state, remake_state), page_state = (quote_depth, counter_values, counter_scopes, page_groups)."""
    if not (isinstance(entry, tuple) and len(entry) == 5 and isinstance(entry[3], tuple) and len(entry[3]) == 4
            and isinstance(entry[3][1], dict) and isinstance(entry[4], dict) and _REMAKE_KEYS <= entry[4].keys()):
        raise _ShapeChanged("a context.page_maker entry is not (resume_at, next_page, right_page, "
                            "(quote_depth, counter_values, counter_scopes, page_groups), remake_state)")
    return entry


def _start_state(entry) -> tuple:
    """Where and in which state a page starts: all of its entry but the remake bookkeeping."""
    resume_at, next_page, right_page, page_state, _remake_state = _entry(entry)
    return resume_at, next_page, right_page, page_state


def _remake_state(entry) -> dict:
    *_start, remake_state = _entry(entry)
    return remake_state


def _page_counters(entry) -> dict:
    """The page counter values a page starts with."""
    *_start, page_state, _remake_state = _entry(entry)
    _quote_depth, counter_values, _counter_scopes, _page_groups = page_state
    return counter_values


def _moved_entry(entry, shifts: list) -> tuple:
    """A previous render's page_maker entry, its start moved into the new tree's indices; the object ids of
    that render's page lookups are meaningless here and dropped."""
    resume_at, *rest = _entry(entry)
    next_page, right_page, page_state, remake_state = copy.deepcopy(tuple(rest))
    remake_state["content_lookups"] = []
    return boxtree.moved_skip_stack(resume_at, shifts), next_page, right_page, page_state, remake_state


# --- Keeping pages and laying out the changed ones -----------------------------------------------------

def _incremental_pages(plan: _Plan, context, root_box, html) -> list | None:
    """The pages of the new box tree: the previous ones where nothing changed, the rest laid out again
    (None, before anything is laid out: lay out every page instead)."""
    previous = plan.previous
    count = len(previous.pages)
    changes, shifts = boxtree.differences(previous.tree, plan.tree)
    # Previous positions, in the new tree's child indices (UNKNOWN: inside what changed, or not recorded).
    reach = [UNKNOWN if r is None else boxtree.moved(r, shifts) for r in previous.reach]
    entries = [_moved_entry(entry, shifts) for entry in previous.page_maker]
    pending = sorted((boxtree.widened(plan.tree, start), boxtree.widened(plan.tree, end)) for start, end in changes)
    if not pending:  # the same boxes: lay out the last page again (cheap), keep the rest
        if reach[-1] is UNKNOWN:
            return None
        pending = [(reach[-1], reach[-1])]
    _start_from_previous(context, previous, entries)
    made: list = []
    moved = False  # whether an anchor is on another page than before (what reads page numbers changes)
    index = 0  # the next page to make
    while index < count:
        if not pending:
            _keep(made, context, html, previous, entries, reach, plan, index, count)
            break
        first = next((j for j in range(index, count) if reach[j] is UNKNOWN or boxtree.covers(reach[j], pending[0][0])),
                     None)
        if first is None or entries[first][0] is UNKNOWN:
            if not made:
                return None
            raise _FullLayoutNeeded
        _keep(made, context, html, previous, entries, reach, plan, index, first)
        index, anchors_moved, finished = _relay(context, root_box, html, entries, made, pending, first, count)
        moved |= anchors_moved
        plan.relaid.append((first, index - 1))
        if finished:
            break
    if moved or len(made) != count:
        _read_page_numbers_again(context, previous)
    return made


def _start_from_previous(context, previous: _Rendered, entries: list) -> None:
    """This render's layout context, set up to lay out pages as the previous render did."""
    context.style_for.initial_page_sizes.update(previous.initial_page_sizes)
    context.rendered_notes = []
    _seed_page_numbers(context, previous)
    context.page_maker = [entries[0]]


def _relay(context, root_box, html, entries: list, made: list, pending: list, index: int,
           count: int) -> tuple[int, bool, bool]:
    """Lay out pages from `index` until one ends past every change begun (dropped from `pending`) in exactly
    the state the previous render had there. Returns (the next page's index, whether an anchor moved,
    whether the document ended)."""
    from weasyprint.layout.page import remake_page

    moved = False
    while True:
        remake_state = _remake_state(context.page_maker[index])
        before = _remake_state(entries[index])["anchors"] if index < count else None
        remake_state.update(content_changed=False, pages_wanted=False, anchors=[], content_lookups=[])
        page, resume_at = remake_page(index, context, root_box, html)
        made.append(page)
        moved |= remake_state["anchors"] != before
        index += 1
        if resume_at is None:
            pending.clear()
            return index, moved, True
        resume_path = boxtree.path_of(resume_at)
        if resume_path is None or index >= count:
            continue
        while pending and boxtree.past(resume_path, pending[0][1]):
            pending.pop(0)
        if ((not pending or resume_path < pending[0][0]) and not _carries_page_state(context)
                and _start_state(context.page_maker[index]) == _start_state(entries[index])):
            context.page_maker[index] = entries[index]  # with the anchors the kept page caches
            return index, moved, False


def _read_page_numbers_again(context, previous: _Rendered) -> None:
    """The contents' page numbers change. The page lookups laid out in this render read the previous
    render's numbers (_seed_page_numbers): read them again, now that the anchors are laid out. Then
    WeasyPrint's own repagination re-makes every page that looks them up, as after a first pass."""
    page_maker = context.page_maker
    for item in context.target_collector.counter_lookup_items.values():
        if item.page_maker_index is not None and item.page_maker_index + 1 < len(page_maker):
            item.parse_again(_page_counters(page_maker[item.page_maker_index + 1]))
            _remake_state(page_maker[item.page_maker_index])["content_changed"] = True
    for index in previous.lookup_pages:
        if index < len(page_maker):
            _remake_state(page_maker[index])["content_changed"] = True


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
                anchor, copy.deepcopy(_page_counters(previous.page_maker[index + 1])), index, context.page_maker)
        seen |= anchors


def _restored(kept: _Kept, context, html) -> Any:
    """A previous render's page box as WeasyPrint's pagination left it (before its margin boxes), with its
    page type's styles computed in this render's context (the margin boxes are laid out from them)."""
    from weasyprint.layout.page import set_page_type_computed_styles

    kept.page.children = kept.children
    kept.children[0].children = kept.root_children
    set_page_type_computed_styles(kept.page.page_type, html, context.style_for)
    return kept.page
