"""One log line per request and per task, each with the request id that the response carries."""

import logging

import pytest
from django.tasks import task

from site_config.request_log import current_request_id

pytestmark = pytest.mark.django_db


def test_each_request_logs_one_line_with_the_id_it_answers_with(client, caplog):
    with caplog.at_level(logging.INFO, logger="site_config.requests"):
        response = client.get("/courses/?q=django")

    request_id = response["X-Request-ID"]
    [line] = [r for r in caplog.records if r.name == "site_config.requests"]
    assert line.getMessage().startswith("GET /courses/?q=django 200 ")
    assert line.request_id == request_id


def test_a_sane_request_id_from_the_proxy_is_kept(client):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="lb-7f3a9c21e4")

    assert response["X-Request-ID"] == "lb-7f3a9c21e4"


def test_a_request_id_that_could_forge_log_lines_is_replaced(client):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="x\nERROR forged")

    assert "\n" not in response["X-Request-ID"]
    assert response["X-Request-ID"] != "x\nERROR forged"


@task()
def _log_something() -> str:
    logging.getLogger("tests.task").info("inside the task")
    return current_request_id.get()


def test_each_task_logs_one_line_and_its_logs_carry_its_id(caplog, settings):
    with caplog.at_level(logging.INFO):
        result = _log_something.enqueue()

    task_id = result.return_value
    assert task_id.startswith("task-")
    inside = [r for r in caplog.records if r.name == "tests.task"]
    assert inside[0].request_id == task_id
    [line] = [r for r in caplog.records if r.name == "site_config.tasks"]
    assert "_log_something" in line.getMessage()
    assert "SUCCESSFUL" in line.getMessage()


@task()
def _fail() -> None:
    raise RuntimeError("mail server on fire")


def test_a_failing_task_logs_one_error_line_with_its_traceback(caplog):
    with caplog.at_level(logging.INFO):
        _fail.enqueue()

    [line] = [r for r in caplog.records if r.name == "site_config.tasks"]
    assert line.levelno == logging.ERROR
    assert "FAILED" in line.getMessage()
    assert line.exc_info[0] is RuntimeError
