"""Invoke the unzipped Lambda artifact the way the Python 3.12 runtime does (test helper).

Run by ``tests/integration/test_lambda_artifact.py`` as::

    python3.12 -I -S lambda_invoke.py TASK_ROOT RUNTIME_DIR EVENTS_JSON RESULT_JSON

``-I`` ignores ``PYTHON*`` variables and the user site and keeps this script's folder off
``sys.path``; ``-S`` skips site-packages. The path is then what the Lambda runtime has:
the function's code first (``TASK_ROOT``, Lambda's ``/var/task``), the standard library,
and last the runtime's own packages (``RUNTIME_DIR``: boto3 and its dependencies, which
the runtime provides and the zip must not bundle).

One process is one container: the events (a JSON list in EVENTS_JSON) are handled in
order, like warm invocations. RESULT_JSON receives the cold import time of the handler
module, which heavy modules that import loaded, where key modules came from, and the
handler's responses (stdout is the function's log, as on Lambda). Standard library only.
"""

import json
import sys
import time


def _guard_loopback():
    """Make botocore refuse any request that is not for 127.0.0.1/localhost."""
    import ipaddress
    from urllib.parse import urlsplit

    import botocore.httpsession

    real_send = botocore.httpsession.URLLib3Session.send

    def send(self, request):
        host = urlsplit(request.url).hostname or ""
        loopback = host == "localhost"
        if not loopback:
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
        if not loopback:
            raise RuntimeError(f"the artifact smoke test may not leave 127.0.0.1: {request.url}")
        return real_send(self, request)

    botocore.httpsession.URLLib3Session.send = send


class LambdaContext:
    """The attributes of the runtime's context object that libraries read."""

    function_name = "sweep-artifact-smoke"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sweep-artifact-smoke"
    memory_limit_in_mb = 2048
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/sweep-artifact-smoke"
    log_stream_name = "smoke"

    def get_remaining_time_in_millis(self):
        return 900_000


def main():
    task_root, runtime_dir, events_path, result_path = sys.argv[1:5]
    sys.path.insert(0, task_root)
    sys.path.append(runtime_dir)
    with open(events_path, encoding="utf-8") as handle:
        events = json.load(handle)

    started = time.perf_counter()
    import sweeplib.handler

    import_ms = (time.perf_counter() - started) * 1000
    loaded_by_import = {m: m in sys.modules for m in ("pyarrow", "numpy", "boto3", "botocore")}

    _guard_loopback()
    responses = [sweeplib.handler.lambda_handler(e, LambdaContext()) for e in events]

    origins = {}
    names = ("sweeplib", "numpy", "pyarrow", "h3", "aws_lambda_powertools", "boto3")
    for name in (*names, "sweeplib.sim.engine"):
        module = sys.modules.get(name)
        origins[name] = getattr(module, "__file__", None)
    result = {
        "handler_import_ms": import_ms,
        "loaded_by_handler_import": loaded_by_import,
        "module_files": origins,
        # Which kernel build the worker ran, if a shard ran (ADR 0020).
        "kernel": (
            sys.modules["sweeplib.sim"].kernel_build()
            if "sweeplib.sim.engine" in sys.modules
            else None
        ),
        "sys_path": sys.path,
        "responses": responses,
    }
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
