"""The rendering layer: results + templates -> HTML -> PDF.

`render` drives Jinja2 and WeasyPrint; `template_env` is the Jinja environment of a templates folder (and the
draft mode's loader, which marks each paragraph with its file:line); `template_errors` turns a template mistake
into one line naming its file and line; `report_macros` is what templates call (number filters, figure, table,
cite, ...); `mathtex` typesets $...$ formulas; `speedups/` holds the optional WeasyPrint speed-ups (caches and
incremental layout), gated by version and switchable off (see speedups/README.md).
"""
