"""The job functions and their engines, in one process: a queued action starts once however
often its job is delivered, a lost job is handed over again, and the commands that run and
prepare the engine say clearly what they need."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from procrastinate.jobs import Status
from sqlalchemy import text

from chatbot.cli import main
from chatbot.config import JobSettings, Settings
from chatbot.governance import outbox
from chatbot.jobs import functions
from chatbot.jobs.queue import QueueEngine, cron
from chatbot.jobs.registry import JOBS, JobContext
from chatbot.store.tables import Action
from chatbot.testing import Chat, chat_harness
from intents import Understander


def queued_settings(settings: Settings) -> Settings:
    jobs = JobSettings(engine="procrastinate", sweep_seconds=1)
    return settings.model_copy(update={"jobs": jobs})


@pytest.fixture
def pg_url(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        pytest.skip("the procrastinate engine needs PostgreSQL")
    return database_url


async def state_of(chat: Chat, action_id: int) -> Action:
    async with chat.runtime.store.transaction() as tx:
        action = await tx.get(Action, action_id, populate_existing=True)
        assert action is not None
        return action


async def queued_action(chat: Chat) -> int:
    asked = await chat.say("bob", "deploy web 5.2.0 to dev")
    answer = await chat.click("bob", asked, "Confirm")
    assert "on its way" in answer[0].text
    action_id = answer[0].action_id or 0
    assert (await state_of(chat, action_id)).state == "queued"
    return action_id


async def test_a_queued_action_starts_once_however_often_its_job_runs(
    settings: Settings, pg_url: str, understander: Understander
) -> None:
    async with chat_harness(queued_settings(settings), pg_url, understander) as chat:
        action_id = await queued_action(chat)
        ctx = JobContext(chat.runtime)
        outcomes = await asyncio.gather(*(functions.start_action(ctx, action_id) for _ in range(5)))
        assert sorted(outcomes).count("ran") == 1, outcomes
        action = await state_of(chat, action_id)
        assert action.state == "succeeded" and action.runner
        async with chat.runtime.store.transaction() as tx:
            notes = await outbox.pending(tx, "bob")
        told = [n.text for n in notes if n.action_id == action_id]
        assert len(told) == 1 and told[0].startswith(f"Request #{action_id} ("), told
        assert "Deployed web 5.2.0 to dev" in told[0]
        assert await functions.start_action(ctx, action_id) == "not queued"


async def test_one_waiting_job_per_action_and_the_sweep_hands_a_lost_one_over(
    settings: Settings, pg_url: str, understander: Understander
) -> None:
    async with chat_harness(queued_settings(settings), pg_url, understander) as chat:
        action_id = await queued_action(chat)
        engine = chat.runtime.jobs
        assert isinstance(engine, QueueEngine)

        async def waiting_jobs() -> int:
            async with chat.runtime.store.transaction() as tx:
                found = await tx.exec(  # type: ignore[call-overload]
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = "
                        "'action.start' AND status = 'todo' AND args->>'action_id' = :id"
                    ).bindparams(id=str(action_id))
                )
                return int(found.scalar_one())

        assert await waiting_jobs() == 1
        await engine.enqueue("action.start", action_id=action_id)  # handed over again
        assert await waiting_jobs() == 1
        async with chat.runtime.store.transaction() as tx:  # the job got lost
            await tx.exec(text("DELETE FROM procrastinate_jobs"))  # type: ignore[call-overload]
        await asyncio.sleep(1.1)  # older than jobs.sweep_seconds
        await functions.sweep(JobContext(chat.runtime))
        assert await waiting_jobs() == 1


async def test_a_job_whose_worker_died_is_failed_not_retried(
    settings: Settings, pg_url: str, understander: Understander
) -> None:
    async with chat_harness(queued_settings(settings), pg_url, understander) as chat:
        action_id = await queued_action(chat)
        engine = chat.runtime.jobs
        assert isinstance(engine, QueueEngine)
        manager = engine.app.job_manager
        worker = await manager.register_worker()
        job = await manager.fetch_job([engine.queue], worker)  # a worker took it ...
        assert job is not None and job.id is not None
        assert await manager.get_job_status_async(job.id) is Status.DOING
        await functions.sweep(JobContext(chat.runtime))
        assert await manager.get_job_status_async(job.id) is Status.DOING  # ... alive: kept
        await manager.unregister_worker(worker)  # ... and died (its row pruned)
        await functions.sweep(JobContext(chat.runtime))
        assert await manager.get_job_status_async(job.id) is Status.FAILED
        assert (await state_of(chat, action_id)).state == "queued"  # it never started


async def test_expiry_is_a_job_scheduled_at_the_request_s_time(
    settings: Settings, pg_url: str, understander: Understander
) -> None:
    async with chat_harness(queued_settings(settings), pg_url, understander) as chat:
        asked = await chat.say("carol", "deploy payments-api 2.3.1 to prod")
        sent = await chat.click("carol", asked, "Send for approval")
        action_id = sent[0].action_id or 0
        action = await state_of(chat, action_id)
        assert action.state == "awaiting_approval" and action.expires_at is not None
        async with chat.runtime.store.transaction() as tx:
            found = await tx.exec(  # type: ignore[call-overload]
                text(
                    "SELECT scheduled_at FROM procrastinate_jobs WHERE task_name = "
                    "'request.expire' AND status = 'todo' AND args->>'action_id' = :id"
                ).bindparams(id=str(action_id))
            )
            (when,) = found.scalars().all()
        assert abs((when - action.expires_at).total_seconds()) < 1
        ctx = JobContext(chat.runtime)
        assert await functions.expire_request(ctx, action_id) is True  # the job, at its time
        assert await functions.expire_request(ctx, action_id) is False  # delivered again
        assert (await state_of(chat, action_id)).state == "expired"


async def test_the_embedded_engine_runs_actions_in_the_reply(chat: Chat) -> None:
    asked = await chat.say("bob", "deploy web 5.2.0 to dev")
    done = await chat.click("bob", asked, "Confirm")
    assert "Deployed web 5.2.0 to dev" in done[0].text
    assert (await state_of(chat, done[0].action_id or 0)).state == "succeeded"


def test_every_job_has_a_unique_name_and_periodic_ones_a_period(settings: Settings) -> None:
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))
    assert {"action.start", "request.expire", "access.revoke_due", "actions.sweep"} <= set(names)
    for job in JOBS:
        if job.every is not None:
            assert job.every(settings) >= 1


def test_cron_lines() -> None:
    assert cron(1) == "* * * * * */1"
    assert cron(30) == "* * * * * */30"
    assert cron(120) == "*/2 * * * *"


def test_worker_refuses_the_embedded_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert "jobs.engine" in err and "procrastinate" in err and "Traceback" not in err


def test_the_job_queue_refuses_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_JOBS__ENGINE", "procrastinate")
    assert main(["say", "--as", "alice", "help"]) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err


def test_migrate_is_idempotent_and_creates_the_job_tables(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHATOPS_DATABASE_URL", database_url)
    postgres = not database_url.startswith("sqlite")
    if postgres:
        monkeypatch.setenv("CHATOPS_JOBS__ENGINE", "procrastinate")
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    from sqlalchemy import create_engine, inspect

    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "actions" in tables
    assert ("procrastinate_jobs" in tables) is postgres


def test_migrate_says_when_the_database_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHATOPS_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["migrate"]) in (2, 3)
    err = capsys.readouterr().err
    assert "cannot use the database" in err and "Traceback" not in err
