#!/usr/bin/env python3
"""fixture_selftest.py CASE: checks tests/scripts/prometheus_fixture.py against the real servers.

Cases:
  node-textfile     node_exporter's textfile collector reads a metrics file the test writes, and
                    the fixture reads back a label value with a quote, a backslash and non-ASCII
                    text unchanged
  prometheus-query  Prometheus scrapes that node_exporter (a 1 s interval) and its HTTP API gives
                    the same label value and sample value
  promtool          promtool accepts a well-formed file and names the problem of a broken one
Exit 0 pass, 1 fail, 77 skip (a program is not installed; the reason is printed).
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prometheus_fixture as fixture  # noqa: E402

WAIT_SECONDS = 30
NAME = 'odd "name" with \\ and \u00e9\u6f22'


def escape(value):
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def write_textfile(folder, value):
    text = ("# HELP pipescope_fixture_check A value the fixture self-test wrote.\n"
            "# TYPE pipescope_fixture_check gauge\n"
            f'pipescope_fixture_check{{name="{escape(NAME)}"}} {value}\n')
    path = os.path.join(folder, "selftest.prom")
    with open(path + ".tmp", "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    return text


def node_textfile(folder):
    write_textfile(folder, 17)
    with fixture.NodeExporter(folder) as node:
        samples = node.wait_for_metric("pipescope_fixture_check", WAIT_SECONDS)
    got = [(s.labels.get("name"), s.value) for s in samples]
    return [] if got == [(NAME, "17")] else [f"node_exporter gave {got!r}, wrote {(NAME, '17')!r}"]


def prometheus_query(folder):
    write_textfile(folder, 23)
    with fixture.NodeExporter(folder) as node:
        with fixture.Prometheus([f"127.0.0.1:{node.port}"], interval="1s") as prom:
            prom.wait_targets_up(WAIT_SECONDS)
            result = prom.wait_for("pipescope_fixture_check", WAIT_SECONDS)
    got = [(r["metric"].get("name"), r["value"][1]) for r in result]
    return [] if got == [(NAME, "23")] else [f"Prometheus gave {got!r}, wrote {(NAME, '23')!r}"]


def promtool(folder):
    failures = []
    good = write_textfile(folder, 5)
    problems = fixture.promtool_check_metrics(good)
    if problems:
        failures.append(f"promtool rejected a well-formed file: {problems}")
    broken = good.replace(" 5\n", " five\n")
    problems = fixture.promtool_check_metrics(broken)
    if not any("five" in p or "float" in p for p in problems):
        failures.append(f"promtool did not name the bad value: {problems}")
    return failures


CASES = {"node-textfile": node_textfile, "prometheus-query": prometheus_query, "promtool": promtool}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: fixture_selftest.py {'|'.join(CASES)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pipescope-fixture-") as folder:
        try:
            failures = CASES[sys.argv[1]](folder)
        except fixture.NotInstalled as e:
            print(f"SKIP: {e}")
            return fixture.SKIP_EXIT
        except fixture.FixtureError as e:
            failures = [str(e)]
    for failure in failures:
        print("FAIL: " + failure)
    print(f"fixture self-test {sys.argv[1]}: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
