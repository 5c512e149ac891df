"""The package's shape, as contracts: parts are folders that know nothing of each other; what invalidates a
part's results (its code version) and its figures is derived from imports; a new part is a new folder.

The end-to-end tests here work on a *copy* of the project (tests/helpers.copy_of_the_project) run as a
user would, so the checkout is never edited.
"""

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import REPO, copy_of_the_project, run_copy

PACKAGE = REPO / "hw1"
PART_FOLDERS = sorted(p for p in (PACKAGE / "parts").iterdir() if p.is_dir() and p.name.startswith("part"))


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of every module `path` imports (also inside functions), with `from x import y` giving
    both x and x.y (y may be a submodule). Written here, not taken from hw1.store.cache, so the two can disagree."""
    package = ".".join(path.relative_to(REPO).parent.parts)  # what a relative import starts from
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + [node.module] if node.module else base)
            else:
                origin = node.module
            names.add(origin)
            names.update(f"{origin}.{alias.name}" for alias in node.names)
    return names


def test_the_parts_are_the_folders():
    from hw1.cli import PART_NUMBERS
    from hw1.parts import PARTS

    assert [p.name for p in PART_FOLDERS] == ["part1_neuron", "part2_xor", "part3_cnn", "part4_adversarial",
                                              "part5_beyond"]
    assert tuple(PARTS) == PART_NUMBERS == (1, 2, 3, 4, 5)
    assert all(PARTS[n].folder.name == PART_FOLDERS[n - 1].name for n in PARTS)


MACHINERY = ("hw1.pipeline", "hw1.cli", "hw1.rendering", "hw1.store.cache")  # above the parts: drive, render, cache them


@pytest.mark.parametrize("folder", PART_FOLDERS, ids=lambda p: p.name)
def test_no_part_imports_another_part_or_the_machinery_above_it(folder):
    forbidden_prefixes = [f"hw1.parts.{other.name}" for other in PART_FOLDERS if other != folder]
    forbidden_prefixes += list(MACHINERY)
    for path in sorted(folder.glob("*.py")):
        for name in _imported_modules(path):
            assert not any(name == p or name.startswith(p + ".") for p in forbidden_prefixes), \
                f"{path.relative_to(REPO)} imports {name}"


def test_the_toolkit_imports_no_part_and_no_pipeline():
    for path in sorted((PACKAGE / "toolkit").glob("*.py")):
        for name in _imported_modules(path):
            assert not name.startswith(("hw1.parts", *MACHINERY)), \
                f"{path.relative_to(REPO)} imports {name}"


def test_the_import_parser_sees_relative_and_function_level_imports():
    # Guards the guard: Part 5's computation imports the toolkit's attacks inside a function.
    names = _imported_modules(PACKAGE / "parts" / "part5_beyond" / "compute.py")
    assert "hw1.toolkit.attacks" in names and "hw1.parts.part5_beyond.defence" in names


# ------------------------------------------------------------------------ versions derived from imports

def _versions(project: Path) -> dict[str, list[str]]:
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); import hw1; assert hw1.__file__.startswith(sys.argv[1]); "
            "from hw1.store import cache; from hw1.parts import PARTS; "
            "print(json.dumps({p.name: [cache.code_version(p), cache.drawing_version(p)] for p in PARTS.values()}))")
    completed = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def test_a_new_module_imported_by_a_part_changes_that_parts_version_only(tmp_path):
    project = copy_of_the_project(tmp_path / "project")
    before = _versions(project)

    helper = project / "hw1" / "toolkit" / "smoothing.py"
    helper.write_text("def smooth(values):\n    return values\n")
    assert _versions(project) == before  # a module nobody imports changes nothing

    compute = project / "hw1" / "parts" / "part1_neuron" / "compute.py"
    compute.write_text(compute.read_text().replace(
        "from .config import Part1Config", "from ...toolkit import smoothing  # noqa: F401\nfrom .config import Part1Config"))
    after_import = _versions(project)
    assert after_import["part1"][0] != before["part1"][0]  # the import itself is an edit of Part 1's folder
    assert after_import["part1"][1] == before["part1"][1]  # ... but not of its drawing code
    assert {k: v for k, v in after_import.items() if k != "part1"} == {k: v for k, v in before.items() if k != "part1"}

    helper.write_text("def smooth(values):\n    return list(values)\n")  # an edit of the new module alone
    after_edit = _versions(project)
    assert after_edit["part1"][0] != after_import["part1"][0]
    assert {k: v for k, v in after_edit.items() if k != "part1"} == {k: v for k, v in before.items() if k != "part1"}


def test_a_shared_toolkit_module_versions_every_part_that_imports_it(tmp_path):
    project = copy_of_the_project(tmp_path / "project")
    before = _versions(project)
    data = project / "hw1" / "toolkit" / "data.py"
    data.write_text(data.read_text() + "\n# an edit\n")
    after = _versions(project)
    assert {name for name in before if after[name][0] != before[name][0]} == {"part3", "part4", "part5"}  # MNIST users
    assert all(after[name][1] == before[name][1] for name in before)  # no figure reads MNIST itself


@pytest.mark.slow
def test_editing_one_parts_figure_code_redraws_only_that_parts_figures(tmp_path, data_dir):
    project = copy_of_the_project(tmp_path / "project")
    out = tmp_path / "out"
    run_copy(project, ["--quick", "--parts", "1", "2", "--device", "cpu", "--out", str(out), "--data-dir", str(data_dir)])
    figures = {name: (out / "figures" / name).stat().st_mtime_ns for name in ("part1_output.png", "part2_loss.png")}

    drawing = project / "hw1" / "parts" / "part2_xor" / "figures.py"
    drawing.write_text(drawing.read_text() + "\n# a change to Part 2's drawing code\n")
    log = run_copy(project, ["--report-only", "--out", str(out)])
    assert "computing" not in log
    assert (out / "figures" / "part1_output.png").stat().st_mtime_ns == figures["part1_output.png"]
    assert (out / "figures" / "part2_loss.png").stat().st_mtime_ns > figures["part2_loss.png"]


# ------------------------------------------------------------------------ a new part is a new folder

TOY_PART = {
    "__init__.py": '''
        """Part 6 (a toy): the squares of the first few integers."""

        from ..contract import Part
        from . import compute, figures
        from .config import Part6Config
        from .result import Part6Result

        PART = Part(number=6, title="Squares", config_cls=Part6Config, result_cls=Part6Result,
                    run=compute.run, draw=figures.draw)
    ''',
    "config.py": '''
        from dataclasses import dataclass


        @dataclass(frozen=True)
        class Part6Config:
            count: int = 5  # how many integers, from 1

            @classmethod
            def preset(cls, quick: bool) -> "Part6Config":
                return cls(count=4) if quick else cls()
    ''',
    "result.py": '''
        from dataclasses import dataclass


        @dataclass(frozen=True)
        class Part6Result:
            squares: list[int]  # 1, 4, 9, ...
            total: int  # their sum
    ''',
    "compute.py": '''
        from .result import Part6Result


        def run(config, ctx):
            squares = [n * n for n in range(1, config.count + 1)]
            return Part6Result(squares=squares, total=sum(squares))
    ''',
    "figures.py": '''
        from ...toolkit.plotting import STYLE, plt, save_figure


        def draw(stored, artifacts_dir, figures_dir):
            with plt.style.context(["default", STYLE]):
                fig, ax = plt.subplots(figsize=(3, 2))
                ax.plot(range(1, len(stored.result.squares) + 1), stored.result.squares, "o-")
                return {"squares": save_figure(fig, figures_dir, "part6_squares")}
    ''',
}
TOY_TEMPLATES = {
    "sections/part6.html.j2": '''
        {% import "answers/part6.html.j2" as answers with context %}
        <h2 class="part" id="part6">6. {{ part.title }}</h2>
        {{ figure(part.figures.squares, "Toy squares, total " ~ part.result.total ~ ".", "fig-p6-squares") }}
        {{ answers.comment() }}
    ''',
    "answers/part6.html.j2": '''
        {% macro comment() %}<p>The toy answer says the squares grow quickly.</p>{% endmacro %}
    ''',
    "summary/part6.html.j2": '''
        <tr><td>6. Toy sum of squares</td><td>{{ part.result.total }}</td></tr>
    ''',
}


@pytest.mark.slow
def test_a_toy_part6_added_as_a_folder_runs_and_reaches_the_pdf(tmp_path, data_dir):
    from helpers import pdf_text

    project = copy_of_the_project(tmp_path / "project")
    folder = project / "hw1" / "parts" / "part6_squares"
    folder.mkdir()
    for name, text in TOY_PART.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    for name, text in TOY_TEMPLATES.items():
        (project / "templates" / name).write_text(textwrap.dedent(text).lstrip())

    assert "6" in run_copy(project, ["--help"])  # the CLI's part numbers come from the folders
    out = tmp_path / "out"
    log = run_copy(project, ["--quick", "--parts", "1", "6", "--device", "cpu", "--out", str(out),
                             "--data-dir", str(data_dir)])
    assert "part 6 (Squares): computing" in log
    saved = json.loads((out / "results.json").read_text())["parts"]["part6"]
    assert saved["result"] == {"squares": [1, 4, 9, 16], "total": 30}
    assert (out / "figures" / "part6_squares.png").is_file()
    text = pdf_text(out / "hw1.pdf")
    assert "6. Squares" in text  # its section
    assert "Toy squares, total 30." in text  # its figure's caption
    assert "Toy sum of squares 30" in text  # its row in the front page's table
    assert "The toy answer says the squares grow quickly." in text


# ------------------------------------------------------------------------ the template API reference

def test_the_template_api_reference_is_generated_and_up_to_date():
    from hw1 import api_reference

    assert api_reference.REFERENCE.read_text() == api_reference.generate(), \
        "docs/template-api.md is out of date: run python -m hw1.api_reference"


def test_every_field_a_template_can_read_has_a_meaning():
    from hw1 import api_reference

    rows = [line for line in api_reference.generate().splitlines() if line.startswith("| `")]
    assert len(rows) > 200  # every part's config, result and nested records
    undocumented = [row.split("|")[1].strip() for row in rows if row.rstrip().endswith("|  |")]
    assert undocumented == [], f"fields without a meaning (write one as a comment beside the field): {undocumented}"


def test_results_are_typed_records_not_dicts():
    """Nested results are dataclasses (attribute access, documented fields), never bare dicts of known layout."""
    import dataclasses
    import typing

    from hw1.parts import PARTS

    free_form = {("Part5Result", "tradeoff")}  # hw1/parts/part5_beyond/tradeoff.py as saved by the benchmark
    for part in PARTS.values():
        hints = typing.get_type_hints(part.result_cls)
        for field in dataclasses.fields(part.result_cls):
            hint = hints[field.name]
            loose = hint is dict or typing.get_origin(hint) is dict and typing.get_args(hint)[1:] == (typing.Any,) \
                or hint == list[dict]
            assert not loose or (part.result_cls.__name__, field.name) in free_form, (part.result_cls, field.name)
        assert part.result_cls.__dataclass_params__.frozen, part.result_cls


def test_the_defence_table_part5_shows_is_part_of_its_code_version():
    """Part 5 keeps the defence benchmark's table in its results (docs/part5-defence.md discusses it; the hand-in no
    longer prints it: another machine, the old PGD-only evaluation): it lives in the part's own package as a module
    (tradeoff.py), so it is part of the code version that keys the cache, and a moved module cannot lose a file beside it."""
    from hw1.parts import PARTS
    from hw1.parts.part5_beyond.compute import load_tradeoff
    from hw1.store.cache import computing_code

    assert load_tradeoff()["rows"]  # the table results.json carries
    part5 = next(spec for spec in PARTS.values() if spec.folder.name == "part5_beyond")
    assert (part5.folder / "tradeoff.py").resolve() in {Path(p).resolve() for p in computing_code(part5)}
    assert not (REPO / "benchmarks" / "defence_tradeoff.json").exists()


def test_no_function_over_60_lines_and_no_module_over_400():
    """The house rule (functions split along their concerns, one module per concern), counted from the source:
    a function from its `def` line to its last line, decorators and docstring included."""
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        name = path.relative_to(REPO)
        if source.count("\n") > 400:
            too_long.append(f"{name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, "over the size limits:\n" + "\n".join(too_long)
