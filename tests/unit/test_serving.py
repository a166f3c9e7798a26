"""`bluemap serve` runs the export-job worker beside gunicorn and stops it when gunicorn ends."""

from __future__ import annotations

import os
import sys
import time

from ops.cli.serving import run_beside


def test_the_worker_stops_with_the_web_server(tmp_path):
    pid_file = tmp_path / "helper.pid"
    helper = [sys.executable, "-c", f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
                                    "time.sleep(120)"]
    main = [sys.executable, "-c", f"import os, time\nwhile not os.path.exists({str(pid_file)!r}): time.sleep(0.05)\n"
                                  "raise SystemExit(3)"]
    started = time.monotonic()
    assert run_beside(main, helper) == 3
    assert time.monotonic() - started < 60
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"the helper {pid} still runs")
