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
entries, the target collector; every name is in README.md here), so it is installed only on a checked
WeasyPrint (hw1.rendering.speedups.CHECKED_WEASYPRINT) and not with HW1_PLAIN_WEASYPRINT=1; elsewhere
every page is laid out by WeasyPrint alone. What it reads is checked when it is installed (signatures,
fields) and as it reads it (page_maker entries by named unpacking, their lengths checked): a difference
is one line on stderr and a full layout. The box trees' comparison is in boxtree.py.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

from . import boxtree
from .relayout import _FullLayoutNeeded, _incremental_pages, _Kept, _Plan, _Rendered, _ShapeChanged, _carries_page_state


_PREVIOUS: dict[str, _Rendered] = {}  # output PDF -> its last render in this process
_ACTIVE: list[_Plan] = []  # the render in progress (a one-item stack; renders do not nest)
LAST: dict[str, Any] = {}  # what the last render did: {"incremental": bool, "relaid": [(first, last) page indexes]}


def enabled() -> bool:
    """Whether incremental layout is installed for the next render (only where speedups.active())."""
    from . import active

    if not active():
        uninstall()
        return False
    return install()


def forget(key: str | None = None) -> None:
    """Drop what was kept of the previous render (of `key`, or of all): the next render is a full one."""
    if key is None:
        _PREVIOUS.clear()
    else:
        _PREVIOUS.pop(key, None)


def _note(message: str) -> None:
    print(f"note: {message}; laid out every page", file=sys.stderr, flush=True)


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
        LAST.update(incremental=False, relaid=[])
        return weasyprint.HTML(string=html_text, base_url=base_url).render(**options)
    head = html_text.split("<body", 1)[0]
    previous = _PREVIOUS.pop(key, None)  # a failed render leaves nothing stale behind
    if previous is not None and (previous.head != head or previous.base_url != base_url):
        previous = None
    try:
        document, plan = full_render(previous)
    except _FullLayoutNeeded as exc:
        if isinstance(exc, _ShapeChanged):
            _note(f"WeasyPrint's layout data differ from what incremental layout reads ({exc})")
        document, plan = full_render(None)
    except Exception as exc:
        if previous is None:
            raise
        # Keeping pages failed where WeasyPrint's own layout may not (the tests see it: LAST says "full").
        _note(f"incremental layout failed ({type(exc).__name__}: {exc})")
        document, plan = full_render(None)
    LAST.update(incremental=plan.incremental, relaid=plan.relaid)
    if plan.tree is not None and plan.context is not None and not _carries_page_state(plan.context):
        _PREVIOUS[key] = _remembered(plan, document, head, base_url)
    return document


def _remembered(plan: _Plan, document, head: str, base_url: str) -> _Rendered:
    """What the next render of the same output reuses from this one."""
    context = plan.context
    lookup_pages = {item.page_maker_index for item in context.target_collector.counter_lookup_items.values()
                    if item.page_maker_index is not None}
    if plan.incremental:
        lookup_pages |= plan.previous.lookup_pages
    # A kept page box holds its document (and so the fonts it draws with) alive.
    pages = [kept._replace(origin=kept.origin or document) for kept in plan.pages]
    return _Rendered(
        head=head, base_url=base_url, tree=plan.tree, pages=pages,
        page_maker=copy.deepcopy(context.page_maker), anchors=[frozenset(page.anchors) for page in document.pages],
        reach=[plan.reach.get(i) for i in range(len(document.pages))], lookup_pages=lookup_pages,
        initial_page_sizes=dict(context.style_for.initial_page_sizes))


# --- The wrapped WeasyPrint steps ----------------------------------------------------------------------

_ORIGINALS: dict[tuple[Any, str], Any] = {}  # (module, name) -> WeasyPrint's own function, while wrapped


def install() -> bool:
    """Wrap weasyprint.layout.make_all_pages and block.block_level_layout (once); False, with one line
    saying why, where this WeasyPrint is not shaped as this module reads it."""
    if _ORIGINALS:
        return True
    from weasyprint import layout
    from weasyprint.layout import block

    problem = _shape_problem()
    if problem:
        from . import say_once

        say_once(f"WeasyPrint's layout differs from what incremental layout reads ({problem}); every page is laid out")
        return False
    for module, name, wrap in ((layout, "make_all_pages", _wrapped_make_all_pages),
                               (block, "block_level_layout", _wrapped_block_level_layout)):
        _ORIGINALS[(module, name)] = getattr(module, name)
        setattr(module, name, wrap(getattr(module, name)))
    return True


def uninstall() -> None:
    """Put WeasyPrint's own functions back (a no-op where nothing is wrapped). Kept renders stay: a later
    render with the patches compares with the last render made with them."""
    for (module, name), original in _ORIGINALS.items():
        setattr(module, name, original)
    _ORIGINALS.clear()


def installed() -> list[str]:
    """The WeasyPrint functions wrapped now, as 'module.name' (empty: plain WeasyPrint)."""
    return [f"{module.__name__}.{name}" for module, name in _ORIGINALS]


def _shape_problem() -> str | None:
    """What differs from the WeasyPrint this module was written for (None: nothing it relies on)."""
    import inspect

    from weasyprint import layout
    from weasyprint.css.targets import CounterLookupItem, TargetCollector
    from weasyprint.layout import LayoutContext, block, page

    parameters = {(layout, "make_all_pages"): ("context", "root_box", "html", "pages"),
                  (block, "block_level_layout"): ("context", "box"),
                  (page, "remake_page"): ("index", "context", "root_box", "html"),
                  (page, "set_page_type_computed_styles"): ("page_type", "html", "style_for"),
                  (TargetCollector, "cache_target_page_counters"): ("self", "anchor_name", "page_counter_values",
                                                                    "page_maker_index", "page_maker")}
    for (owner, name), expected in parameters.items():
        function = getattr(owner, name, None)
        if not callable(function) or tuple(inspect.signature(function).parameters)[:len(expected)] != expected:
            return f"{owner.__name__}.{name} is not a function of ({', '.join(expected)}, ...)"
    fields = ((LayoutContext, {"footnotes", "reported_footnotes", "broken_out_of_flow", "running_elements",
                               "rendered_notes", "current_page", "target_collector", "style_for"}),
              (TargetCollector, {"counter_lookup_items"}),
              (CounterLookupItem, {"parse_again", "page_maker_index"}))
    for cls, names in fields:
        missing = names - set(cls.__init__.__code__.co_names)
        if missing:
            return f"{cls.__name__} has no {', '.join(sorted(missing))}"
    return None


def _wrapped_make_all_pages(original):
    """layout.make_all_pages, making the first pagination pass of a render with a previous one
    incrementally (_incremental_pages), and recording the pages for the next render."""
    def make_all_pages(context, root_box, html, pages):
        plan = _ACTIVE[-1] if _ACTIVE else None
        if plan is None:
            yield from original(context, root_box, html, pages)
            return
        if plan.context is None:  # the first pagination pass of this render
            plan.context = context
            plan.tree = boxtree.tree(root_box, plan.paths)
            made = None if plan.previous is None else _incremental_pages(plan, context, root_box, html)
            plan.incremental = made is not None
            if made is None:
                made = list(original(context, root_box, html, pages))
        else:  # WeasyPrint paginates again: it re-makes the pages whose page lookups (contents) changed
            made = list(original(context, root_box, html, pages))
        # Before the margin boxes are added (which replaces these lists): what a later render reuses.
        origins = {id(kept.page): kept.origin for kept in plan.previous.pages} if plan.incremental else {}
        plan.pages = [_Kept(page, page.children, page.children[0].children, origins.get(id(page))) for page in made]
        yield from made

    return make_all_pages


def _wrapped_block_level_layout(block_level_layout):
    """block.block_level_layout, recording per page the furthest box whose layout it started (_Plan.reach)."""
    def reaching_block_level_layout(context, box, *args, **kwargs):
        plan = _ACTIVE[-1] if _ACTIVE else None
        if plan is not None and plan.context is context:
            path = plan.paths.get(id(box))
            page = context.current_page - 1
            if path is not None and path > plan.reach.get(page, ()):
                plan.reach[page] = path
        return block_level_layout(context, box, *args, **kwargs)

    return reaching_block_level_layout


