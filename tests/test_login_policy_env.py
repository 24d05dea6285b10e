"""OPENIRU_LOGIN_PER_MINUTE sets the per-address login rate limit of the web application."""

from __future__ import annotations

import pytest

from openiru.api.settings import ApiSettings
from openiru.services.access.auth import DEFAULT_POLICY


def test_default_rate_limit_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENIRU_LOGIN_PER_MINUTE", raising=False)
    assert ApiSettings().login_policy.per_remote == DEFAULT_POLICY.per_remote == 20


def test_variable_raises_the_rate_limit_and_keeps_the_lockout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENIRU_LOGIN_PER_MINUTE", "250")
    policy = ApiSettings().login_policy
    assert policy.per_remote == 250
    assert policy.max_failures == DEFAULT_POLICY.max_failures and policy.lockout == DEFAULT_POLICY.lockout


@pytest.mark.parametrize("raw", ["many", "0", "-3"])
def test_bad_values_are_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("OPENIRU_LOGIN_PER_MINUTE", raw)
    with pytest.raises(ValueError, match="OPENIRU_LOGIN_PER_MINUTE"):
        ApiSettings()
