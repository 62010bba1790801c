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
    console.client.app.state.runtime.settings  # noqa: B018
    broken = _manifest().replace('risk = "low"', 'risk = "extreme"')
    refused = console.post("/skills/new/add", manifest=broken, format="toml", enable="on")
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and "manifest-error" in refused.text
    assert "risk (line" in refused.text
    assert "extreme" in refused.text  # what was typed stays in the form
    assert console.audit("console.add")[-1]["outcome"] == "failed"


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
