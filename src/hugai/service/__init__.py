"""The HugAI web service: a web page and a versioned HTTP API over ``hugai.make_hug``.

It lives apart from the engine and only calls its public function. One process by default
(SQLite, local files, an in-process render pool); with ``HUGAI_REDIS_URL`` set, renders go
through Celery to any number of ``hugai worker`` processes. The same code runs both ways:

    request ─► api (thin routes) ─► jobs (database rows) ─► queue ─► runner ─► make_hug
                                                             │
                                         local pool or Celery ┘

The database row is the truth about a job: a worker *claims* a queued job with a lease it keeps
renewing; a job whose lease runs out (its worker died) is requeued or failed by the reaper, so an
accepted job is never lost and never left "running".
"""
