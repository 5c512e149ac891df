"""The pipeline behind run_all.py: compute (or reuse) each part, draw its figures, render the report.

Order of checks is deliberate: arguments, device and templates are validated before anything is
written, so a bad invocation changes nothing on disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .store.cache import FigureCache, ResultStore, code_version, load_current, part_key, upstream
from .errors import UserError
from .parts import PARTS, Part, StoredPart, with_dependencies
from .rendering.render import DEFAULT_TEMPLATES, Renderer
from .reporter import Reporter
from .store.storage import OutputLock, prepare_output_dir
from .toolkit.plotting import Figure

# torch is imported only when something is computed (in _compute_parts and below): a re-render after
# editing the answers (--report-only) does not pay its start-up time.


@dataclass
class Options:
    device: str = "auto"
    parts: tuple[int, ...] = tuple(PARTS)
    out: Path = Path("report")  # the CLI defaults to report-quick/ for --quick
    seed: int = 0
    quick: bool = False
    force: bool = False
    report_only: bool = False
    data_dir: Path = Path("data")
    templates: Path = DEFAULT_TEMPLATES
    leave_out: tuple[int, ...] = ()  # parts kept in results.json but not shown in the PDF (e.g. the extra Part 5)
    progress: bool | None = None  # None: progress bars only on a terminal
    draft: bool = False  # render hw1-draft.pdf only: each paragraph, caption and table names its template file:line
    run_record: bool = False  # append the run record (timings, devices, settings) to the combined PDF
    handins: bool = True  # False (--watch): render hw1.pdf only; --report-only writes the hand-ins and the run record
    compute_only: bool = False  # --compute-only: save the results, draw and render nothing (--report-only later)
    command: str = "run_all.py"  # the command line, for the run record



@dataclass
class PartView:
    """What a template sees of one part."""

    number: int  # the part's number (1-5)
    title: str  # its section title
    config: Any  # its settings (see Settings below)
    result: Any  # its computed result (see Result below)
    figures: dict[str, Figure]  # its figures by name; pass one to figure()
    seconds: float  # computation time of the part, s
    device: str  # where it was computed ("cpu" or "cuda")
    seed: int  # the --seed it was computed with
    finished_at: str  # when this part's numbers were computed
    config_items: list[tuple[str, Any]]  # (name, value) of every setting, for tables
    section_template: str  # e.g. sections/part1.html.j2 (Part.section_template)
    summary_template: str  # its rows of the front page's table (Part.summary_template)


@dataclass
class RunSummary:
    pdf: Path
    html: Path
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    handins: list[Path] = field(default_factory=list)  # hw1a.pdf, hw1b.pdf (those with parts)
    run_record: Path | None = None


def run_pipeline(options: Options, log: Callable[[str], None] = print) -> RunSummary:
    unknown = [p for p in options.parts if p not in PARTS]
    if unknown:
        raise UserError(f"unknown part {unknown[0]}; choose from {', '.join(map(str, PARTS))}")
    if options.seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {options.seed}")
    out_dir = Path(options.out)
    if options.report_only and not (out_dir / "results.json").is_file():
        # Checked before anything is created: a refused run leaves no folder or lock behind.
        raise UserError(f"--report-only found no saved results in {out_dir}; run without --report-only first")
    device = None
    if not options.report_only:  # --report-only computes nothing, so it needs no device
        from .toolkit.runtime import configure_determinism, resolve_device

        device = resolve_device(options.device)
        if device.type == "cuda":
            configure_determinism(device)
    renderer = Renderer(options.templates, draft=options.draft)
    out_dir = prepare_output_dir(out_dir)

    with OutputLock(out_dir):
        _remove_leftover_temporaries(out_dir)
        store = ResultStore(out_dir)
        if options.report_only and store.damage:
            # Nothing will be recomputed, so saying "its parts will be recomputed" would be wrong.
            raise UserError(f"{store.damage}, so --report-only has nothing to render; run without --report-only "
                            "to recompute the results (the previous PDF is kept until then)")
        for warning in store.warnings:
            log(f"warning: {warning}")
        summary = RunSummary(pdf=out_dir / "hw1.pdf", html=out_dir / "hw1.html")
        if options.report_only:
            if not store.names():
                raise UserError(
                    f"--report-only found no saved results in {out_dir}; run without --report-only first"
                )
        else:
            _check_mode(store, options, out_dir, log)
            _compute_parts(options, device, out_dir, store, summary, log)
            from .rendering.run_record import cpu_description
            from .toolkit.runtime import environment

            env = environment(device)
            env["cpu"] = cpu_description()
            env["seconds_per_part"] = {name: entry["seconds"] for name, entry in store.data["parts"].items()}
            store.set_environment(env)
            store.save()
            if options.compute_only:  # e.g. a GPU machine without WeasyPrint: render elsewhere with --report-only
                return summary

        started = time.perf_counter()
        views = _load_views(store, out_dir, log, set(options.leave_out))
        log(f"figures ready in {time.perf_counter() - started:.1f} s")
        if not views:
            raise UserError(f"no usable saved results in {out_dir}; run without --report-only to compute them")
        summary.rendered = [f"part{v.number}" for v in views.values()]
        _render_documents(renderer, views, store, options, out_dir, summary, log)
        return summary


def _render_documents(renderer: Renderer, views: dict[str, PartView], store: ResultStore, options: Options,
                      out_dir: Path, summary: RunSummary, log: Callable[[str], None]) -> None:
    """The combined hw1.pdf and, laid out meanwhile, each hand-in that has parts (hw1/rendering/handins.py); then
    the run record beside them."""
    from .rendering import handins
    from .rendering.run_record import write_run_record

    started = time.perf_counter()
    context = {
        "parts": views,
        "shown": list(views),
        "handin": None,
        "run_record": options.run_record,
        "environment": store.environment,
        "quick": store.mode == "quick",
        "generated_at": time.strftime("%Y-%m-%d %H:%M"),  # render time (differs after --report-only)
        "computed_at": max(v.finished_at for v in views.values())[:16],
    }
    wait_for_handins = (handins.start(renderer, context, out_dir)  # laid out meanwhile
                        if options.handins and not options.draft else None)
    try:
        summary.html, summary.pdf = renderer.write(context, out_dir)
    except BaseException:
        if wait_for_handins is not None:
            with contextlib.suppress(Exception):  # the same mistake stops them: report the combined report's error
                wait_for_handins()
        raise
    for warning in renderer.info.warnings:
        log(f"warning: {warning}")
    log(f"report rendered in {time.perf_counter() - started:.1f} s: {summary.pdf}")
    log(renderer.info.summary())
    if wait_for_handins is None:  # a preview or a proofreading copy (hw1-draft.pdf): no hand-ins, no run record
        return
    for handin in wait_for_handins():
        summary.handins.append(Path(handin["pdf"]))
        for line in handin["lines"]:
            log(line)
    summary.run_record = write_run_record(out_dir, views, store.environment, options.command)
    log(f"run record (timings, devices, settings, environment): {summary.run_record}")


def _check_mode(store: ResultStore, options: Options, out_dir: Path, log: Callable[[str], None]) -> None:
    """A quick (smoke) run never replaces or mixes with full results; a full run replaces quick ones."""
    mode = "quick" if options.quick else "full"
    if store.mode == "full" and mode == "quick":
        raise UserError(f"{out_dir} holds full results and --quick would mix smoke-run numbers into them; "
                        f"give the quick run its own folder (the default for --quick is report-quick/)")
    if store.mode == "quick" and mode == "full":
        log(f"warning: {out_dir} held quick (smoke-run) results; they are replaced by this full run")
    store.start_mode(mode)


def _remove_leftover_temporaries(out_dir: Path) -> None:
    """Delete half-written files of a run that was killed (we hold the lock, so none is in use)."""
    for leftover in out_dir.rglob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def _compute_parts(options: Options, device, out_dir: Path, store: ResultStore,
                   summary: RunSummary, log: Callable[[str], None]) -> None:
    try:
        _compute_each(options, device, out_dir, store, summary, log)
    finally:
        with contextlib.suppress(OSError):  # an empty checkpoints/ folder is not worth leaving behind
            (out_dir / "checkpoints").rmdir()


def _compute_each(options: Options, device, out_dir: Path, store: ResultStore,
                  summary: RunSummary, log: Callable[[str], None]) -> None:
    import torch

    from .toolkit.runtime import RunContext, seed_everything

    requested = set(options.parts)
    for number in with_dependencies(list(options.parts)):
        spec = PARTS[number]
        config = spec.config_cls.preset(options.quick)
        inputs = upstream(store, spec, PARTS)
        code = code_version(spec)
        key = part_key(spec.name, config, options.seed, device.type if spec.uses_device else None, code, inputs)
        stored, reason = store.load(spec.name, spec.config_cls, spec.result_cls, key)
        if stored is not None and not (options.force and number in requested):
            log(f"part {number} ({spec.title}): reusing saved result from {stored.finished_at}")
            summary.reused.append(spec.name)
            continue
        why = "--force" if stored is not None else reason
        log(f"part {number} ({spec.title}): computing ({why}) ...")
        ctx = RunContext(device=device if spec.uses_device else torch.device("cpu"), seed=options.seed,
                         out_dir=out_dir, data_dir=Path(options.data_dir), reporter=Reporter(log, options.progress),
                         run_key=key)
        seed_everything(options.seed)
        dependencies = [_must_load(store, PARTS[d]) for d in spec.depends_on]
        started = time.perf_counter()
        result = spec.run(config, ctx, *dependencies)
        seconds = time.perf_counter() - started
        store.put(spec.name, key, code, config, result, options.seed, str(ctx.device),
                  seconds, ctx.artifacts_written, inputs)
        summary.computed.append(spec.name)
        log(f"part {number} ({spec.title}): done in {seconds:.2f} s")


def _must_load(store: ResultStore, spec: Part) -> StoredPart:
    stored, reason = store.load(spec.name, spec.config_cls, spec.result_cls, None)
    if stored is None:
        raise UserError(f"part {spec.number} is needed but unusable ({reason}); re-run with --parts {spec.number}")
    return stored


def _load_views(store: ResultStore, out_dir: Path, log: Callable[[str], None],
                leave_out: set[int] = frozenset()) -> dict[str, PartView]:
    """Every saved part that is intact and made by the current code, with its figures drawn."""
    views: dict[str, PartView] = {}
    figure_cache = FigureCache(out_dir)
    for number, spec in PARTS.items():
        if spec.name not in store.names() or number in leave_out:
            continue
        stored, reason = load_current(store, spec, PARTS)
        if stored is None:
            log(f"warning: part {number} left out of the report: {reason}; re-run with --parts {number}")
            continue
        views[spec.name] = PartView(
            number=number,
            title=spec.title,
            config=stored.config,
            result=stored.result,
            figures=figure_cache.figures(spec, stored, store, Figure),
            seconds=stored.seconds,
            device=stored.device,
            seed=stored.seed,
            finished_at=stored.finished_at,
            config_items=list(dataclasses.asdict(stored.config).items()),
            section_template=spec.section_template,
            summary_template=spec.summary_template,
        )
    return views
