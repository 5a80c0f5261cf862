#!/usr/bin/env python3
"""Debian's Prometheus server and node_exporter on loopback, for tests.

Each server runs from a private configuration in a temporary folder, on a free loopback port,
and is stopped (and its folder removed) at the end. Nothing of the system's configuration or
services is used. Every wait is bounded.

As a module (Python tests):

    with Prometheus(["127.0.0.1:9724"], interval="1s") as prom:
        prom.wait_targets_up(30)
        prom.wait_for('pipescope_pipes{kind="stream"}', 30)   # first non-empty result
        prom.query("up")                                     # Prometheus's "result" list
    with NodeExporter(textfile_dir) as node:
        node.wait_for_metric("pipescope_pipes", 30)         # [Sample(name, labels, value)]

As a program (tests in C++ start it as a child process and talk over its stdin and stdout; every
answer is one line of JSON):

    prometheus_fixture.py prometheus --target HOST:PORT [--target ...] [--interval 1s]
                                     [--metrics-path /metrics]
    prometheus_fixture.py node-exporter --textfile-dir DIR

  First line: {"ready": true, "url": "http://127.0.0.1:PORT", "port": PORT}
          or  {"skip": "REASON"} and exit 77 when the program is not installed
          or  {"error": "REASON"} and exit 1 when it does not start
  Then one command a line, each answered by one line:
    query EXPR               {"ok": true, "result": [...]}   (/api/v1/query, instant vector)
    wait EXPR SECONDS        the same once the result is non-empty, else {"ok": false, "error": ...}
    targets                  {"ok": true, "targets": [{"url", "health", "last_error"}...]}
    wait-up SECONDS          {"ok": true, "targets": [...]} once every target is up
    metrics                  {"ok": true, "text": "..."}     (node-exporter: its /metrics page)
    wait-metric NAME SECONDS {"ok": true, "samples": [{"name", "labels", "value"}...]}
                             (node-exporter: once NAME has a sample)
    quit                     stops the server and exits 0 (so does the end of stdin)

  One-shot forms (start, answer once, stop; for tests that only read the child's output):
    prometheus_fixture.py scrape --target HOST:PORT --expr EXPR [--timeout S] [--interval 1s]
        waits until every target is up and EXPR has a result: {"ok": true, "result": [...]}
    prometheus_fixture.py node-read --textfile-dir DIR --metric NAME [--timeout S]
        waits until node_exporter shows NAME: {"ok": true, "samples": [...]}
    prometheus_fixture.py check-metrics FILE
        promtool check metrics < FILE: {"ok": true|false, "problems": [...]}

Exit codes of the program: 0 after quit or a one-shot answer with "ok": true, 77 skipped (not
installed), 1 on errors (the answer says which).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import NamedTuple

PROMETHEUS = "prometheus"
NODE_EXPORTER = "prometheus-node-exporter"
START_SECONDS = 60
STOP_SECONDS = 15
SKIP_EXIT = 77


class FixtureError(Exception):
    """A server did not start, answer or stop as expected."""


class NotInstalled(FixtureError):
    """The server's program is not installed; tests skip with this reason."""


def find_program(name, package):
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
    if not path:
        raise NotInstalled(f"{name} is not installed (apt-get install {package})")
    return path


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10.0):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.status, reply.read().decode("utf-8")


def poll(check, seconds, what, interval=0.2):
    """Calls check() until it returns a true value or `seconds` pass; returns that value."""
    deadline = time.monotonic() + seconds
    last_error = None
    while True:
        try:
            value = check()
            if value:
                return value
        except (OSError, urllib.error.URLError, ValueError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise FixtureError(f"timed out after {seconds:g} s waiting for {what}{detail}")
        time.sleep(interval)


class _Server:
    """A child process serving HTTP on a loopback port, with a private temporary folder."""

    name = "server"

    def __init__(self):
        self.port = None
        self.url = None
        self.tmp = None
        self._proc = None
        self._log = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _command(self):
        raise NotImplementedError

    def _ready(self):
        raise NotImplementedError

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix=f"pipescope-{self.name}-")
        try:
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            command = self._command()
            self._log = open(os.path.join(self.tmp, "server.log"), "wb")
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log,
                                          stderr=subprocess.STDOUT, cwd=self.tmp)

            def ready():
                if self._proc.poll() is not None:
                    raise FixtureError(f"{self.name} exited with {self._proc.returncode}: "
                                       f"{self.log_tail()}")
                return self._ready()

            poll(ready, START_SECONDS, f"{self.name} on {self.url}")
        except BaseException:
            self.stop()
            raise

    def log_tail(self, lines=15):
        try:
            with open(os.path.join(self.tmp, "server.log"), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            return "\n".join(text.splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(STOP_SECONDS)
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


class Prometheus(_Server):
    """Prometheus scraping `targets` ("host:port") every `interval`, storage in its temp folder."""

    name = "prometheus"

    def __init__(self, targets, interval="1s", metrics_path="/metrics"):
        super().__init__()
        self.targets = list(targets)
        self.interval = interval
        self.metrics_path = metrics_path
        self._program = find_program(PROMETHEUS, "prometheus")

    def _command(self):
        config = os.path.join(self.tmp, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            # JSON is YAML: no quoting questions for the targets and the path.
            json.dump({
                "global": {"scrape_interval": self.interval, "evaluation_interval": self.interval,
                           "scrape_timeout": self.interval},
                "scrape_configs": [{"job_name": "pipescope", "metrics_path": self.metrics_path,
                                    "static_configs": [{"targets": self.targets}]}],
            }, f)
        return [self._program, f"--config.file={config}",
                f"--storage.tsdb.path={os.path.join(self.tmp, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"]

    def _ready(self):
        status, _ = http_get(f"{self.url}/-/ready", timeout=2)
        return status == 200

    def _api(self, path, **params):
        query = urllib.parse.urlencode(params)
        _, body = http_get(f"{self.url}/api/v1/{path}" + (f"?{query}" if query else ""))
        reply = json.loads(body)
        if reply.get("status") != "success":
            raise FixtureError(f"Prometheus API {path}: {reply.get('error', body)}")
        return reply["data"]

    def query(self, expr):
        """The instant-vector result of `expr` now: [{"metric": {...}, "value": [t, "v"]}...]."""
        return self._api("query", query=expr)["result"]

    def wait_for(self, expr, seconds):
        """The first non-empty result of `expr` within `seconds`."""
        return poll(lambda: self.query(expr), seconds, f"a result for {expr}")

    def targets_status(self):
        return [{"url": t.get("scrapeUrl"), "health": t.get("health"),
                 "last_error": t.get("lastError", "")}
                for t in self._api("targets", state="active")["activeTargets"]]

    def wait_targets_up(self, seconds):
        def all_up():
            status = self.targets_status()
            return status if status and all(t["health"] == "up" for t in status) else None

        try:
            return poll(all_up, seconds, "every scrape target to be up")
        except FixtureError as e:
            raise FixtureError(f"{e}; targets: {self.targets_status()}") from None


class Sample(NamedTuple):
    name: str
    labels: dict
    value: str


def _unescape_label_value(text, start):
    """Reads a quoted label value at text[start] == '"'; returns (value, index after the quote)."""
    out = []
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
            i += 2
        elif c == '"':
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    raise ValueError(f"unterminated label value in {text!r}")


def parse_samples(text):
    """Samples of a page in the text exposition format (comments and blank lines skipped)."""
    samples = []
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        brace = line.find("{")
        space = line.find(" ")
        labels = {}
        if brace != -1 and (space == -1 or brace < space):
            name = line[:brace]
            i = brace + 1
            while line[i] != "}":
                if line[i] in ", ":
                    i += 1
                    continue
                eq = line.index("=", i)
                key = line[i:eq].strip()
                labels[key], i = _unescape_label_value(line, eq + 1)
            rest = line[i + 1:].split()
        else:
            name = line[:space]
            rest = line[space + 1:].split()
        samples.append(Sample(name, labels, rest[0]))
    return samples


class NodeExporter(_Server):
    """prometheus-node-exporter with only the textfile collector, reading `textfile_dir`."""

    name = "node-exporter"

    def __init__(self, textfile_dir):
        super().__init__()
        self.textfile_dir = textfile_dir
        self._program = find_program(NODE_EXPORTER, "prometheus-node-exporter")

    def _command(self):
        return [self._program, f"--web.listen-address=127.0.0.1:{self.port}",
                "--collector.disable-defaults", "--collector.textfile",
                f"--collector.textfile.directory={self.textfile_dir}", "--log.level=warn"]

    def _ready(self):
        status, _ = http_get(f"{self.url}/metrics", timeout=2)
        return status == 200

    def metrics(self):
        _, body = http_get(f"{self.url}/metrics")
        return body

    def samples(self, name=None):
        return [s for s in parse_samples(self.metrics()) if name is None or s.name == name]

    def wait_for_metric(self, name, seconds):
        """The samples of `name` once it has one, within `seconds`."""
        return poll(lambda: self.samples(name), seconds, f"metric {name} in node_exporter")


def promtool_check_metrics(text):
    """Runs `promtool check metrics` on `text`; returns the problems it reports ([] when clean)."""
    promtool = find_program("promtool", "prometheus")
    done = subprocess.run([promtool, "check", "metrics"], input=text.encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, check=False)
    output = done.stdout.decode("utf-8", "replace")
    problems = [line for line in output.splitlines() if line.strip()]
    if done.returncode != 0 and not problems:
        problems = [f"promtool exited with {done.returncode}"]
    return problems if done.returncode != 0 or problems else []


# ---- the program: one JSON line per answer ---------------------------------------------------

def _answer(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _serve_commands(server):
    for raw in sys.stdin:
        parts = raw.strip().split(" ")
        command, args = parts[0], parts[1:]
        try:
            if command == "":
                continue
            if command == "quit":
                return
            if command == "query" and isinstance(server, Prometheus):
                _answer({"ok": True, "result": server.query(" ".join(args))})
            elif command == "wait" and isinstance(server, Prometheus) and len(args) >= 2:
                _answer({"ok": True, "result": server.wait_for(" ".join(args[:-1]), float(args[-1]))})
            elif command == "targets" and isinstance(server, Prometheus):
                _answer({"ok": True, "targets": server.targets_status()})
            elif command == "wait-up" and isinstance(server, Prometheus) and len(args) == 1:
                _answer({"ok": True, "targets": server.wait_targets_up(float(args[0]))})
            elif command == "metrics" and isinstance(server, NodeExporter):
                _answer({"ok": True, "text": server.metrics()})
            elif command == "wait-metric" and isinstance(server, NodeExporter) and len(args) == 2:
                samples = server.wait_for_metric(args[0], float(args[1]))
                _answer({"ok": True, "samples": [s._asdict() for s in samples]})
            else:
                _answer({"ok": False, "error": f"unknown command for {server.name}: {raw.strip()}"})
        except (FixtureError, OSError, urllib.error.URLError, ValueError) as e:
            _answer({"ok": False, "error": str(e)})


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="server", required=True)
    p = sub.add_parser("prometheus")
    p.add_argument("--target", action="append", required=True, help="HOST:PORT to scrape")
    p.add_argument("--interval", default="1s")
    p.add_argument("--metrics-path", default="/metrics")
    n = sub.add_parser("node-exporter")
    n.add_argument("--textfile-dir", required=True)
    o = sub.add_parser("scrape")
    o.add_argument("--target", action="append", required=True, help="HOST:PORT to scrape")
    o.add_argument("--expr", required=True)
    o.add_argument("--timeout", type=float, default=30)
    o.add_argument("--interval", default="1s")
    o.add_argument("--metrics-path", default="/metrics")
    r = sub.add_parser("node-read")
    r.add_argument("--textfile-dir", required=True)
    r.add_argument("--metric", required=True)
    r.add_argument("--timeout", type=float, default=30)
    c = sub.add_parser("check-metrics")
    c.add_argument("file")
    args = parser.parse_args(argv)
    if args.server in ("scrape", "node-read", "check-metrics"):
        return _one_shot(args)
    try:
        if args.server == "prometheus":
            server = Prometheus(args.target, args.interval, args.metrics_path)
        else:
            server = NodeExporter(args.textfile_dir)
        server.start()
    except NotInstalled as e:
        _answer({"skip": str(e)})
        return SKIP_EXIT
    except FixtureError as e:
        _answer({"error": str(e)})
        return 1
    try:
        _answer({"ready": True, "url": server.url, "port": server.port})
        _serve_commands(server)
    finally:
        server.stop()
    return 0


def _one_shot(args):
    try:
        if args.server == "check-metrics":
            with open(args.file, encoding="utf-8") as f:
                problems = promtool_check_metrics(f.read())
            _answer({"ok": not problems, "problems": problems})
            return 0 if not problems else 1
        if args.server == "scrape":
            with Prometheus(args.target, args.interval, args.metrics_path) as prom:
                prom.wait_targets_up(args.timeout)
                _answer({"ok": True, "result": prom.wait_for(args.expr, args.timeout)})
        else:
            with NodeExporter(args.textfile_dir) as node:
                samples = node.wait_for_metric(args.metric, args.timeout)
                _answer({"ok": True, "samples": [s._asdict() for s in samples]})
        return 0
    except NotInstalled as e:
        _answer({"skip": str(e)})
        return SKIP_EXIT
    except (FixtureError, OSError, urllib.error.URLError, ValueError) as e:
        _answer({"ok": False, "error": str(e)})
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
