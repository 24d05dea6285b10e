"""Path-confinement contract: no importer reads a file from outside the export's folder.

Every registered source (entry points ``openiru.sources``) is given an export in its own
format that names ``/etc/passwd``, ``../../../etc/hostname``, a symbolic link out of the
folder, ``/proc/self/environ``, ``/etc/shadow``, a FIFO and a device.  The records are still
imported; none of those files is opened, hashed or stored, and the sources that read files
report a problem naming the record.  A new source must add its builder to ``BUILDERS``.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import mimetypes
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from openiru.model import Post
from openiru.plugins import load_group
from openiru.sources.base import Problem
from openiru.sources.paths import PathRefused, confine, open_confined

SYSTEM = [
    "/etc/passwd",
    "/etc/shadow",
    "/proc/self/environ",
    "/dev/zero",
    "../../../etc/hostname",
    "../../../../../../../../etc/hostname",
]
#: Sources whose media paths are read from the export (each refused one is a problem).
READERS = {"generic", "telegram", "activitypub", "zeronet"}


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, list[str], Path]:
    """An export folder with hostile neighbours: a secret outside, links out, a FIFO."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("OPENIRU_SECRET_KEY=not-for-providers\n")
    folder = tmp_path / "export"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    (folder / "link_out").symlink_to(secret)
    (folder / "media" / "dir_link").symlink_to(outside, target_is_directory=True)
    (folder / "proc_link").symlink_to("/proc/self/environ")
    os.mkfifo(folder / "media" / "pipe")
    refs = [
        *SYSTEM,
        "link_out",
        "media/dir_link/secret.txt",
        "proc_link",
        "media/pipe",
        str(secret),
        "media/../../outside/secret.txt",
    ]
    return folder, refs, secret


def _forbidden(secret: Path) -> set[str]:
    digests = set()
    for name in ("/etc/passwd", "/etc/hostname", "/proc/self/environ", str(secret)):
        try:
            digests.add(hashlib.sha256(Path(name).read_bytes()).hexdigest())
        except OSError:
            pass
    return digests


# -- one export per format, naming every hostile path -------------------------------------


def _generic(folder: Path, refs: list[str]) -> Path:
    path = folder / "posts.csv"
    rows = [
        "platform,post_id,account_id,timestamp,text,media_files",
        "forum,1,alice,2026-01-01T00:00:00Z,fine,media/ok.png",
    ]
    rows += [f"forum,{n},alice,2026-01-01T00:00:00Z,row {n},{ref}" for n, ref in enumerate(refs, 2)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _telegram(folder: Path, refs: list[str]) -> Path:
    messages = [
        {
            "id": n,
            "type": "message",
            "date": "2026-01-01T00:00:00",
            "date_unixtime": "1767225600",
            "from": "Channel",
            "from_id": "channel77",
            "text": f"message {n}",
            ("photo" if n % 2 else "file"): ref,
        }
        for n, ref in enumerate(["media/ok.png", *refs], 1)
    ]
    (folder / "result.json").write_text(
        json.dumps({"name": "Channel", "type": "public_channel", "id": 77, "messages": messages})
    )
    return folder


def _activitypub(folder: Path, refs: list[str]) -> Path:
    def note(n: int, ref: str) -> dict[str, Any]:
        return {
            "id": f"https://fed.example/a/{n}",
            "type": "Create",
            "actor": "https://fed.example/users/q",
            "published": "2026-01-01T00:00:00Z",
            "object": {
                "id": f"https://fed.example/n/{n}",
                "type": "Note",
                "content": f"<p>note {n}</p>",
                "published": "2026-01-01T00:00:00Z",
                "attributedTo": "https://fed.example/users/q",
                "attachment": [{"type": "Document", "mediaType": "image/png", "url": ref}],
            },
        }

    items = [note(n, ref) for n, ref in enumerate(["/media/ok.png", *refs], 1)]
    (folder / "outbox.json").write_text(
        json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": "outbox.json",
                "type": "OrderedCollection",
                "totalItems": len(items),
                "orderedItems": items,
            }
        )
    )
    return folder


def _zeronet(folder: Path, refs: list[str]) -> Path:
    site = "1PathSitePLaceho1derAddressXyz"
    (folder / "data").mkdir()
    files = {"data/data.json": {"size": 1}, "data/../../outside/secret.json": {"size": 1}}
    (folder / "content.json").write_text(
        json.dumps(
            {
                "address": site,
                "files": files,
                "inner_path": "content.json",
                "signs": {site: "x"},
                "title": "Paths",
            }
        )
    )
    posts = [
        {"post_id": n, "title": f"post {n}", "date_published": 1767225600 + n, "body": f"![img]({ref})"}
        for n, ref in enumerate(["media/ok.png", *refs], 1)
    ]
    (folder / "data" / "data.json").write_text(json.dumps({"title": "Paths", "post": posts}))
    return folder


def _mastodon(folder: Path, refs: list[str]) -> Path:
    lines = [
        {
            "id": str(n),
            "created_at": "2026-01-01T00:00:00Z",
            "content": f"<p>status {n}</p>",
            "uri": f"https://m.example/s/{n}",
            "url": f"https://m.example/@a/{n}",
            "account": {"id": "1", "username": "a", "acct": "a", "avatar": ref},
            "media_attachments": [{"id": str(n), "type": "image", "url": ref, "preview_url": ref}],
        }
        for n, ref in enumerate(refs, 1)
    ]
    path = folder / "statuses.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def _rocketchat(folder: Path, refs: list[str]) -> Path:
    lines = [
        {
            "_id": f"M{n:04d}",
            "rid": "ROOM1",
            "msg": f"message {n}",
            "ts": {"$date": 1767225600000 + n},
            "u": {"_id": "U1", "username": "relay"},
            "file": {"_id": ref, "name": ref, "type": "image/png"},
            "attachments": [{"title_link": ref, "image_url": ref}],
        }
        for n, ref in enumerate(refs, 1)
    ]
    path = folder / "messages.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def _twarc2(folder: Path, refs: list[str]) -> Path:
    lines = [
        {
            "id": str(1000 + n),
            "text": f"tweet {n}",
            "author_id": "9",
            "created_at": "2026-01-01T00:00:00.000Z",
            "attachments": {
                "media_keys": [f"3_{n}"],
                "media": [{"media_key": f"3_{n}", "type": "photo", "url": ref, "preview_image_url": ref}],
            },
            "author": {"id": "9", "username": "a", "name": "A", "profile_image_url": ref},
        }
        for n, ref in enumerate(refs, 1)
    ]
    path = folder / "tweets.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


BUILDERS: dict[str, Callable[[Path, list[str]], Path]] = {
    "generic": _generic,
    "telegram": _telegram,
    "activitypub": _activitypub,
    "zeronet": _zeronet,
    "mastodon": _mastodon,
    "rocketchat": _rocketchat,
    "twarc2": _twarc2,
}


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every file opened while the source reads, as a real path (``dir_fd`` opens resolved)."""
    mimetypes.init()  # the system's mime.types are read here, not during the import
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | bytes | os.PathLike):
            seen.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        base = os.readlink(f"/proc/self/fd/{dir_fd}") if dir_fd is not None else ""
        seen.append(os.path.realpath(os.path.join(base, os.fsdecode(path))))
        return real_os_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)  # what pathlib's Path.open calls
    monkeypatch.setattr(os, "open", spy_os_open)
    yield seen


def test_every_registered_source_has_a_hostile_export() -> None:
    missing = set(load_group("openiru.sources")) - set(BUILDERS)
    assert not missing, f"add a path-confinement export for {sorted(missing)} to BUILDERS"


@pytest.mark.parametrize("name", sorted(load_group("openiru.sources")))
def test_no_source_reads_a_file_outside_its_export(
    name: str, export: tuple[Path, list[str], Path], opened: list[str]
) -> None:
    folder, refs, secret = export
    source_cls = load_group("openiru.sources")[name]
    path = BUILDERS[name](folder, refs)
    records = list(source_cls(path).records())
    root = os.path.realpath(folder)
    outside = [
        p
        for p in opened
        if not p.startswith(root + os.sep)
        and p != root
        and (p.startswith(("/etc", "/proc", "/dev", "/sys")) or p.startswith(str(secret.parent)))
    ]
    assert not outside, f"{name} opened files outside the export: {outside}"
    assert any(p.startswith(root + os.sep) for p in opened), "the spy saw the export itself being read"
    posts = [r for r in records if isinstance(r, Post)]
    media = [m for p in posts for m in p.media]
    forbidden = _forbidden(secret)
    assert not [m for m in media if m.sha256 in forbidden], "a file from outside the export was hashed"
    for m in media:
        if m.sha256:  # only files inside the export were read
            assert os.path.realpath(m.path or "").startswith(root + os.sep), m
    if name in READERS:
        expected = len(refs) + 1  # every record is imported, with or without its media
        assert len(posts) == expected, [str(r) for r in records if isinstance(r, Problem)]
        assert any(
            m.sha256 == hashlib.sha256((folder / "media" / "ok.png").read_bytes()).hexdigest() for m in media
        ), "the file inside the export was not hashed"
        refused = [r for r in records if isinstance(r, Problem) and "path refused" in r.reason]
        # every hostile reference except those the format reads as archive-root paths ("/etc/passwd"
        # in an ActivityPub or ZeroNet export means <root>/etc/passwd, absent) is reported
        rooted = sum(ref.startswith("/") for ref in refs) if name in ("activitypub", "zeronet") else 0
        assert len(refused) == len(refs) - rooted, [str(r) for r in records if isinstance(r, Problem)]
        assert all(r.file and r.location for r in refused)


@pytest.mark.parametrize(
    "reference, reason",
    [
        ("/etc/passwd", "absolute"),
        ("../x", "'..'"),
        ("a/../../x", "'..'"),
        ("C:\\Windows\\x", "absolute"),
        ("\\\\server\\share", "absolute"),
        ("a\0b", "NUL"),
        ("", "empty"),
        ("link_out", "out of the export"),
        ("proc_link", "out of the export"),
        ("media/pipe", "FIFO"),
        ("media", "directory"),
    ],
)
def test_confine_names_the_reason(export: tuple[Path, list[str], Path], reference: str, reason: str) -> None:
    folder = export[0]
    with pytest.raises(PathRefused, match=reason):
        confine(folder, reference)


def test_confine_keeps_links_inside_and_the_boundary(
    export: tuple[Path, list[str], Path], tmp_path: Path
) -> None:
    folder = export[0]
    (folder / "inner_link").symlink_to(folder / "media" / "ok.png")
    assert confine(folder, "inner_link") == (folder / "media" / "ok.png").resolve()
    assert confine(folder, "media/absent.png") == (folder / "media" / "absent.png").resolve()
    with pytest.raises(PathRefused, match="upload folder"):
        confine(folder, "media/ok.png", boundary=tmp_path / "elsewhere")


def test_a_link_swapped_in_after_the_check_is_not_followed(
    export: tuple[Path, list[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the name checks out, then becomes a link out before it is opened."""
    folder, _refs, secret = export
    import openiru.sources.paths as paths

    real_confine = paths.confine

    def confine_then_swap(root: Any, reference: str, **kw: Any) -> Path:
        target = real_confine(root, reference, **kw)
        target.unlink()
        target.symlink_to(secret)
        return target

    monkeypatch.setattr(paths, "confine", confine_then_swap)
    with pytest.raises(PathRefused, match="symbolic link"):
        open_confined(folder, "media/ok.png")
