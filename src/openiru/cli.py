"""The ``openiru`` command line: one Typer app whose command modules load only when used.

``openiru --help`` lists every command from the static table :data:`COMMANDS`
(name, module, one-line help) without importing any command module; running a
command imports its module (``openiru.commands.<module>``, which registers its
commands with ``register(app)``) and nothing else.  Usage errors and OpenIRU's
own errors print one line (usage errors with the usage line and the help hint
above it, as click does) and exit with their code, never with a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from .errors import OpenIRUError

#: Every top-level command: name -> (module under openiru.commands, first paragraph of its help),
#: in the order ``openiru --help`` lists them.  tests/test_cli_startup.py checks this table against
#: the commands the modules register (and prints the table to paste when they differ).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("core", "Create (or migrate) the database."),
    "ingest": (
        "core",
        "Import platform exports (twarc2 JSONL, Telegram result.json, Mastodon, ActivityPub,\n"
        "Rocket.Chat, ZeroNet, generic JSONL/CSV/TSV/XLSX).",
    ),
    "stats": ("core", "Posts, accounts, edges and media per platform."),
    "demo": (
        "demo",
        "Generate a fictional multi-platform ecosystem in real export formats, with its ground\n"
        "truth and detection assets, import it, and print what it holds.",
    ),
    "scan": (
        "detect",
        "Run detection over posts not yet scanned (and old posts after a bank or lexicon change).",
    ),
    "alerts": (
        "detect",
        "The triage queue: alerts by priority, with the evidence of every hit and whose each one is.",
    ),
    "decide": ("detect", "Confirm or reject an alert (as an analyst)."),
    "assign": ("detect", "Assign alerts to an analyst (yourself by default), or lift the assignment."),
    "match": ("detect", "Look inputs up in the banks; one result object per input (JSON lines with --json)."),
    "accounts": ("graph", "Key accounts ranked, with role, community and the evidence for each score."),
    "coordination": (
        "graph",
        "Groups of accounts posting the same content within a time window, repeatedly.",
    ),
    "resurgence": ("graph", "Re-created accounts linked to removed or silent predecessors (ban evasion)."),
    "platforms": (
        "graph",
        "Domains flagged content links to, week by week; unknown domains with a growing share.",
    ),
    "migration": (
        "graph",
        "Share of the community's posts per platform per week (communities moving between platforms).",
    ),
    "refer": ("referral", "Refer posts, accounts or URLs (one draft referral per provider)."),
    "referrals": ("referral", "List referrals with deadlines and history."),
    "export": (
        "referral",
        "Export referrals: DSA statements of reasons, STIX 2.1, MISP, Lumen notices, hash list.",
    ),
    "watch": ("collect", "The watchlist: targets collected live on a schedule."),
    "collect": (
        "collect",
        "Collect watched targets: --once polls every due target once; without it, runs until stopped.",
    ),
    "serve": ("api", "Serve the REST API, the analyst console and the provider portal."),
    "user": ("core", "Manage the users who act in OpenIRU."),
    "bank": ("detect", "Hash banks of known content (PDQ, MD5, SHA-256, URL, text)."),
    "lexicon": ("detect", "Lexicons of terms, hashtags and outlet names."),
    "known-texts": ("detect", "Known texts matched as near-duplicates."),
    "classifier": ("detect", "The trainable text classifier."),
    "seed": ("graph", "Mark accounts of the recognised community (seeds of the ranking)."),
    "graph": ("graph", "The interaction graph."),
    "provider": ("referral", "The registry of hosting service providers."),
    "referral": ("referral", "Move one referral through its workflow."),
    "deconflict": ("referral", "Hands-off entries of member-state agencies (deconfliction)."),
    "operation": ("referral", "Referral Action Days."),
    "audit": ("referral", "The hash-chained audit log."),
    "statistics": (
        "reports",
        "Posts, alerts, referrals and their outcomes, removal rate and response times over a period.",
    ),
    "report": (
        "reports",
        "Write a report (TCO Art. 8 transparency, annual, Referral Action Day) with its figures as JSON.",
    ),
    "worker": (
        "workers",
        "Run a scale-out worker: pull work from NATS JetStream, write to the shared database.",
    ),
    "queue": ("workers", "The NATS JetStream work queues of the scale-out workers."),
    "db": (
        "workers",
        "The database schema in production: check (pending migrations, missing indexes), upgrade; "
        "posts partitioned by time and its retention (PostgreSQL).",
    ),
}

#: Modules that add subcommands to another module's group, imported before that group is built.
ALSO_IMPORT: dict[str, tuple[str, ...]] = {"user": ("api",), "db": ("partitions",)}

#: A command that also has subcommands from another module's group of the same name:
#: ``openiru accounts`` ranks key accounts, ``openiru accounts import FILE`` imports a list.
SUBCOMMANDS_FROM: dict[str, str] = {"accounts": "byod"}

#: Every command module.
COMMAND_MODULES = tuple(dict.fromkeys([*(m for m, _ in COMMANDS.values()), *SUBCOMMANDS_FROM.values()]))

_registered: dict[tuple[str, tuple[str, ...]], typer.Typer] = {}  # once per process


def module_app(module: str, also: tuple[str, ...] = ()) -> typer.Typer:
    """A Typer app with what one command module registers (imported on first use), after
    importing the modules ``also`` (which add subcommands to the module's groups)."""
    key = (module, also)
    if key not in _registered:
        for extra in also:
            importlib.import_module(f"openiru.commands.{extra}")
        sub = typer.Typer()
        importlib.import_module(f"openiru.commands.{module}").register(sub)
        _registered[key] = sub
    return _registered[key]


def build_command(module: str, name: str, also: tuple[str, ...] = ()) -> Any:
    """The click command (or group) ``name`` of one module; its other commands are not built
    (Typer builds each parameter's validation when it builds a command)."""
    sub = module_app(module, also)
    one = typer.Typer()
    one.registered_commands = [
        c
        for c in sub.registered_commands
        if (c.name or typer.main.get_command_name(getattr(c.callback, "__name__", ""))) == name
    ]
    one.registered_groups = [g for g in sub.registered_groups if g.name == name]
    return typer.main.get_group(one).commands.get(name)


def _current_context() -> Any:
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - Typer on the click package
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context()


def with_subcommands(command: Any, group: TyperGroup) -> TyperGroup:
    """``command`` when run alone, ``group``'s subcommands after its name (its options before them)."""

    def callback(**params: Any) -> Any:
        if _current_context().invoked_subcommand is None:
            return command.callback(**params)
        return None

    return TyperGroup(
        name=command.name,
        commands=dict(group.commands),
        params=command.params,
        callback=callback,
        help=command.help,
        invoke_without_command=True,
    )


class LazyGroup(TyperGroup):
    """A Typer group that lists :data:`COMMANDS` without importing them and imports one when used."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.listing = False
        for name, (_, help_text) in COMMANDS.items():  # placeholders, for listing and suggestions
            self.commands.setdefault(name, typer.core.TyperCommand(name, help=help_text))
        self.loaded: set[str] = set()

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS and cmd_name not in self.loaded and not self.listing:
            command = build_command(COMMANDS[cmd_name][0], cmd_name, ALSO_IMPORT.get(cmd_name, ()))
            if command is None:  # the table names a command its module no longer registers
                return None
            if cmd_name in SUBCOMMANDS_FROM:
                command = with_subcommands(command, build_command(SUBCOMMANDS_FROM[cmd_name], cmd_name))
            self.commands[cmd_name] = command
            self.loaded.add(cmd_name)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True  # the help lists the placeholders: no command module imported
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="openiru",
    help="OpenIRU: collect, detect, analyse, refer and report terrorist content across platforms.",
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    pass


def _click_exceptions() -> Any:
    """click's exception classes as Typer raises them: its bundled copy, or click itself (older Typer)."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - Typer before it bundled click
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _usage_error(exc: Any) -> None:
    """click's usage-error report without its blank line: usage, help hint, error (at most 3 lines)."""
    ctx = exc.ctx
    if ctx is not None:
        sys.stderr.write(_one_line(ctx.get_usage()) + "\n")
        if ctx.command.get_help_option(ctx) is not None:
            sys.stderr.write(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.\n")
    sys.stderr.write(f"Error: {_one_line(exc.format_message())}\n")


def main() -> None:
    exceptions = _click_exceptions()
    try:
        rc = app(standalone_mode=False, prog_name="openiru")
    except OpenIRUError as exc:
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        sys.exit(exc.exit_code)
    except getattr(exceptions, "NoArgsIsHelpError", ()) as exc:  # a group run without a command: its help
        exc.show()
        sys.exit(exc.exit_code)
    except exceptions.UsageError as exc:
        _usage_error(exc)
        sys.exit(exc.exit_code)
    except exceptions.ClickException as exc:
        sys.stderr.write(f"Error: {_one_line(exc.format_message())}\n")
        sys.exit(exc.exit_code)
    except typer.Abort:  # Ctrl-C, or a prompt ended
        sys.exit(130)
    if isinstance(rc, int) and rc:
        sys.exit(rc)
