"""The ``kg`` command: each sub-command is a few lines over a documented library function.

Exit codes (as pySHACL): 0 success, 1 the data do not conform (syntax error, unfilled hole,
SHACL violation, quote mismatch, inconsistency), 2 usage or runtime error, including a request
that ``kg source add`` or ``kg quote`` refuses (nothing is written then).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kg.settings import Settings

EPILOG = """exit codes:
  0  success
  1  the data do not conform (syntax error, unfilled ?FILL_IN_ hole, SHACL violation,
     quote mismatch, inconsistency)
  2  usage or runtime error (bad arguments, missing build, unreadable file), or a request
     that `kg source add` or `kg quote` refuses, with the reason (nothing is written)
"""


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from kg.pipeline.build import build

    timings = (lambda line: print(line, file=sys.stderr, flush=True)) if args.timings else None
    result = build(
        settings.root,
        settings.build_dir,
        force=args.force,
        reasoner=settings.reasoner,
        timings=timings,
        mode=settings.build_mode,
    )
    if result.skipped:
        print(f"build {result.version} is up to date ({result.artifact})")
        return 0
    triples = result.manifest["triples"]
    print(
        f"built {result.version}: {triples['asserted']} asserted and {triples['inferred']} "
        f"inferred triples in {len(result.manifest['graphs'])} graphs -> {result.artifact}"
    )
    for problem in result.report.warnings:
        print(problem, file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from kg.pipeline.build import check
    from kg.pipeline.quotes import check_quotes

    _, union, report = check(settings.root)
    quote_problems = check_quotes(union, settings.root)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "conforms": report.conforms and not quote_problems,
                    "problems": [p.as_dict() for p in report.problems],
                    "quotes": [str(q) for q in quote_problems],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for problem in report.problems:
            print(problem)
        for quote in quote_problems:
            print(f"quote: Violation: {quote}")
        summary = report.summary()
        print(
            f"{summary['violations']} violation(s), {summary['warnings']} warning(s), "
            f"{len(quote_problems)} quote problem(s)"
        )
    failed = not report.conforms or quote_problems or (args.strict and report.warnings)
    return 1 if failed else 0


def cmd_lint(args: argparse.Namespace, settings: Settings) -> int:
    from kg.pipeline.lint import lint

    if not (settings.root / "ontology" / "ontology.ttl").is_file():
        print(f"kg lint: no ontology/ontology.ttl under {settings.root}", file=sys.stderr)
        return 2
    problems = lint(settings.root)
    if args.format == "json":
        out = {"conforms": not problems, "problems": [p.as_dict() for p in problems]}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            print(problem)
        print(f"{len(problems)} lint problem(s)")
    return 1 if problems else 0


def cmd_diff(args: argparse.Namespace, settings: Settings) -> int:
    from kg.pipeline.diff import diff, format_diff

    result = diff(args.old, args.new, settings.root)
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_diff(result), end="")
    return 0


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from kg.store import Bindings, Boolean, open_engine
    from kg.web.endpoint.results import to_json

    text = sys.stdin.read() if args.query == "-" else args.query
    result = open_engine(settings).query(text)
    if isinstance(result, Boolean):
        print("true" if result.value else "false")
    elif isinstance(result, Bindings):
        if args.format == "json":
            print(to_json(result))
        else:
            print(_table(result, "," if args.format == "csv" else None), end="")
    else:
        for s, p, o in result.triples:
            print(s.value, p.value, o.value, sep="\t")
    return 0


def _table(result: object, delimiter: str | None) -> str:
    rows = [[row[v].value if v in row else "" for v in result.variables] for row in result.rows]
    if delimiter:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.variables)
        writer.writerows(rows)
        return out.getvalue()
    widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(result.variables)]
    lines = [
        " | ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines) + f"\n({len(rows)} rows)\n"


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from kg.store.base import read_manifest

    manifest = read_manifest(settings.manifest)
    print(f"dataset version {manifest['version']}")
    inferred = "https://w3id.org/digikommun/graph/inferred"
    for kind, graphs in (
        ("asserted", {g: n for g, n in manifest["graphs"].items() if g != inferred}),
        ("inferred", {g: n for g, n in manifest["graphs"].items() if g == inferred}),
    ):
        print(f"{kind}: {sum(graphs.values())} triples")
        for graph, count in graphs.items():
            print(f"  {count:>7}  {graph}")
    return 0


def _unsandboxed(command: str, settings: Settings) -> bool:
    """Whether to refuse to serve: the kernel cannot keep query processes off the network
    (kg.web.endpoint.isolation.sandbox) and the operator did not opt out with
    KG_ALLOW_UNSANDBOXED=1; or the allow-list is not empty, the kernel cannot give federating query
    processes a network of their own (kg.web.endpoint.isolation.private_network), and the operator
    did not opt out with KG_ALLOW_SERVICE_WITHOUT_NAMESPACE=1."""
    from kg.web.endpoint.isolation.sandbox import unavailable

    reason = unavailable()
    if reason is not None:
        if not settings.allow_unsandboxed:
            print(
                f"kg {command}: the kernel cannot keep query processes off the network "
                f"({reason}). Refusing to serve; set KG_ALLOW_UNSANDBOXED=1 to serve anyway, "
                "knowing that a query that slips SERVICE past the gate could then reach any "
                "host (SECURITY.md).",
                file=sys.stderr,
            )
            return True
        print(
            f"kg {command}: WARNING: serving without the query sandbox ({reason}); "
            "a query that slips SERVICE past the gate can reach the network (SECURITY.md)",
            file=sys.stderr,
        )
    return _unfenced(command, settings)


def _unfenced(command: str, settings: Settings) -> bool:
    """The allow-list's half of :func:`_unsandboxed`."""
    from kg.web.endpoint.isolation import private_network

    if not settings.service_allowlist or settings.store.startswith("sparql+"):
        return False  # nothing federates here (a remote store evaluates queries itself)
    reason = private_network.unavailable(settings.service_allowlist)
    if reason is None:
        return False
    if settings.allow_service_without_namespace:
        print(
            f"kg {command}: WARNING: queries that call an allow-listed SERVICE run without a "
            f"network of their own ({reason}); one that fools the gate can reach any host on "
            "an allow-listed port (SECURITY.md)",
            file=sys.stderr,
        )
        return False
    print(
        f"kg {command}: KG_SERVICE_ALLOWLIST is set, but the kernel cannot give federating "
        f"query processes a network of their own ({reason}). Refusing to serve; set "
        "KG_ALLOW_SERVICE_WITHOUT_NAMESPACE=1 to serve anyway, knowing that a query that fools "
        "the gate could then reach any host on an allow-listed port (SECURITY.md), or empty "
        "the allow-list.",
        file=sys.stderr,
    )
    return True


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Say whether query processes run sealed off the network here (exit 0) or not (1), and
    whether federating ones get a network of their own (needed, exit 1 without, only when
    KG_SERVICE_ALLOWLIST is set)."""
    from kg.web.endpoint.isolation import private_network
    from kg.web.endpoint.isolation.sandbox import unavailable

    code = 0
    reason = unavailable()
    if reason is None:
        print("the query sandbox works here: a query process cannot open a socket")
    else:
        print(f"the query sandbox does NOT work here: {reason}")
        code = 1
    fenced = private_network.unavailable(settings.service_allowlist)
    needed = " (KG_SERVICE_ALLOWLIST is set)" if settings.service_allowlist else ""
    if fenced is None:
        print(
            "federating query processes get a network of their own here: only the "
            f"allow-listed endpoints can be reached{needed}"
        )
    else:
        print(f"federating query processes get NO network of their own here{needed}: {fenced}")
        code = 1 if settings.service_allowlist else code
    return code


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Replace this process with gunicorn (the Flask development server is for --debug)."""
    if _unsandboxed("serve", settings):
        return 2
    if args.debug:
        from kg import create_app

        create_app(settings).run(host=settings.host, port=settings.port, debug=True)
        return 0
    # Bind, workers, threads, timeouts and request limits: src/kg/web/endpoint/gunicorn_conf.py.
    # gunicorn is installed next to this Python; `make serve` does not put the venv on PATH.
    beside = Path(sys.executable).with_name("gunicorn")
    program = str(beside) if beside.is_file() else "gunicorn"
    argv = [program, "--config", "python:kg.web.endpoint.gunicorn_conf", "server:app"]
    os.execvp(argv[0], argv)  # noqa: S606 - a fixed command, no shell, no user input
    return 2


def cmd_source(args: argparse.Namespace, settings: Settings) -> int:
    from kg.editing.sources import SourceFields, add_source

    fields = SourceFields(
        title=args.title,
        date=args.date,
        publisher=args.publisher,
        genre=args.genre,
        url=args.url or "",
        lang=args.lang,
    )
    added = add_source(settings.root, Path(args.file), fields)
    publisher = (
        f"{added.publisher} (new: described in the new file)"
        if added.new_publisher
        else added.publisher
    )
    print(
        f"registered source {added.number} (SHA-256 {added.sha256[:16]}…, publisher {publisher}):"
    )
    for path in (added.text, "data/sources/README.md", "data/sources/SHA256SUMS", added.turtle):
        print(f"  {path}")
    print(f'quote it with: kg quote {added.number} "a passage of the text" --append')
    return 0


def cmd_quote(args: argparse.Namespace, settings: Settings) -> int:
    from kg.editing.quote import append, quote

    found = quote(settings.root, args.number, args.passage, name=args.name)
    if args.append:
        target = append(settings.root, found)
        print(
            f"appended statement:{found.name} to {target.relative_to(settings.root)}; "
            "fill in its ?FILL_IN_ holes, then run kg validate"
        )
    else:
        print(found.skeleton, end="")
    return 0


def cmd_serve_public(args: argparse.Namespace, settings: Settings) -> int:
    """nginx on KG_HOST:KG_PORT in front of KG_REPLICAS gunicorn replicas (src/kg/deploy)."""
    from kg.deploy.stack import serve

    if _unsandboxed("serve-public", settings):
        return 2
    if not settings.artifact.is_file():
        print(
            f"kg serve-public: {settings.artifact} not found (run `kg build` first)",
            file=sys.stderr,
        )
        return 2
    try:
        return serve(settings)
    except (RuntimeError, OSError) as err:  # nginx refused, a port is taken, a replica failed
        print(f"kg serve-public: {err}", file=sys.stderr)
        return 2


def cmd_synth(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from kg.pipeline.synth import synthesise

    result = synthesise(Path(args.out), args.triples, seed=args.seed, project_root=settings.root)
    print(f"wrote {result.triples} triples in {result.files} files under {result.root}")
    print(f"build it with: KG_ROOT={result.root} KG_BUILD_DIR={result.root}/build kg build")
    return 0


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from kg.pipeline.publish import publish

    counts = publish(
        settings.artifact,
        args.to,
        args.query_url,
        timeout=args.timeout,
        user=settings.publish_user,
        password=settings.publish_password,
        union_graph=settings.store_union_graph,
    )
    for graph, count in counts.items():
        print(f"  {count:>8}  {graph or '(default graph: the union)'}")
    print(f"published {settings.artifact} to {args.to} (every graph counted back)")
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace, Settings], int], str]] = {
    "build": (cmd_build, "load, validate, reason and write build/kg.nq + build/manifest.json"),
    "validate": (cmd_validate, "check the data against the SHACL shapes and the source texts"),
    "lint": (
        cmd_lint,
        "check the ontology and shapes against the house rules (src/kg/pipeline/lint/rules)",
    ),
    "diff": (
        cmd_diff,
        "list triples and terms added, changed, deprecated or removed between builds",
    ),
    "query": (cmd_query, "run a SPARQL query against the built artifact"),
    "stats": (cmd_stats, "print triples per named graph, asserted and inferred apart"),
    "serve": (cmd_serve, "serve the built artifact with gunicorn"),
    "source": (cmd_source, "add a source text: copy, register and describe it (kg source add)"),
    "quote": (cmd_quote, "find a passage in a source text and write its statement skeleton"),
    "serve-public": (
        cmd_serve_public,
        "serve beyond localhost: nginx in front of gunicorn replicas (SIGHUP rolls a new build)",
    ),
    "sandbox": (
        cmd_sandbox,
        "check that query processes run sealed off the network here, and that federating ones "
        "get a network of their own (exit 1 if not)",
    ),
    "synth": (cmd_synth, "write a deterministic synthetic project of N triples for benchmarks"),
    "publish": (cmd_publish, "replace every named graph of the build in a Graph Store endpoint"),
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="kg",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subs = root.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub = subs.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == "build":
            sub.add_argument("--force", action="store_true", help="rebuild even if up to date")
            sub.add_argument(
                "--timings",
                action="store_true",
                help="print each phase's seconds and peak memory to stderr",
            )
        if name == "validate":
            sub.add_argument("--format", choices=("text", "json"), default="text")
            sub.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
        if name == "lint":
            sub.add_argument("--format", choices=("text", "json"), default="text")
        if name == "diff":
            sub.add_argument("old", help="a build directory, kg.nq file, or 'worktree'")
            sub.add_argument("new", help="a build directory, kg.nq file, or 'worktree'")
            sub.add_argument("--format", choices=("text", "json"), default="text")
        if name == "query":
            sub.add_argument("query", help="the SPARQL query text, or - to read it from stdin")
            sub.add_argument("--format", choices=("table", "json", "csv"), default="table")
        if name == "serve":
            sub.add_argument("--debug", action="store_true", help="Flask development server")
        if name == "source":
            actions = sub.add_subparsers(dest="action", required=True)
            add = actions.add_parser(
                "add",
                help="copy FILE under its hash name, register it, write its source-NNN.ttl",
                description="copy FILE under its hash name, register it in "
                "data/sources/README.md and write data/ttl/sources/source-NNN.ttl",
                epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            add.add_argument("file", help="the text, UTF-8, exactly as published")
            add.add_argument("--title", required=True, help="the title as printed")
            add.add_argument("--date", required=True, help="YYYY-MM-DD, YYYY-MM or YYYY")
            add.add_argument(
                "--publisher", required=True, help="an orgn:… IRI, or the organisation's name"
            )
            add.add_argument(
                "--genre", required=True, help="a dk:Genre: NewsArticle, InterviewArticle, BlogPost"
            )
            add.add_argument("--url", help="where the text was published, if stated")
            add.add_argument("--lang", default="sv", help="language of the text (default sv)")
        if name == "quote":
            sub.add_argument("number", help="the source text's three-digit number, e.g. 004")
            sub.add_argument("passage", help="the passage, typed or pasted")
            sub.add_argument(
                "--append", action="store_true", help="add it to data/ttl/sources/source-NNN.ttl"
            )
            sub.add_argument("--name", help="slug of the statement (default: NNN-first-words)")
        if name == "synth":
            sub.add_argument("--triples", type=int, required=True, help="about how many")
            sub.add_argument("--out", required=True, help="directory of the synthetic project")
            sub.add_argument("--seed", type=int, default=1)
        if name == "publish":
            sub.add_argument(
                "--to",
                required=True,
                help="Graph Store Protocol URL (…/store); credentials come from "
                "KG_PUBLISH_USER and KG_PUBLISH_PASSWORD, never from the command line",
            )
            sub.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
            sub.add_argument(
                "--query-url",
                help="the store's SPARQL query URL, to count back (default: derived from --to)",
            )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    from kg.pipeline.errors import PipelineError
    from kg.store import QuerySyntaxError

    args = parser().parse_args(argv)
    settings = Settings.from_env()
    handler = COMMANDS[args.command][0]
    try:
        return handler(args, settings)
    except PipelineError as err:
        print(f"kg {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except QuerySyntaxError as err:
        print(f"kg {args.command}: malformed query: {err}", file=sys.stderr)
        return 2
    except FileNotFoundError as err:
        print(
            f"kg {args.command}: {err.filename} not found (run `kg build` first?)", file=sys.stderr
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
