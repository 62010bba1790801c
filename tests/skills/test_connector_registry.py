"""A connector in another package works after `pip install`: entry points, not lists here."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.errors import ConfigError
from skills.backends import choices
from skills.builtin import builtin_skills
from skills.connectors.registry import discover

MODULE = """
from skills.connectors.base import Connector
from skills.connectors.config import ConnectorSettings
from skills.ports import OnCall


class RotaSettings(ConnectorSettings):
    team: str


class Rota(Connector):
    title = "Acme Rota"
    settings_model = RotaSettings
    ports = (OnCall,)

    async def who(self, service):
        return ["someone"]


class NoPorts(Connector):
    title = "broken"
"""


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme_rota.py").write_text(MODULE)
    info = tmp_path / "acme_rota-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rota\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[chatops.connectors]\nacme_rota = acme_rota:Rota\nbroken = acme_rota:NoPorts\n"
        "missing = acme_rota:Nothing\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_third_party_connector_becomes_a_backend_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _install(tmp_path, monkeypatch)
    found = discover()
    assert found["acme_rota"].title == "Acme Rota"
    assert "broken" not in found and "missing" not in found
    assert "has no settings_model" in caplog.text and "could not be loaded" in caplog.text
    assert "acme_rota" in choices()["oncall.who"]
    assert "acme_rota" not in choices()["deploy"]
    skills = builtin_skills(
        {"oncall.who": "acme_rota"}, {"acme_rota": {"base_url": "https://r", "team": "t"}}
    )
    assert any(s.spec.name == "oncall.who" for s in skills)
    with pytest.raises(ConfigError, match=r"connectors\.acme_rota\.team"):
        builtin_skills({"oncall.who": "acme_rota"}, {"acme_rota": {"base_url": "https://r"}})
    with pytest.raises(ConfigError, match="unknown back end 'acme_rota'"):
        builtin_skills({"deploy": "acme_rota"}, {})
