"""The rendering layer: results + templates -> HTML -> PDF.

`render` drives Jinja2 and WeasyPrint; `report_macros` is what templates call (number filters, figure, table,
cite, ...); `mathtex` typesets $...$ formulas; `speedups/` holds the optional WeasyPrint speed-ups (caches and
incremental layout), gated by version and switchable off (see speedups/README.md).
"""
