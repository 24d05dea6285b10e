"""Detection commands: bank, lexicon, known-texts, scan, alerts, decide, classifier, match.

Services are imported inside each command so that ``openiru`` starts quickly
(scikit-learn, lingua and numba load only for the commands that use them).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from .common import AsOption, DbOption, JsonOption, actor_name, engine_for, print_json
from .tables import WideOption

out = Console()
err = Console(stderr=True)
bank_app = typer.Typer(
    help="Hash banks of known content (PDQ, MD5, SHA-256, URL, text).", no_args_is_help=True
)
lexicon_app = typer.Typer(help="Lexicons of terms, hashtags and outlet names.", no_args_is_help=True)
texts_app = typer.Typer(help="Known texts matched as near-duplicates.", no_args_is_help=True)
classifier_app = typer.Typer(help="The trainable text classifier.", no_args_is_help=True)


def _problems(summary: Any) -> None:
    for line in summary.problems[:20]:
        err.print(f"[yellow]skipped[/]: {line}", highlight=False)
    if summary.errors > 20:
        err.print(f"... and {summary.errors - 20} more bad lines")


def _import_report(summary: Any, json_out: bool) -> None:
    _problems(summary)
    if json_out:
        print_json(summary.as_dict())
    else:
        out.print(
            f"{summary.target}: {summary.added} added, {summary.existing} already there, "
            f"{summary.removed} removed, {summary.errors} bad lines"
        )


@bank_app.command("import")
def bank_import(
    file: Annotated[
        Path, typer.Argument(help="Hash list: plain, CSV, threatexchange, TAT JSON or JSONL texts.")
    ],
    bank: Annotated[str, typer.Option("--bank", help="Bank name (created if new).")],
    kind: Annotated[
        str | None, typer.Option(help="pdq|md5|sha256|url|text|video for rows without one.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto|plain|csv|threatexchange|tat|jsonl")] = "auto",
    purpose: Annotated[str | None, typer.Option(help="match or suppression (known false positives).")] = None,
    max_distance: Annotated[int | None, typer.Option(help="PDQ match threshold (default 31).")] = None,
    min_quality: Annotated[int | None, typer.Option(help="Minimum PDQ quality (default 50).")] = None,
    min_similarity: Annotated[
        float | None, typer.Option(help="Text similarity threshold (default 0.8).")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first bad line.")] = False,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import a hash list into a bank (retroactive: old posts are matched again on the next scan)."""
    from ..services.access.change_audit import cli_actor
    from ..services.detect.banks import import_hash_list

    engine = engine_for(db)
    summary = import_hash_list(
        engine,
        file,
        bank,
        kind=kind,
        fmt=fmt,
        purpose=purpose,
        strict=strict,
        pdq_max_distance=max_distance,
        pdq_min_quality=min_quality,
        text_min_similarity=min_similarity,
        actor=cli_actor(engine, actor_name(as_user)),
    )
    _import_report(summary, json_out)


@bank_app.command("add")
def bank_add(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Media files: images, videos, PDF or EPUB documents.", exists=True, dir_okay=False
        ),
    ],
    bank: Annotated[str, typer.Option("--bank", help="Bank name (created if new).")],
    label: Annotated[str | None, typer.Option(help="Label of the new items.")] = None,
    item: Annotated[str | None, typer.Option(help="Item name (one file; default: the file name).")] = None,
    purpose: Annotated[str | None, typer.Option(help="match or suppression (known false positives).")] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Hash media files into a bank: image -> PDQ + MD5, video -> vPDQ + MD5, document -> MD5 + page texts."""
    from ..services.access.change_audit import cli_actor
    from ..services.detect.media import add_files

    engine = engine_for(db)
    summary = add_files(
        engine,
        files,
        bank,
        label=label,
        item=item,
        purpose=purpose,
        actor=cli_actor(engine, actor_name(as_user)),
    )
    _import_report(summary, json_out)


@bank_app.command("export")
def bank_export(
    bank: Annotated[str, typer.Option("--bank", help="Bank name.")],
    fmt: Annotated[str, typer.Option("--format", help="csv|plain|threatexchange|tat|jsonl")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Export a bank's items with their labels."""
    from ..services.detect.banks import export_bank

    text = export_bank(engine_for(db), bank, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@bank_app.command("list")
def bank_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Banks with their settings and item counts."""
    from ..services.detect.banks import list_banks

    banks = list_banks(engine_for(db))
    if json_out:
        print_json(banks)
        return
    table = Table(
        "bank", "purpose", "items", "kinds", "pdq ≤", "quality ≥", "text ≥", "quarantined", "version"
    )
    for b in banks:
        table.add_row(
            b["name"],
            b["purpose"],
            str(b["items"]),
            ", ".join(f"{k} {n}" for k, n in b["kinds"].items()),
            str(b["pdq_max_distance"]),
            str(b["pdq_min_quality"]),
            str(b["text_min_similarity"]),
            str(b["quarantined"]),
            str(b["version"]),
        )
    out.print(table)


@bank_app.command("release")
def bank_release(item_id: int, as_user: AsOption = None, db: DbOption = None) -> None:
    """Lift the quarantine of a bank item after review."""
    from ..services.detect.alerts import release_item

    release_item(engine_for(db), item_id, actor_name(as_user))
    out.print(f"item {item_id} released; run 'openiru scan' to match again")


@lexicon_app.command("import")
def lexicon_import(
    file: Annotated[Path, typer.Argument(help="CSV with header term,language,kind,label.")],
    name: Annotated[str, typer.Option("--name", help="Lexicon name.")] = "default",
    strict: Annotated[bool, typer.Option(help="Stop at the first bad line.")] = False,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import terms, hashtags and outlet names (any language and script)."""
    from ..services.access.change_audit import cli_actor
    from ..services.detect.banks import import_lexicon

    engine = engine_for(db)
    _import_report(
        import_lexicon(engine, file, name, strict, actor=cli_actor(engine, actor_name(as_user))), json_out
    )


@lexicon_app.command("list")
def lexicon_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Lexicons and their term counts."""
    from ..services.detect.banks import list_lexicons

    found = list_lexicons(engine_for(db))
    if json_out:
        print_json(found)
        return
    for lx in found:
        out.print(f"{lx['name']}\t{lx['terms']}\t{lx['kinds']}")


@texts_app.command("import")
def known_texts_import(
    file: Annotated[Path, typer.Argument(help='JSONL: {"id", "text", "language", "label"} per line.')],
    bank: Annotated[str, typer.Option("--bank", help="Text bank name.")] = "known-texts",
    min_similarity: Annotated[float | None, typer.Option(help="Similarity threshold (default 0.8).")] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first bad line.")] = False,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import known texts for near-duplicate matching."""
    from ..services.access.change_audit import cli_actor
    from ..services.detect.banks import import_known_texts

    engine = engine_for(db)
    _import_report(
        import_known_texts(
            engine, file, bank, strict, min_similarity, actor=cli_actor(engine, actor_name(as_user))
        ),
        json_out,
    )


def scan(
    rescan: Annotated[bool, typer.Option(help="Scan every post again, not only unscanned ones.")] = False,
    limit: Annotated[int | None, typer.Option(help="Scan at most this many posts.")] = None,
    batch_size: Annotated[int, typer.Option(help="Posts per transaction.")] = 2000,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Run detection over posts not yet scanned (and old posts after a bank or lexicon change)."""
    from ..services.detect.scan import scan as run_scan
    from .progress import as_callback, progress

    with progress("scanning", json_out=json_out) as advance:
        summary = run_scan(
            engine_for(db),
            batch_size=batch_size,
            limit=limit,
            rescan=rescan,
            on_progress=as_callback(advance, lambda s: s.posts, lambda s: s.to_scan),
        )
    if json_out:
        print_json(summary.as_dict())
        return
    out.print(
        f"scanned {summary.posts} posts in {summary.seconds:.1f}s: {summary.hits} hits, "
        f"{summary.alerts} alerts, {summary.signals} signals, {summary.media_hashed} images hashed"
        + (f", quarantined items {summary.quarantined}" if summary.quarantined else "")
    )


def alerts(
    limit: Annotated[int | None, typer.Option(help="At most this many alerts.")] = 50,
    status: Annotated[str, typer.Option(help="open|confirmed|rejected|all")] = "open",
    uncertain: Annotated[
        bool, typer.Option(help="The posts the classifier is least sure about first.")
    ] = False,
    links: Annotated[
        str | None,
        typer.Option(
            "--links",
            help="Instead: indicators of this kind (wallet, donation-link, file-host...) on 2+ accounts.",
        ),
    ] = None,
    assigned: Annotated[
        str | None,
        typer.Option(
            help="Only alerts assigned to this user; 'me' (the --as user), 'none' (to no one) or 'any'."
        ),
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """The triage queue: alerts by priority, with the evidence of every hit and whose each one is."""
    from ..services.detect.alerts import list_alerts, signal_links

    engine = engine_for(db)
    if links:
        found = signal_links(engine, links)
        if json_out:
            print_json(found)
        else:
            for g in found:
                out.print(
                    f"{g['value']} ({g['label']}): "
                    + ", ".join(f"{a['platform']}:{a['account_id']}" for a in g["accounts"]),
                    highlight=False,
                )
        return
    if assigned == "me":
        assigned = actor_name(as_user)
        if not assigned:
            raise typer.BadParameter("--assigned me needs --as USER or OPENIRU_USER", param_hint="--assigned")
    queue = list_alerts(
        engine, limit=limit, status=status, uncertain=uncertain, people=True, assigned=assigned
    )
    if json_out:
        print_json(queue)
        return
    from .tables import Fitted, person

    columns = [("priority", "num", False), ("post", "id", False), ("account", "id", False)]
    columns += [("account id", "id", False)] if wide else []
    table = Fitted(
        [*columns, ("status", "id", True), ("evidence", "text", True), ("assigned", "id", True)], wide=wide
    )
    for a in queue:
        evidence = "; ".join(
            f"{h['matcher']} {h.get('bank') or ''} {h.get('item') or h.get('term') or ''}"
            + (f" d={h['distance']}" if "distance" in h else "")
            + (f" s={h['similarity']}" if "similarity" in h else "")
            for h in a["hits"][:3]
        )
        acc = a["account"]
        who = [person(acc["platform"], acc["account_id"], acc.get("handle"))]
        who += [f"{acc['platform']}:{acc['account_id']}"] if wide else []
        table.add_row(
            f"{a['priority']:.3f}", a["id"], *who, a["status"], evidence, a.get("assigned_to") or "-"
        )
    table.print(out)


def decide(
    post: Annotated[str, typer.Argument(help="PLATFORM:POST_ID (Telegram ids contain '/').")],
    decision: Annotated[str, typer.Argument(help="confirm or reject")],
    reason: Annotated[
        str | None,
        typer.Option(
            help="Why; rejection reasons include journalism, research, counter-speech, education, art."
        ),
    ] = None,
    add_to_bank: Annotated[
        str | None, typer.Option(help="On confirm: add the post's media to this bank.")
    ] = None,
    suppress: Annotated[
        bool, typer.Option(help="On reject: put the post's media in the suppression bank.")
    ] = False,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Confirm or reject an alert (as an analyst)."""
    from ..services.detect.alerts import decide as record

    result = record(
        engine_for(db),
        post,
        decision,
        reason,
        actor=actor_name(as_user),
        add_to_bank=add_to_bank,
        suppress=suppress,
    )
    if json_out:
        print_json(result)
    else:
        out.print(
            f"{post}: {result['status']}"
            + (f" ({result['reason']})" if result["reason"] else "")
            + f" by {result['actor']}",
            highlight=False,
        )


def assign(
    posts: Annotated[
        list[str], typer.Argument(help="Alerts as PLATFORM:POST_ID (Telegram ids contain '/').")
    ],
    to: Annotated[
        str | None, typer.Option(help="The analyst to assign them to (default: yourself, the --as user).")
    ] = None,
    unassign: Annotated[bool, typer.Option(help="Lift the assignment instead.")] = False,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Assign alerts to an analyst (yourself by default), or lift the assignment."""
    from ..services.detect.assign import assign as record

    if unassign and to:
        raise typer.BadParameter("give either --to or --unassign, not both", param_hint="--unassign")
    actor = actor_name(as_user)
    result = record(engine_for(db), posts, None if unassign else (to or actor), actor=actor)
    if json_out:
        print_json(result)
    else:
        who = result["assigned_to"] or "no one"
        out.print(
            f"{len(result['posts'])} alert{'s' if len(result['posts']) != 1 else ''} assigned to {who} "
            f"by {result['assigned_by']}",
            highlight=False,
        )


def _metrics_table(metrics: dict[str, Any]) -> None:
    table = Table("language", "n", "positives", "precision", "recall", "F1")
    for lang, m in sorted(metrics["per_language"].items()):
        table.add_row(
            lang,
            str(m["n"]),
            str(m["positives"]),
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
        )
    o = metrics["overall"]
    table.add_row(
        "all",
        str(o["n"]),
        str(o["positives"]),
        f"{o['precision']:.3f}",
        f"{o['recall']:.3f}",
        f"{o['f1']:.3f}",
    )
    out.print(f"{metrics['folds']}-fold cross-validation")
    out.print(table)


@classifier_app.command("train")
def classifier_train(
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
    as_user: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Train on analysts' decisions; store a new model version; print per-language metrics."""
    from ..services.access.change_audit import cli_actor
    from ..services.detect.classifier import train

    engine = engine_for(db)
    result = train(engine, cli_actor(engine, actor_name(as_user), ("analyst",)), folds)
    if json_out:
        print_json(result)
        return
    out.print(f"model v{result['version']} ({result['algorithm']}) on {result['n_samples']} decisions")
    _metrics_table(result["metrics"])


@classifier_app.command("eval")
def classifier_eval(
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Cross-validated precision, recall and F1 per language, without storing a model."""
    from ..services.detect.classifier import evaluate

    metrics = evaluate(engine_for(db), folds)
    if json_out:
        print_json(metrics)
    else:
        _metrics_table(metrics)


@classifier_app.command("list")
def classifier_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Stored model versions and their training metadata."""
    from ..services.detect.classifier import list_models

    models = list_models(engine_for(db))
    if json_out:
        print_json(models)
        return
    for m in models:
        out.print(
            f"v{m['version']}\t{'active' if m['active'] else ''}\t{m['n_samples']} samples\t"
            f"{m['created_at']}\t{m['algorithm']}"
        )


def match(
    inputs: Annotated[
        list[str] | None, typer.Argument(help="Image, video or document paths, hashes, or texts.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="pdq|md5|sha256|text|video|document (default: from each input; files by their content)."
        ),
    ] = None,
    from_file: Annotated[Path | None, typer.Option("--from-file", help="One input per line.")] = None,
    bank: Annotated[list[str] | None, typer.Option("--bank", help="Only these banks.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Look inputs up in the banks; one result object per input (JSON lines with --json)."""
    from ..services.detect.match import match as run_match

    values = list(inputs or [])
    if from_file is not None:
        try:
            with open(from_file, encoding="utf-8-sig") as fh:
                values += [line.strip() for line in fh if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(
                f"{from_file}: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}"
            ) from None
    if not values:
        raise typer.BadParameter("give inputs or --from-file")
    results = run_match(engine_for(db), values, kind, bank)
    write = sys.stdout.buffer.write
    if json_out:
        for r in results:
            write(orjson.dumps(r) + b"\n")
        sys.stdout.flush()
        return
    for r in results:
        found = ", ".join(
            f"{m['bank']}:{m.get('item') or m.get('term')}"
            + (f" d={m['distance']}" if "distance" in m else "")
            + (f" s={m['similarity']}" if "similarity" in m else "")
            + (
                f" q={m['query_match_percent']}% c={m['compared_match_percent']}% "
                + " ".join(f"{a:g}-{b:g}s" for a, b in m["query_ranges"])
                if "query_ranges" in m
                else ""
            )
            for m in r["matches"]
        )
        out.print(f"{r['input'][:70]}\t{found or 'no match'}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(bank_app, name="bank")
    app.add_typer(lexicon_app, name="lexicon")
    app.add_typer(texts_app, name="known-texts")
    app.command()(scan)
    app.command()(alerts)
    app.command()(decide)
    app.command()(assign)
    app.add_typer(classifier_app, name="classifier")
    app.command()(match)
