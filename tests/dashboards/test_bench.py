import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_prints_every_page_and_partial_and_never_touches_the_configured_db(tmp_path):
    # A separate process: the command creates and drops its own throwaway databases.
    configured = tmp_path / "configured.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "site_config.settings_test",
        "DATABASE_URL": f"sqlite:///{configured}",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore::UserWarning",
            "manage.py",
            "dashboards_bench",
            "--small=20",
            "--large=60",
            "--sellers=3",
            "--buyers=30",
            "--repeats=2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| Endpoint | median @20 | p95 @20 | × trivial | median @60")
    names = [line.split(" | ")[0].lstrip("| ") for line in table[1:]]
    assert names[0] == "trivial view (baseline)"
    for expected in (
        "sales page, last 30 days",
        "sales partial: status filter, page 2",
        "sales partial: membership sales, page 2",
        "new-sales poll (nothing new)",
        "CSV export, last 30 days",
        "purchases partial: status filter",
        "platform page, last 30 days",
    ):
        assert expected in names
    assert not configured.exists()
