"""Skills in the console: add a manifest (problems at the manifest), enable/disable, restore,
and the test box (parse and dry run)."""

from __future__ import annotations

from pathlib import Path

from tests.console.conftest import ConsoleClient

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "cache-flush.toml"


def _manifest(examples: int = 8) -> str:
    text = EXAMPLE.read_text("utf-8")
    if examples < 8:
        head, _, tail = text.partition("examples = [")
        kept = tail.split("\n")[:examples]
        text = head + "examples = [" + "\n".join(kept) + "\n]" + tail.partition("]")[2]
    return text


def test_a_manifest_with_a_problem_is_shown_at_its_field_then_fixed(
    console: ConsoleClient, tmp_path: Path
) -> None:
    broken = _manifest().replace('risk = "low"', 'risk = "extreme"')
    refused = console.post("/skills/new/add", manifest=broken, format="toml", enable="on")
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and "manifest-error" in refused.text
    assert "risk (line" in refused.text
    assert "extreme" in refused.text  # what was typed stays in the form
    assert console.audit("console.add")[-1]["outcome"] == "failed"
    added = console.post("/skills/new/add", manifest=_manifest(), format="toml")
    assert added.status_code == 303
    assert added.headers["location"].startswith("/console/skills/cache.flush")
    shown = console.client.get(added.headers["location"])
    assert 'id="state">disabled' in shown.text and "Restore version" not in shown.text
    enabled = console.post("/skills/cache.flush/enable")
    assert 'id="state">active' in enabled.text
    assert console.audit("skill.added")[-1]["channel"] == "console"
    assert [e["outcome"] for e in console.audit("console.add")] == ["failed", "ok"]
    tried = console.post("/skills/test", utterance="flush the cache of checkout in staging")
    assert "cache.flush" in tried.text


def test_draft_manifests_arrive_prefilled(console: ConsoleClient) -> None:
    by_query = console.get("/skills/new", draft='name = "printer.fix"')
    assert "printer.fix" in by_query.text
    by_post = console.post("/skills/new", draft='name = "badge.reset"')
    assert by_post.status_code == 200 and "badge.reset" in by_post.text
    assert console.get("/skills/new", as_="frank").status_code == 200


def test_builtin_skills_can_be_disabled_and_enabled_again(console: ConsoleClient) -> None:
    off = console.post("/skills/kb.search/disable")
    assert off.status_code == 200 and "disabled" in off.text
    again = console.post("/skills/kb.search/disable")
    assert again.status_code == 409 and "already disabled" in again.text
    on = console.post("/skills/kb.search/enable")
    assert on.status_code == 200 and "enabled" in on.text
    events = [e["outcome"] for e in console.audit("console.disable")]
    assert events == ["ok", "failed"]
    assert console.audit("skill.disabled")[-1]["actor"] == "dave"


def test_the_test_box_parses_and_dry_runs(console: ConsoleClient) -> None:
    tried = console.post("/skills/test", utterance="restart checkout in staging")
    assert tried.status_code == 200
    assert "service.restart" in tried.text and "checkout" in tried.text
    assert "Dry run" in tried.text
    nothing = console.post("/skills/test", utterance="what is the meaning of life")
    assert "nothing would run" in nothing.text or "Understood" in nothing.text
    empty = console.post("/skills/test", utterance="")
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text


def test_listing_and_a_missing_skill(console: ConsoleClient) -> None:
    listing = console.get("/skills")
    assert "vpn.reset" in listing.text and "Disable vpn.reset" in listing.text
    read_only = console.get("/skills", as_="frank")
    assert "Disable vpn.reset" not in read_only.text
    missing = console.get("/skills/no.such")
    assert missing.status_code == 404 and "There is no skill" in missing.text
    shown = console.get("/skills/vpn.reset")
    assert shown.status_code == 200 and "Examples" in shown.text


def test_versions_and_restore(console: ConsoleClient) -> None:
    first = _manifest()
    second = first.replace("Purge the CDN cache", "Empty the CDN cache")
    assert console.post("/skills/new/add", manifest=first, enable="on").status_code == 303
    assert console.post("/skills/new/add", manifest=second, enable="on").status_code == 303
    shown = console.get("/skills/cache.flush")
    assert "2 (running)" in shown.text and "Restore version 1" in shown.text
    assert "Empty the CDN cache" in shown.text
    restored = console.post("/skills/cache.flush/restore", version="1")
    assert restored.status_code == 200 and "restored (version 3)" in restored.text
    assert "3 (running)" in restored.text and "Purge the CDN cache" in restored.text
    missing = console.post("/skills/cache.flush/restore", version="9")
    assert missing.status_code == 409 and "no version 9" in missing.text
    nonsense = console.post("/skills/cache.flush/restore", version="first")
    assert nonsense.status_code == 400 and "Pick the version" in nonsense.text
