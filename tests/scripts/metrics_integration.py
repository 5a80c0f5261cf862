#!/usr/bin/env python3
"""metrics_integration.py EMULATOR CLI HOLDER CASE: PipeScope's metrics against the real servers.

EMULATOR is "" natively, or the Wine runner (cmake/wine-run.sh) for the MinGW build's .exe files;
CLI is pipescope-cli, HOLDER is tests/pipe_holder (used under Wine: natively a Python socket holds
the name). The Prometheus server and node_exporter are Debian's Linux programs, started by
tests/scripts/prometheus_fixture.py on loopback from private configurations; under Wine the Linux
Prometheus scrapes the Windows exe's endpoint.

Cases:
  exporter-prometheus  `pipescope-cli exporter` serves a pipe the test holds open (natively a
                       socket whose path has a quote, a backslash and non-ASCII text; under Wine
                       a named pipe from a second process); Prometheus scrapes it and its HTTP
                       API gives back the same name; promtool accepts the page
  textfile-node        `list --metrics FILE` (once, then --interval with --count) for
                       node_exporter's textfile collector; node_exporter gives the pipe back;
                       promtool accepts the file
  bench-promtool       `bench ... --baseline --metrics FILE`: promtool accepts it and it holds the
                       scenario labels and (where a baseline runs) the ratios
Exit 0 pass, 1 fail, 77 skip (a program is not installed; the reason is printed).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prometheus_fixture as fixture  # noqa: E402

START_SECONDS = 60  # a cold Wine prefix takes several seconds to start a program
WAIT_SECONDS = 45
STOP_SECONDS = 20


class Programs:
    def __init__(self, emulator, cli, holder):
        self.emulator = [emulator] if emulator else []
        self.cli = cli
        self.holder = holder
        self.wine = bool(emulator)

    def path_arg(self, path):
        """A Linux path as the program sees it: Z:\\... for the Windows build."""
        return "Z:" + path.replace("/", "\\") if self.wine else path

    def run_cli(self, args, seconds):
        return subprocess.run(self.emulator + [self.cli] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=seconds)

    def start_cli(self, args):
        return subprocess.Popen(self.emulator + [self.cli] + args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_line(stream, seconds):
    """One line of a child's output within `seconds`, or None."""
    box = []
    reader = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return box[0].decode("utf-8", "replace") if box and box[0] else None


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_SECONDS)


class HeldPipe:
    """A pipe the test holds open while the metrics are read: natively an AF_UNIX listening
    socket in a private folder whose name has a quote, a backslash and non-ASCII text; under Wine
    a named pipe created by pipe_holder.exe (a second process). `name` is the catalog name
    expected back; `token` is unique and passed as --filter so only this pipe is reported."""

    def __init__(self, progs):
        self.progs = progs
        self.token = f"psmetrics{os.getpid()}x{int(time.time() * 1000) % 100000}"
        self.proc = None
        self.sock = None
        self.folder = None

    def __enter__(self):
        if self.progs.wine:
            # Quote and backslash only: pipe_holder widens its ANSI argv byte by byte, so a
            # non-ASCII name would depend on Wine's code page. Natively the name has non-ASCII.
            self.name = f'{self.token}\\q"uo\\te'
            self.proc = subprocess.Popen(self.progs.emulator + [self.progs.holder, "pipe", self.name,
                                                                "120000"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
            line = read_line(self.proc.stdout, START_SECONDS)
            if not line or not line.startswith("ready"):
                stop(self.proc)
                raise RuntimeError(f"pipe_holder did not say ready (got {line!r})")
        else:
            self.folder = tempfile.mkdtemp(prefix=f"{self.token}-")
            self.name = os.path.join(self.folder, 'q"uo\\te \u00e9\u6f22.sock')
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(self.name)
            self.sock.listen(1)
        return self

    def __exit__(self, *exc):
        if self.sock is not None:
            self.sock.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                stop(self.proc)


def names_in(result):
    return [r["metric"].get("name") for r in result]


def exporter_prometheus(progs):
    failures = []
    with HeldPipe(progs) as held:
        exporter = progs.start_cli(["exporter", "--listen", "127.0.0.1:0", "--interval", "1",
                                    "--filter", held.token])
        try:
            line = read_line(exporter.stdout, START_SECONDS)
            if not line or "serving http://127.0.0.1:" not in line:
                stop(exporter)
                err = exporter.stderr.read().decode("utf-8", "replace")
                return [f"the exporter did not start (first line {line!r}; stderr {err!r})"]
            url = line.split("serving ", 1)[1].split()[0]
            port = int(url.split(":")[2].split("/")[0])
            print(f"exporter at {url}")
            with fixture.Prometheus([f"127.0.0.1:{port}"], interval="1s") as prom:
                prom.wait_targets_up(WAIT_SECONDS)
                result = prom.wait_for("pipescope_pipe_current_instances", WAIT_SECONDS)
                got = names_in(result)
                print(f"Prometheus: pipescope_pipe_current_instances names {got!r}")
                if got != [held.name]:
                    failures.append(f"Prometheus gave names {got!r}, the pipe is {held.name!r}")
                elif result[0]["value"][1] != "1":
                    failures.append(f"current instances {result[0]['value'][1]}, expected 1")
                kinds = prom.query("pipescope_pipes")
                if not kinds:
                    failures.append("no pipescope_pipes series in Prometheus")
            with urllib.request.urlopen(url, timeout=20) as reply:
                page = reply.read().decode("utf-8")
            problems = fixture.promtool_check_metrics(page)
            if problems:
                failures.append(f"promtool check metrics on the exporter's page: {problems}")
            if "\r" in page:
                failures.append("CR in the exporter's page")
        finally:
            stop(exporter)
    return failures


def textfile_node(progs):
    failures = []
    folder = tempfile.mkdtemp(prefix="pipescope-textfile-")
    try:
        with HeldPipe(progs) as held:
            prom_file = os.path.join(folder, "pipescope.prom")
            r = progs.run_cli(["list", "--metrics", progs.path_arg(prom_file), "--filter",
                               held.token], START_SECONDS)
            if r.returncode != 0:
                return [f"list --metrics exited {r.returncode}: {r.stderr.decode(errors='replace')}"]
            with open(prom_file, "rb") as f:
                data = f.read()
            if b"\r" in data or data.startswith(b"\xef\xbb\xbf"):
                failures.append("the file has CR line ends or a BOM")
            problems = fixture.promtool_check_metrics(data.decode("utf-8"))
            if problems:
                failures.append(f"promtool check metrics: {problems}")
            with fixture.NodeExporter(folder) as node:
                samples = node.wait_for_metric("pipescope_pipe_current_instances", WAIT_SECONDS)
            got = [(s.labels.get("name"), s.value) for s in samples]
            print(f"node_exporter: {got!r}")
            if got != [(held.name, "1")]:
                failures.append(f"node_exporter gave {got!r}, the pipe is {(held.name, '1')!r}")
            # --interval keeps rewriting the file; --count ends it after three writes.
            os.remove(prom_file)
            r = progs.run_cli(["list", "--metrics", progs.path_arg(prom_file), "--filter",
                               held.token, "--interval", "0.2", "--count", "3"], START_SECONDS)
            if r.returncode != 0 or not os.path.exists(prom_file):
                failures.append(f"list --metrics --interval exited {r.returncode} "
                                f"({r.stderr.decode(errors='replace')})")
            else:
                with open(prom_file, encoding="utf-8") as f:
                    text = f.read()
                if "pipescope_pipes_added_total" not in text:
                    failures.append("--interval output lacks the counters of a running process")
            leftovers = [n for n in os.listdir(folder) if n != "pipescope.prom"]
            if leftovers:
                failures.append(f"temporary files left in the textfile folder: {leftovers}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return failures


def bench_promtool(progs):
    failures = []
    folder = tempfile.mkdtemp(prefix="pipescope-bench-metrics-")
    try:
        out = os.path.join(folder, "bench.prom")
        transport = "win32" if progs.wine else "unix"
        r = progs.run_cli(["bench", "--transport", transport, "--pattern", "pingpong", "--size",
                           "64", "--duration", "0.3", "--baseline", "--metrics",
                           progs.path_arg(out)], 120)
        if r.returncode != 0:
            return [f"bench exited {r.returncode}: {r.stderr.decode(errors='replace')}"]
        with open(out, encoding="utf-8") as f:
            text = f.read()
        problems = fixture.promtool_check_metrics(text)
        if problems:
            failures.append(f"promtool check metrics: {problems}")
        want = f'pattern="pingpong",peer="thread",size="64",transport="{transport}"'
        if want not in text:
            failures.append(f"no series labelled {want}:\n{text}")
        for family in ("pipescope_bench_throughput_bytes_per_second",
                       'pipescope_bench_latency_seconds{', "pipescope_bench_baseline_p50_ratio"):
            if family not in text:
                failures.append(f"{family} missing:\n{text}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return failures


CASES = {"exporter-prometheus": exporter_prometheus, "textfile-node": textfile_node,
         "bench-promtool": bench_promtool}


def main():
    if len(sys.argv) != 5 or sys.argv[4] not in CASES:
        print(f"usage: metrics_integration.py EMULATOR CLI HOLDER {'|'.join(CASES)}",
              file=sys.stderr)
        return 2
    progs = Programs(sys.argv[1], sys.argv[2], sys.argv[3])
    try:
        failures = CASES[sys.argv[4]](progs)
    except fixture.NotInstalled as e:
        print(f"SKIP: {e}")
        return fixture.SKIP_EXIT
    except (fixture.FixtureError, RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        failures = [f"{type(e).__name__}: {e}"]
    for f in failures:
        print(f"FAIL: {f}")
    if not failures:
        print("PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
