"""The contract layer itself: it must reject what the vendor would, or it proves nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes import contracts
from tests.fakes.contracts import Contract, example
from tests.fakes.vendors import vendor_for

GITHUB = Contract("github", "https://api.github.com")
RUNS = "https://api.github.com/repos/acme/deploys/actions/workflows/deploy.yml/runs"


def test_a_request_with_a_wrong_type_is_rejected() -> None:
    GITHUB.check_request(httpx.Request("GET", RUNS, params={"per_page": "10"}))
    with pytest.raises(AssertionError, match="per_page"):
        GITHUB.check_request(httpx.Request("GET", RUNS, params={"per_page": "ten"}))


def test_a_body_missing_a_required_field_is_rejected() -> None:
    url = RUNS.replace("/runs", "/dispatches")
    with pytest.raises(AssertionError, match="ref"):
        GITHUB.check_request(httpx.Request("POST", url, json={"inputs": {}}))


def test_an_answer_missing_a_required_field_is_rejected() -> None:
    request = httpx.Request("GET", RUNS)
    whole = example("github", "workflow-run", id=1)
    GITHUB.check_response(
        request, httpx.Response(200, json={"total_count": 1, "workflow_runs": [whole]})
    )
    partial = {"id": 1, "status": "completed"}
    with pytest.raises(AssertionError, match="breaks the contract"):
        GITHUB.check_response(
            request, httpx.Response(200, json={"total_count": 1, "workflow_runs": [partial]})
        )


def test_a_host_without_a_contract_fails_the_test() -> None:
    with pytest.raises(AssertionError, match=r"no vendor contract for unknown\.example\.org"):
        vendor_for(httpx.Request("GET", "https://unknown.example.org/x"))


def test_servicenow_reference_written_as_an_email_is_caught() -> None:
    bad = httpx.Request(
        "POST",
        "https://acme.service-now.com/api/now/table/incident",
        json={"caller_id": "alice@example.com"},
    )
    with pytest.raises(AssertionError, match="reference field"):
        vendor_for(bad).check_request(bad)


def test_missing_contracts_folder_says_where_it_was_expected(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv(contracts.ENV, str(tmp_path))
    with pytest.raises(AssertionError, match="holds no vendor contracts"):
        contracts.contracts_dir()
