"""One log line per request and per task, each tagged with an id that follows its work.

The id comes from a proxy's `X-Request-ID` when it is a sane token, otherwise a new one; it goes
back in the response header, so a user's report can be matched to the log. Every log record made
while the request (or task) runs carries it as `%(request_id)s`.
"""

import contextvars
import logging
import re
import sys
import time
import uuid

from django.tasks import TaskResultStatus
from django.tasks.signals import task_finished, task_started

logger = logging.getLogger("site_config.requests")
task_logger = logging.getLogger("site_config.tasks")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def request_id_new() -> str:
    return uuid.uuid4().hex[:16]


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _SANE_ID.fullmatch(offered) else request_id_new()
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.get_full_path()[:200],
                status,
                elapsed_ms,
            )
            current_request_id.reset(token)


_task_started_at: contextvars.ContextVar[float] = contextvars.ContextVar(
    "task_started_at", default=0.0
)


def _on_task_started(sender, task_result, **kwargs) -> None:
    current_request_id.set(f"task-{str(task_result.id)[:8]}")
    _task_started_at.set(time.perf_counter())


def _on_task_finished(sender, task_result, **kwargs) -> None:
    elapsed_ms = (time.perf_counter() - _task_started_at.get()) * 1000
    failed = task_result.status == TaskResultStatus.FAILED
    # The signal is sent inside the worker's exception handler: a failure logs its traceback.
    exc_info = sys.exc_info() if failed else None
    task_logger.log(
        logging.ERROR if failed else logging.INFO,
        "task %s %s %s %.1fms",
        task_result.task.name,
        task_result.id,
        task_result.status,
        elapsed_ms,
        exc_info=exc_info if exc_info and exc_info[0] else None,
    )
    current_request_id.set("-")


task_started.connect(_on_task_started, dispatch_uid="site_config_task_started")
task_finished.connect(_on_task_finished, dispatch_uid="site_config_task_finished")
