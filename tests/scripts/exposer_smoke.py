#!/usr/bin/env python3
"""exposer_smoke.py EMULATOR EXE: reads /metrics of tests/support/exposer_smoke from Linux.

EMULATOR is "" natively, or the Wine runner (cmake/wine-run.sh) for the MinGW build's .exe, so
under Wine this proves a Windows program's prometheus-cpp Exposer answers a Linux HTTP client.
Checks: HTTP 200, the text exposition format's content type, the counter and the gauge with its
label escaped (quote and backslash escaped, UTF-8 kept), and that the program stops when its
stdin closes. Every wait is bounded. Exit 0 when all hold, 1 otherwise.
"""
import subprocess
import sys
import threading
import urllib.request

START_SECONDS = 60  # a cold Wine prefix takes several seconds to start a program
STOP_SECONDS = 30


def read_first_line(proc, seconds):
    """The program's first stdout line, or None if none came within `seconds`."""
    box = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return box[0] if box else None


def check(body, content_type):
    failures = []
    if not content_type.startswith("text/plain"):
        failures.append(f"content type {content_type!r}, expected text/plain")
    expected = [
        "# TYPE pipescope_smoke_events_total counter",
        'pipescope_smoke_events_total{source="smoke"} 3',
        "# TYPE pipescope_smoke_value gauge",
        'pipescope_smoke_value{name="a\\"b\\\\c \u00e9"} 42',
    ]
    lines = body.split("\n")
    for want in expected:
        if want not in lines:
            failures.append(f"missing line {want!r}")
    if "\r" in body:
        failures.append("CR in the page: lines must end in LF")
    return failures


def main():
    if len(sys.argv) != 3:
        print("usage: exposer_smoke.py EMULATOR EXE", file=sys.stderr)
        return 2
    command = ([sys.argv[1]] if sys.argv[1] else []) + [sys.argv[2], "--seconds", "120"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    failures = []
    try:
        line = read_first_line(proc, START_SECONDS)
        if not line or not line.startswith(b"listening "):
            print(f"FAIL: no 'listening PORT' line within {START_SECONDS} s (got {line!r})")
            return 1
        port = int(line.split()[1])
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=20) as reply:
            status = reply.status
            content_type = reply.headers.get("Content-Type", "")
            body = reply.read().decode("utf-8")
        print(f"GET {url}: {status}, {content_type}, {len(body)} bytes")
        if status != 200:
            failures.append(f"HTTP status {status}")
        failures += check(body, content_type)
        if failures:
            print("page:\n" + body)
        proc.stdin.close()
        try:
            code = proc.wait(STOP_SECONDS)
            if code != 0:
                failures.append(f"exit code {code} after stdin closed")
        except subprocess.TimeoutExpired:
            failures.append(f"still running {STOP_SECONDS} s after its stdin closed")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(STOP_SECONDS)
    for failure in failures:
        print("FAIL: " + failure)
    print("exposer smoke: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
