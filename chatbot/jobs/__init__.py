"""Background work as jobs on an existing engine: one set of job functions, two dispatchers.

    embedded (default; SQLite, one process)      procrastinate (PostgreSQL, any number)
    ----------------------------------------     ---------------------------------------
    chatops serve                                chatops serve  x N      chatops worker x M
      request -> action runs in the reply          request -> enqueue     runs every job
      APScheduler thread: expiry (persisted),      (procrastinate_jobs   (claims each with
      sweep, revocation, checkpoints               table in PostgreSQL)  SELECT .. SKIP LOCKED)

`registry.JOBS` is the one list of jobs; `functions` holds what they do; `embedded` and
`queue` only decide where and when a job runs; `port` is what the conversation side sees.
Exactly once is the action table's business, not the engine's: a job starts an action only
through a conditional state move (`queued -> running`), so a job delivered twice, or run by
two workers, starts it once. A worker that dies mid-run leaves the action `running` under a
lease that lapses; the sweep job then marks it `interrupted` and tells people. Nothing re-runs
it. (This module imports nothing, so governance can import `port` without a cycle.)
"""
