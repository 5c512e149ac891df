"""WeasyPrint speed-ups for re-rendering: the same PDF, less work.

Measured on a warm re-render (--watch, 28-page report): font subsetting and drawing the formulas' SVG
paths were about half of WeasyPrint's time. Both are pure functions of their input, so they are cached by
that input: in memory for the life of the process (--watch), and on disk beside the formula cache
(<out>/figures/pdf-cache.json for hw1.pdf, pdf-cache-hw1a.json for a hand-in, ...), so a cold --report-only
after an edit reuses what did not change.
A warm process also keeps WeasyPrint's image cache (formulas, and figure files while unchanged) and each
kept figure's PDF image, so it decodes no PNG twice. The PDF is the same as without the caches
(tests/test_render.py, tests/test_write_like_latex.py).

These wrap WeasyPrint internals (Font.subset, Font._fonttools_subset, SVGImage.draw,
RasterImage.get_x_object; the full list of private names is in README.md here), so they are installed
only on a checked WeasyPrint (hw1.rendering.speedups.CHECKED_WEASYPRINT) and not with
HW1_PLAIN_WEASYPRINT=1; otherwise WeasyPrint renders the ordinary way. A render calls `install()`,
`load(cache_file)`, WeasyPrint's render (with `cache=image_cache()`) and write, `note_loaded_images()`,
then `save(cache_file)`.
"""

from __future__ import annotations

import re
from pathlib import Path

from .formula_files import FORMULA_FOLDER, _file_of, formula_file_name, formulas_as_files, svg_identity  # noqa: F401 (re-exported)

PDF_CACHE = "pdf-cache.json"
_PDF_CACHE_FORMAT = 2  # bump when what is cached, or how, changes
_SUBSETS: dict[str, bytes] = {}  # font file, face, glyphs, options (hashed) -> subset font file
_FORMULA_DRAWINGS: dict[str, tuple[bytes, dict]] = {}  # SVG (hashed), drawn size -> (PDF operators, alpha states)
_USED_SUBSETS: set[str] = set()  # keys used since the last load: what the current render needs
_USED_DRAWINGS: set[str] = set()
_PDF_CACHE_SEEN: dict[Path, tuple | None] = {}  # cache file -> its (mtime, size, inode) when this process last read or wrote it
_DRAWINGS_KEPT = 4000  # formulas (at their drawn size) remembered: a report has a few hundred


def _pdf_cache_version() -> str:
    import fontTools
    import pydyf
    import weasyprint

    return (f"{_PDF_CACHE_FORMAT}-weasyprint-{weasyprint.__version__}-pydyf-{pydyf.__version__}"
            f"-fonttools-{fontTools.version}")


def load(path: Path) -> None:
    """Start a render: add the cached subsets and drawings of `path` (a damaged or foreign file is ignored)."""
    import base64
    import json

    import pydyf

    _USED_SUBSETS.clear()
    _USED_DRAWINGS.clear()
    if _PDF_CACHE_SEEN.get(Path(path)) == _signature(path):
        return  # this process wrote (or read) it last: everything in it is in memory already
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("version") != _pdf_cache_version():
            return
        subsets = {key: base64.b64decode(font) for key, font in data["subsets"].items()}
        drawings = {key: (operators.encode("latin-1"), {name: pydyf.Dictionary(state) for name, state in states.items()})
                    for key, (operators, states) in data["drawings"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return
    _SUBSETS.update(subsets)
    _FORMULA_DRAWINGS.update(drawings)
    _PDF_CACHE_SEEN[Path(path)] = _signature(path)


def _signature(path: Path) -> tuple | None:
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def save(path: Path) -> None:
    """Write the subsets and drawings the current render used (since load) to `path`, atomically."""
    import base64

    from ...store.storage import write_json_atomic

    write_json_atomic(Path(path), {
        "version": _pdf_cache_version(),
        "subsets": {key: base64.b64encode(_SUBSETS[key]).decode() for key in sorted(_USED_SUBSETS) if key in _SUBSETS},
        "drawings": {key: [_FORMULA_DRAWINGS[key][0].decode("latin-1"), _FORMULA_DRAWINGS[key][1]]
                     for key in sorted(_USED_DRAWINGS) if key in _FORMULA_DRAWINGS},
    })
    _PDF_CACHE_SEEN[Path(path)] = _signature(path)


_ORIGINALS: dict[tuple[type, str], object] = {}  # (class, method name) -> WeasyPrint's own method, while wrapped


def install() -> bool:
    """Wrap WeasyPrint's font subsetting, SVG drawing and image encoding with the caches of this module
    (once). Only on a checked WeasyPrint (speedups.active()); elsewhere every wrapper is removed and
    WeasyPrint renders the ordinary way. Returns whether the wrappers are installed."""
    from . import active, say_once

    if not active():
        uninstall()
        return False
    if _ORIGINALS:
        return True
    from weasyprint.images import RasterImage, SVGImage
    from weasyprint.pdf.fonts import Font

    problem = _shape_problem()
    if problem:  # a WeasyPrint that differs from the checked one where the wrappers rely on it
        say_once(f"WeasyPrint's internals differ from what hw1's PDF caches expect ({problem}); rendering without them")
        return False
    for cls, name, wrap in ((Font, "subset", _cached_subset), (Font, "_fonttools_subset", _without_layout_tables),
                            (SVGImage, "draw", _replayed_svg_drawing),
                            (RasterImage, "get_x_object", _remembered_x_object)):
        _ORIGINALS[(cls, name)] = vars(cls)[name]
        setattr(cls, name, wrap(vars(cls)[name]))
    return True


# What the wrappers rely on: the wrapped methods' parameters, and the Stream fields the SVG replay reads
# and resets (as Stream.pop_state does after a drawing's closing Q).
_PARAMETERS = {("Font", "subset"): ("self", "to_unicode", "hinting"),
               ("Font", "_fonttools_subset"): ("self", "to_unicode", "hinting"),
               ("SVGImage", "draw"): ("self", "stream", "concrete_width", "concrete_height", "_style"),
               ("RasterImage", "get_x_object"): ("self", "interpolate", "dpi_ratio")}
_STREAM_FIELDS = {"_fonts", "_resources", "_images", "_ctm_stack"}
_STREAM_RESET = {"_current_color", "_current_color_stroke", "_current_alpha", "_current_alpha_stroke",
                 "_current_font", "_ctm_stack"}  # what pop_state sets back


def _shape_problem() -> str | None:
    """What differs from the WeasyPrint the wrappers were written for (None: nothing they rely on)."""
    import inspect

    from weasyprint.images import RasterImage, SVGImage
    from weasyprint.pdf.fonts import Font
    from weasyprint.pdf.stream import Stream

    classes = {"Font": Font, "SVGImage": SVGImage, "RasterImage": RasterImage}
    for (cls, name), parameters in _PARAMETERS.items():
        method = vars(classes[cls]).get(name)
        if not callable(method) or tuple(inspect.signature(method).parameters) != parameters:
            return f"{cls}.{name} is not a method taking {', '.join(parameters[1:])}"
    if not _STREAM_FIELDS <= set(Stream.__init__.__code__.co_names):
        return f"Stream.__init__ sets no {', '.join(sorted(_STREAM_FIELDS - set(Stream.__init__.__code__.co_names)))}"
    if set(Stream.pop_state.__code__.co_names) - {"stream", "pop", "super", "pop_state"} != _STREAM_RESET:
        return "Stream.pop_state resets other fields than the SVG replay does"
    if "clone" not in vars(Stream):
        return "Stream has no clone()"
    return None


def uninstall() -> None:
    """Put WeasyPrint's own methods back (a no-op where nothing is wrapped)."""
    for (cls, name), original in _ORIGINALS.items():
        setattr(cls, name, original)
    _ORIGINALS.clear()


def installed() -> list[str]:
    """The WeasyPrint methods wrapped now, as 'Class.name' (empty: plain WeasyPrint)."""
    return [f"{cls.__name__}.{name}" for cls, name in _ORIGINALS]


def _remembered_x_object(get_x_object):
    """RasterImage.get_x_object, remembered per image: with the image cache (image_cache) an unchanged
    figure is the same RasterImage in the next render, and it need not decode its PNG again to split off
    the alpha channel. The PDF writer changes the stream it gets (its mask becomes a reference), so each
    call returns a fresh copy of the pristine one."""
    import pydyf

    def copy(stream):
        extra = pydyf.Dictionary(stream.extra)
        if isinstance(extra.get("SMask"), pydyf.Stream):
            extra["SMask"] = copy(extra["SMask"])
        return pydyf.Stream(list(stream.stream), extra, stream.compress)

    def remembered(self, interpolate, dpi_ratio):
        if dpi_ratio != 1:  # a thumbnail replaces the image's data: not remembered
            return get_x_object(self, interpolate, dpi_ratio)
        kept = self.__dict__.setdefault("_hw1_x_objects", {})
        if interpolate not in kept:
            kept[interpolate] = copy(get_x_object(self, interpolate, dpi_ratio))
        return copy(kept[interpolate])

    return remembered


def _cached_subset(subset):
    """Font.subset, remembered: a re-render that uses the same glyphs of a font reuses its subset."""
    import hashlib

    def cached(self, to_unicode, hinting):
        glyphs = ",".join(map(str, sorted(to_unicode)))
        key = "|".join((hashlib.sha1(self.file_content).hexdigest(), str(getattr(self, "index", 0)),
                        hashlib.sha1(glyphs.encode()).hexdigest(), str(bool(hinting)),
                        str(bool(getattr(self, "missing", None)))))
        if key not in _SUBSETS:
            subset(self, to_unicode, hinting)
            if len(_SUBSETS) >= 64:
                _SUBSETS.pop(next(iter(_SUBSETS)))
            _SUBSETS[key] = self.file_content
        _USED_SUBSETS.add(key)
        self.file_content = _SUBSETS[key]

    return cached


def _without_layout_tables(fonttools_subset):
    """WeasyPrint's fontTools subsetting, given the font without its GSUB and GPOS tables.

    WeasyPrint drops both tables from the subset, but fontTools (4.68) decompiles them before dropping
    them: for Latin Modern's large kerning table that was about half of the subsetting time. Removed
    first, the subset font has the same tables with the same data (checked per font). `kern` goes too
    when GPOS is there, as fontTools' own pruning does."""
    import io

    from fontTools.ttLib import TTFont

    stripped: dict[bytes, bytes] = {}

    def subset(self, to_unicode, hinting):
        content = self.file_content
        if content not in stripped:
            font = TTFont(io.BytesIO(content), fontNumber=getattr(self, "index", 0), lazy=True)
            if "GPOS" in font and "kern" in font:
                del font["kern"]
            for tag in ("GSUB", "GPOS"):
                if tag in font:
                    del font[tag]
            out = io.BytesIO()
            font.save(out)
            if len(stripped) >= 16:
                stripped.pop(next(iter(stripped)))
            stripped[content] = out.getvalue()
        self.file_content = stripped[content]
        try:
            fonttools_subset(self, to_unicode, hinting)
        finally:
            if self.file_content is stripped[content]:  # fontTools could not subset it: keep the original
                self.file_content = content

    return subset


def _replayed_svg_drawing(draw):
    """SVGImage.draw for typeset formulas (SVG data URIs), recorded once and replayed after.

    A formula is drawn into a fresh stream (no colour or transparency state carried in from the text
    around it) and the PDF operators it wrote are kept, joined as the PDF writes them, with the
    transparency states it registered. Any other use (fonts, images, patterns, shadings, groups) is
    drawn the ordinary way. The operators depend only on the SVG and the drawn size, so a replay writes
    exactly what drawing would."""
    import pydyf

    not_plain: set[str] = set()

    def replayed(self, stream, concrete_width, concrete_height, style):
        drawing = svg_identity(getattr(self, "_base_url", None))
        if drawing is None or not hasattr(stream, "_resources"):
            return draw(self, stream, concrete_width, concrete_height, style)
        key = f"{drawing}|{concrete_width!r}|{concrete_height!r}"
        if key in not_plain:
            return draw(self, stream, concrete_width, concrete_height, style)
        recorded = _FORMULA_DRAWINGS.get(key)
        if recorded is None:
            kinds = ("ExtGState", "XObject", "Pattern", "Shading")
            resources = pydyf.Dictionary({**stream._resources, **{name: pydyf.Dictionary() for name in kinds}})
            others = {name: value for name, value in resources.items() if name not in kinds}
            fresh = stream.clone(resources=resources, fonts={}, images={})
            fresh._ctm_stack = [stream.ctm]
            draw(self, fresh, concrete_width, concrete_height, style)  # logs and stops early if it fails
            plain = (not fresh._fonts and not fresh._images
                     and all(not resources[name] for name in ("XObject", "Pattern", "Shading"))
                     and {name: value for name, value in resources.items() if name not in kinds} == others
                     and fresh.stream.count(b"q") == fresh.stream.count(b"Q")  # a drawing that failed is unbalanced
                     and all(re.fullmatch(r"[aA][\d.e-]+", name) and all(isinstance(v, (int, float)) for v in state.values())
                             for name, state in resources["ExtGState"].items()))
            try:
                operators = b"\n".join(op if isinstance(op, bytes) else op.encode("ascii") for op in fresh.stream)
            except (AttributeError, UnicodeEncodeError):
                plain = False
            if not plain:  # drawn the ordinary way, now and from now on
                not_plain.add(key)
                return draw(self, stream, concrete_width, concrete_height, style)
            recorded = (operators, dict(resources["ExtGState"]))
            if len(_FORMULA_DRAWINGS) >= _DRAWINGS_KEPT:
                _FORMULA_DRAWINGS.pop(next(iter(_FORMULA_DRAWINGS)))
            _FORMULA_DRAWINGS[key] = recorded
        _USED_DRAWINGS.add(key)
        operators, states = recorded
        if operators:
            stream.stream.append(operators)  # the PDF joins a stream's operators with newlines, as here
        for name, state in states.items():
            stream._resources["ExtGState"].setdefault(name, state)
        # as after the drawing's closing restore (Q): the next colour, transparency and font are written again
        stream._current_color = stream._current_color_stroke = None
        stream._current_alpha = stream._current_alpha_stroke = None
        stream._current_font = None

    return replayed


# WeasyPrint's own image cache (its documented `cache` option: URL -> loaded image, and image id -> the
# image's compressed data), kept across the renders of one process. Without it every --watch re-render
# decoded each figure's PNG and parsed each formula's SVG again (about 0.5 s of a 6 s re-render).
_IMAGES: dict = {}
_FILE_SIGNATURES: dict[str, tuple | None] = {}  # file URL -> (mtime, size, inode) when its image was kept


def image_cache() -> dict:
    """The image cache for the next render, with what may have gone stale dropped first.

    Kept: formulas (SVG data URIs: the URL is the content, and they are plain paths, so they need nothing
    of the render that loaded them) and raster images from files whose signature is unchanged (a figure
    redrawn, or a student's image replaced, is loaded again). Dropped: everything else, e.g. an SVG file,
    which holds the layout context of the render that loaded it (its text would use that render's fonts)."""
    from hashlib import md5

    from weasyprint.images import RasterImage

    def keep(url: str, image) -> bool:
        if svg_identity(url) is not None:
            return True
        if not (url.startswith("file:") and isinstance(image, RasterImage)):
            return False
        return _FILE_SIGNATURES.get(url) == _signature(_file_of(url))

    urls = [key for key in _IMAGES if isinstance(key, str) and ":" in key.split("-", 1)[0]]
    for url in urls:
        if not keep(url, _IMAGES[url]):
            image_id = md5(url.encode(), usedforsecurity=False).hexdigest()  # as WeasyPrint names its data
            for key in [key for key in _IMAGES if isinstance(key, str) and key.startswith(f"{image_id}-")]:
                del _IMAGES[key]
            del _IMAGES[url]
            if _FILE_SIGNATURES.pop(url, None) is not None:
                # A page the incremental layout would keep may draw the old image (whose data were just
                # dropped: writing it failed with a KeyError): lay every page out afresh.
                from . import incremental

                incremental.forget()
    return _IMAGES


def note_loaded_images() -> None:
    """After a render: remember the signature of each image file it loaded (see image_cache)."""
    for url in _IMAGES:
        if isinstance(url, str) and url.startswith("file:") and url not in _FILE_SIGNATURES:
            _FILE_SIGNATURES[url] = _signature(_file_of(url))
