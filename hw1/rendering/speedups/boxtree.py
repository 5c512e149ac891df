"""Two WeasyPrint box trees compared: where an edit changed the document, and where the previous render's
positions (page breaks, the furthest box a page's layout looked at) are in the new tree.

A position is a path of child indices from the root box, the form WeasyPrint's page breaks take (its
nested {child index: ...} "skip stacks"). Used by incremental.py; reads box fields only (`children`,
`element`, `element_tag`, `text`, `image`, `is_table_wrapper`) and WeasyPrint's box classes (listed in
README.md here).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

UNKNOWN = object()  # a previous render's position with no place in the new tree (inside what changed)


@dataclass
class Node:
    """A box's hash, for comparing two box trees: `own` covers the box itself, `whole` its subtree."""

    own: int
    whole: int
    children: list[Node]
    laid_out_as_one: bool  # a table or flex/grid container: its layout reads all its content at once


def path_of(skip_stack) -> tuple | None:
    """A page break's position as a path of child indices (None: several parallel positions)."""
    path = []
    while skip_stack:
        if len(skip_stack) != 1:
            return None
        (index, skip_stack), = skip_stack.items()
        path.append(index)
    return tuple(path)


def tree(box, paths: dict[int, tuple], path: tuple = ()) -> Node:
    """The hash tree of a box tree (children in WeasyPrint's order, which page break paths index); fills
    `paths` with each box's path."""
    from weasyprint.formatting_structure import boxes

    paths[id(box)] = path
    element = getattr(box, "element", None)
    attributes = tuple(sorted(element.attrib.items())) if element is not None and hasattr(element, "attrib") else ()
    image = getattr(box, "image", None)
    own = hash((type(box).__name__, box.element_tag, getattr(box, "text", None), attributes,
                id(image) if image is not None else None))
    children = [tree(child, paths, path + (i,)) for i, child in enumerate(getattr(box, "children", ()))]
    as_one = (getattr(box, "is_table_wrapper", False)
              or isinstance(box, (boxes.TableBox, boxes.FlexContainerBox, boxes.GridContainerBox)))
    return Node(own, hash((own, tuple(child.whole for child in children))), children, as_one)


def widened(tree: Node, path: tuple) -> tuple:
    """`path`, or its outermost ancestor laid out as one (a table's column widths read every cell)."""
    node = tree
    for depth, index in enumerate(path):
        if node.laid_out_as_one:
            return path[:depth]
        node = node.children[index]
    return path


def covers(reach: tuple, path: tuple) -> bool:
    """Whether a layout that reached box `reach` looked at box `path` (it is before it, or inside it)."""
    return reach > path or path[:len(reach)] == reach


def differences(old: Node, new: Node) -> tuple[list[tuple[tuple, tuple]], list[tuple[tuple, int, int, int]]]:
    """Where two box trees differ: the changed subtrees as (first path, last path) in the new tree, in
    document order, and the index shifts (parent path, first and past-last old index changed, change in
    child count) that map the old tree's later positions to the new tree's."""
    import difflib

    changes: list[tuple[tuple, tuple]] = []
    shifts: list[tuple[tuple, int, int, int]] = []

    def walk(old: Node, new: Node, path: tuple) -> None:
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


def moved(path: tuple, shifts: list) -> tuple | object:
    """An old tree's path in the new tree (UNKNOWN: inside a changed range)."""
    result = list(path)
    for depth in range(len(path)):
        delta = 0
        for parent, first, after, shift in shifts:
            if len(parent) == depth and tuple(path[:depth]) == parent:
                if first <= path[depth] < after:
                    return UNKNOWN
                if path[depth] >= after:
                    delta += shift
        result[depth] = path[depth] + delta
    return tuple(result)


def moved_skip_stack(skip_stack, shifts: list):
    """A page start (WeasyPrint's nested {child index: ...} skip stack) in the new tree's indices."""
    if skip_stack is None or not shifts:
        return copy.deepcopy(skip_stack)
    path = path_of(skip_stack)
    if path is None:
        return UNKNOWN
    new_path = moved(path, shifts)
    if new_path is UNKNOWN:
        return UNKNOWN
    rebuilt = None
    for index in reversed(new_path):
        rebuilt = {index: rebuilt}
    return rebuilt


def past(path: tuple, end: tuple) -> bool:
    """Whether a page that starts at `path` starts after all of the subtree at `end`."""
    return path > end and path[:len(end)] != end
