"""The task queue's worker process: `dramatiq examples.production.worker` (REDIS_URL set).

Dramatiq imports this module, finds the broker it set, and runs the actors declared on it in
worker processes and threads of its own (`--processes`, `--threads`). Without REDIS_URL there
is nothing to do here: the API then runs its jobs in-process.
"""

import dramatiq

from examples.production.config import Settings
from examples.production.tasks import declare_report_actor, make_broker

settings = Settings.from_environment()
if settings.redis_url is None:
    raise SystemExit("the worker process needs REDIS_URL; without it the API runs jobs itself")
broker = make_broker(settings)
dramatiq.set_broker(broker)
build_report = declare_report_actor(broker, settings)
