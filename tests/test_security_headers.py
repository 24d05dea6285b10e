"""Security headers, cookie flags, body size limits, the error shape, and safe media serving."""

from __future__ import annotations

import hashlib
import io
from http.cookies import SimpleCookie

import sqlalchemy as sa
from PIL import Image

from openiru.api.settings import ApiSettings
from openiru.services.collect.media import MediaStore
from openiru.store import schema
from test_api_support import make_world


def _csp(res) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out = {}
    for part in res.headers["content-security-policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def test_headers_on_api_pages_static_and_errors(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    client = world.client()
    for path in ("/login", "/openapi.json", "/static/console.js", "/api/v1/posts", "/no/such/path"):
        res = client.get(path)
        csp = _csp(res)
        assert "'unsafe-inline'" not in res.headers["content-security-policy"], path
        assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'", path
        assert csp["object-src"] == "'none'" and csp["default-src"] == "'self'", path
        assert res.headers["x-content-type-options"] == "nosniff", path
        assert res.headers["x-frame-options"] == "DENY", path
        assert res.headers["referrer-policy"] == "no-referrer", path
    assert client.get("/api/v1/posts").headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_or_style(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    html = world.client().get("/login").text
    assert '<script src="/static/' in html
    assert "<script>" not in html and " onclick=" not in html and "style=" not in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN


def test_session_cookie_is_secure_httponly_samesite(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine, passwords=("analyst",))
    res = world.client().post(
        "/api/v1/auth/login", json={"name": "analyst", "password": "correct horse battery staple"}
    )
    assert res.status_code == 200
    header = res.headers["set-cookie"]
    cookie = SimpleCookie()
    cookie.load(header)
    morsel = cookie["openiru_session"]
    assert morsel["secure"] and morsel["httponly"]
    assert morsel["samesite"].lower() == "strict" and morsel["path"] == "/"


def test_error_shape_is_uniform(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    client = world.client("admin")
    cases = [
        (client.get("/api/v1/posts/x/999"), 404, "not_found"),
        (client.get("/api/v1/posts?limit=0"), 422, "validation_error"),
        (client.get("/api/v1/posts?cursor=%%%"), 400, "bad_cursor"),
        (world.client().get("/api/v1/posts"), 401, "unauthorized"),
        (world.client("provider").get("/api/v1/posts"), 403, "forbidden"),
        (client.post("/api/v1/users", json={"name": "admin", "role": "admin"}), 400, "bad_request"),
        (client.put("/api/v1/posts"), 405, "method_not_allowed"),
    ]
    for res, status, code in cases:
        assert res.status_code == status, res.text
        body = res.json()
        assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_request_size_limit(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine, settings=ApiSettings(max_body=2048, max_upload=4096))
    client = world.client("admin")
    res = client.post("/api/v1/users", json={"name": "x", "role": "analyst", "agency": "a" * 5000})
    assert res.status_code == 413 and res.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(10):
            yield b"x" * 1000

    res = client.post("/api/v1/users", content=chunks(), headers={"content-type": "application/json"})
    assert res.status_code == 413
    res = client.post("/api/v1/ingest", files={"file": ("big.jsonl", b"{}\n" * 3000, "application/json")})
    assert res.status_code == 413


def test_media_never_served_with_an_executable_type(sqlite_engine: sa.Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = make_world(sqlite_engine)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, format="PNG")
    files = {
        "png": (buf.getvalue(), "image/png"),
        "html": (b"<html><script>alert(1)</script></html>", "text/html"),
        "svg": (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml"),
        "js": (b"alert(1)", "application/javascript"),
        "fake_jpeg_html": (b"<html>not a jpeg</html>", "image/jpeg"),
    }
    with sqlite_engine.begin() as conn:
        for name, (data, mime) in files.items():
            path = tmp_path / f"{name}.{mime.split('/')[1]}"
            path.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            assert MediaStore().put(path, digest)  # media is served from the store only
            conn.execute(
                sa.insert(schema.media).values(
                    media_key=f"ref:{name}", mime=mime, path=str(path), sha256=digest, missing=False
                )
            )
    client = world.client("analyst")
    res = client.get("/api/v1/media/ref:png")
    assert res.status_code == 200 and res.headers["content-type"] == "image/png"
    assert res.headers["x-content-type-options"] == "nosniff"
    for name in ("html", "svg", "js", "fake_jpeg_html"):
        res = client.get(f"/api/v1/media/ref:{name}")
        assert res.status_code == 200
        assert res.headers["content-type"] == "application/octet-stream", name
        assert res.headers["content-disposition"].startswith("attachment"), name
