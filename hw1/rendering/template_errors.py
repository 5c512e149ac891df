"""Template mistakes as one line naming the file and line: syntax errors (with the block left open), text
outside the answers' macros, a missing template, a rendering error (with the names that would have worked)
and a formula that does not typeset (found in the template sources).
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import jinja2

from ..errors import UserError
from .report_macros import FILTERS, TemplateMistake


_BLOCK_TAGS = {"if", "for", "macro", "call", "filter", "with", "block", "raw", "autoescape", "trans"}
_TAG = re.compile(r"{%-?\s*(\w+)(.*?)-?%}|{#.*?#}", re.S)


def _unclosed_block(source: str) -> tuple[str, int] | None:
    """(tag, line) of the innermost block left open in a template (or closed by the wrong end tag)."""
    stack: list[tuple[str, int]] = []
    for match in _TAG.finditer(source):
        tag, rest = match.group(1), match.group(2) or ""
        if tag is None:
            continue  # a comment
        line = source.count("\n", 0, match.start()) + 1
        if tag in _BLOCK_TAGS or (tag == "set" and "=" not in rest):
            stack.append((tag, line))
        elif tag.startswith("end"):
            if not stack or stack[-1][0] != tag[3:]:
                return stack[-1] if stack else None
            stack.pop()
    return stack[-1] if stack else None


def _field_names(qualified_class: str) -> list[str]:
    """Fields (and properties) of a result/config dataclass named like 'hw1.part3_cnn.Part3Result'."""
    import dataclasses
    import importlib

    module_name, _, class_name = qualified_class.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError):
        return []
    if not dataclasses.is_dataclass(cls):
        return []
    properties = [name for name, value in vars(cls).items() if isinstance(value, property)]
    return [f.name for f in dataclasses.fields(cls)] + properties


class TemplateErrors:
    """Finds where in a templates folder a mistake is, and says it in one line."""

    def __init__(self, templates_dir: Path, env: jinja2.Environment):
        self.templates_dir = templates_dir
        self.env = env

    def check_syntax(self) -> None:
        """Every template compiles, and no answers file has text outside its macros (else one UserError)."""
        for name in self.env.list_templates(extensions=["j2"]):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                hint = ""
                if "No filter named" in exc.message:
                    hint = f" (hw1's filters: {', '.join(FILTERS)}; Jinja's built-ins such as round, join, length also work)"
                lineno, message = exc.lineno, (exc.message or "").rstrip(". ")
                opened = _unclosed_block((self.templates_dir / name).read_text(encoding="utf-8"))
                if opened and ("Unexpected end of template" in message or "Encountered unknown tag 'end" in message):
                    tag, lineno = opened
                    message = (f"this {{% {tag} %}} is never closed (no {{% end{tag} %}} before "
                               f"line {exc.lineno}, where Jinja noticed)")
                raise UserError(
                    f"template {self.templates_dir / name}:{lineno}: {message}{hint}; fix the template and re-run"
                ) from None
            if name.startswith("answers/"):
                self.check_answers_file(name)

    def check_answers_file(self, name: str) -> None:
        """Text outside every {% macro %} of an answers file of macros is never shown: say where, and stop."""
        source = (self.templates_dir / name).read_text(encoding="utf-8")
        if not re.search(r"{%-?\s*macro\b", source):
            return  # included whole (like title.html.j2), not a library of macros: all of it is shown
        depth, after_block_begin = 0, False
        for lineno, token, value in self.env.lex(source):
            if token == "whitespace":
                continue
            if token == "block_begin":
                after_block_begin = True
                continue
            if after_block_begin and token == "name":
                depth += {"macro": 1, "endmacro": -1}.get(value, 0)
            after_block_begin = False
            if depth == 0 and (token == "variable_begin" or (token == "data" and value.strip())):
                text = " ".join(value.split())[:40] if token == "data" else "{{ ... }}"
                if token == "data":  # the line of the first visible character, not of the token's start
                    lineno += value[: len(value) - len(value.lstrip())].count("\n")
                raise UserError(
                    f"template {self.templates_dir / name}:{lineno}: text outside a {{% macro %}} block "
                    f"(\"{text}\") would not appear in the report; move it inside one of the file's macros "
                    "(before its {% endmacro %}) and re-run"
                )

    def missing_template(self, exc: jinja2.TemplateNotFound) -> str:
        """A deleted answers file (or section) is named, with how to get it back."""
        name = exc.name if isinstance(exc.name, str) else str(exc)
        path = self.templates_dir / name
        return (f"template {path} is missing (the report includes it); restore it with "
                f"git checkout templates/{name} (or copy it from the project's templates/ folder) and re-run")

    def source_location(self, *needles: str) -> str:
        """'template <file>:<line>' of the first template line holding one of `needles` (in that order)."""
        sources = [self.templates_dir / name for name in sorted(self.env.list_templates(extensions=["j2"]))]
        for needle in needles:
            for path in sources:
                for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    if needle in line:
                        return f"template {path}:{lineno}"
        return "template"

    def explain(self, exc: BaseException) -> str:
        """One line for a rendering error: where, what, and the names that would have worked."""
        location, message = self.template_location(exc), str(exc)
        missing = re.search(r"'([\w.]+) object' has no attribute '(\w+)'", message)
        if missing and missing.group(1).endswith("TemplateModule"):
            # A section calls a macro its answers file no longer defines: point at the answers file.
            source_file = location.removeprefix("template ").rsplit(":", 1)[0]
            imported = re.search(r'import "(answers/[^"]+)"', Path(source_file).read_text(encoding="utf-8")) \
                if Path(source_file).is_file() else None
            if imported:
                answers = self.templates_dir / imported.group(1)
                macros = re.findall(r"{%-?\s*macro\s+(\w+)", answers.read_text(encoding="utf-8"))
                return (f"template {answers}: defines no macro {missing.group(2)}() ({location} calls it; the file "
                        f"defines {', '.join(macros) or 'none'}); restore the macro's name and re-run")
        if missing:
            fields = _field_names(missing.group(1))
            if fields:
                message += f" (it has: {', '.join(fields)})"
        if isinstance(exc, TemplateMistake):  # a macro's own message says what is wrong and how to fix it
            return f"{location}: {message}"
        return f"{location}: {type(exc).__name__}: {message}; fix the template and re-run"

    def math_location(self, message: str) -> str:
        """'template <file>:<line>' of the formula named in a MathError, found in the template sources.

        The formula in the message is the rendered one (numbers from {{ }} filled in), so the search
        tries the whole formula between its dollars, then the whole formula, then the unknown command
        it names (as a whole command: `\\eps` is not found inside `\\epsilon`), then ever shorter
        beginnings of the formula.
        """
        formula = re.search(r"\$(.+?)\$(?=[: (])", message)
        if not formula:
            return "template"
        tex = formula.group(1)
        command = re.search(r"unknown LaTeX command (\\[A-Za-z]+)", message)
        patterns = [re.escape(f"${tex}$"), re.escape(tex)]
        if command:
            patterns.append(re.escape(command.group(1)) + r"(?![A-Za-z])")
        patterns += [re.escape(tex[:n]) for n in (30, 20, 12, 8) if n < len(tex)]
        sources = [(self.templates_dir / name) for name in sorted(self.env.list_templates(extensions=["j2"]))]
        for pattern in patterns:
            for path in sources:
                for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    # templates write a backslash in a Jinja string as \\: look for both spellings
                    if re.search(pattern, line) or re.search(pattern, line.replace("\\\\", "\\")):
                        return f"template {path}:{lineno}"
        return "template (a formula built from {{ }} values)"

    def template_location(self, exc: BaseException) -> str:
        """'templates/x.html.j2:12' for the innermost template frame in the traceback."""
        location = "template"
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.startswith(str(self.templates_dir)):
                location = f"template {frame.filename}:{frame.lineno}"
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
            location = f"template {exc.filename}:{exc.lineno}"
        return location

