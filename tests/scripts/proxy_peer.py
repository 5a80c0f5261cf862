#!/usr/bin/env python3
"""Peers PipeScope did not write, for the end-to-end tests of `pipescope-cli proxy` (Linux).

Plain Python sockets over AF_UNIX; no PipeScope code. Every server prints "ready <pid>" once it
listens and exits when its stdin closes (that is how tests stop it). Clients retry the connect
for 10 s (the proxy may still be starting), print one result line and exit 0 on success, 1 on a
mismatch (with the reason).

  seq-echo-server PATH        seqpacket: echoes every message whole, any number of connections
  seq-client PATH COUNT       seqpacket: COUNT messages of 1 B .. 64 KiB, each echo checked byte
                              for byte and boundary for boundary; prints "ok COUNT"
  lines-server PATH           stream: answers each line L with {"reply":L}\\n, per connection
  lines-client PATH COUNT     stream: one thread writes COUNT JSON lines while the main thread
                              reads and checks the answers; prints "ok COUNT"
  hold-client PATH            stream: 10 lines and answers, prints "exchanged 10", then waits
                              for the far side to end and prints "ended: <why>"
  stall-server PATH           stream: accepts, prints "accepted", never reads
  flood-client PATH MIB       stream: writes up to MIB MiB in 64 KiB chunks; when a write makes
                              no progress for 3 s prints "blocked <bytes written>" and holds;
                              prints "sent <bytes>" if everything went
"""
import json
import os
import socket
import sys
import threading
import time


def out(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def exit_when_stdin_closes():
    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except OSError:
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def listen(path, kind):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    s.listen(16)
    out("ready %d" % os.getpid())
    return s


def connect(path, kind):
    deadline = time.monotonic() + 10
    while True:
        s = socket.socket(socket.AF_UNIX, kind)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def serve_forever(server, handler):
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


def message(i, count):
    """Message i of count: 1 B .. 64 KiB, an 8-byte header (index, size) cut to the size, then
    a pattern that depends on the index and the offset."""
    size = 1 + (i * 65535) // max(count - 1, 1)
    header = i.to_bytes(4, "little") + size.to_bytes(4, "little")
    shift = bytes((k + i * 131) & 0xFF for k in range(256))
    return (header + PATTERN[len(header):size].translate(shift))[:size]


# Byte j of every message before its index is added: (j * 7 + (j >> 8)) mod 256.
PATTERN = bytes((j * 7 + (j >> 8)) & 0xFF for j in range(65536))


def seq_echo(conn):
    with conn:
        while True:
            data, _, flags, _ = conn.recvmsg(1 << 20)
            if flags & socket.MSG_TRUNC:
                out("truncated message")
                return
            if not data:
                return
            conn.sendall(data)


def seq_client(path, count):
    s = connect(path, socket.SOCK_SEQPACKET)
    for i in range(count):
        m = message(i, count)
        s.sendall(m)
        echo, _, flags, _ = s.recvmsg(1 << 20)
        if flags & socket.MSG_TRUNC or echo != m:
            first = next((k for k in range(min(len(m), len(echo))) if m[k] != echo[k]), None)
            out("mismatch at message %d: sent %d B, got %d B, first differing byte %s"
                % (i, len(m), len(echo), first))
            sys.exit(1)
    s.close()
    out("ok %d" % count)


def answer(line):
    return b'{"reply":' + line + b"}\n"


def lines_echo(conn):
    with conn:
        f = conn.makefile("rb")
        for line in f:
            conn.sendall(answer(line.rstrip(b"\n")))


def request(i):
    return json.dumps({"id": i, "text": "line %d " % i + "x" * (i % 97)}).encode()


def lines_client(path, count):
    s = connect(path, socket.SOCK_STREAM)

    def writer():
        for i in range(count):
            s.sendall(request(i) + b"\n")

    t = threading.Thread(target=writer)
    t.start()
    f = s.makefile("rb")
    for i in range(count):
        got = f.readline()
        if got != answer(request(i)):
            out("mismatch at line %d: got %r" % (i, got[:200]))
            os._exit(1)
    t.join()
    s.close()
    out("ok %d" % count)


def hold_client(path):
    s = connect(path, socket.SOCK_STREAM)
    f = s.makefile("rb")
    for i in range(10):
        s.sendall(request(i) + b"\n")
        if f.readline() != answer(request(i)):
            out("mismatch at line %d" % i)
            sys.exit(1)
    out("exchanged 10")
    try:
        rest = s.recv(4096)
        out("ended: " + ("eof" if not rest else "unexpected data"))
    except OSError as e:
        out("ended: " + str(e))


def stall(conn):
    out("accepted")
    threading.Event().wait()


def flood_client(path, mib):
    s = connect(path, socket.SOCK_STREAM)
    s.settimeout(3)
    chunk = bytes(range(256)) * 256
    sent = 0
    try:
        while sent < mib << 20:
            sent += s.send(chunk)
    except socket.timeout:
        out("blocked %d" % sent)
        threading.Event().wait()
    out("sent %d" % sent)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    exit_when_stdin_closes()
    if cmd == "seq-echo-server":
        serve_forever(listen(path, socket.SOCK_SEQPACKET), seq_echo)
    elif cmd == "seq-client":
        seq_client(path, int(sys.argv[3]))
    elif cmd == "lines-server":
        serve_forever(listen(path, socket.SOCK_STREAM), lines_echo)
    elif cmd == "lines-client":
        lines_client(path, int(sys.argv[3]))
    elif cmd == "hold-client":
        hold_client(path)
    elif cmd == "stall-server":
        serve_forever(listen(path, socket.SOCK_STREAM), stall)
    elif cmd == "flood-client":
        flood_client(path, int(sys.argv[3]))
    else:
        out("unknown command " + cmd)
        sys.exit(2)


if __name__ == "__main__":
    # os._exit: the stdin watcher thread must not hold up (or abort) interpreter shutdown.
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except Exception as e:  # a connect that never succeeds, a reset: one line, exit 1
        out("error: %s: %s" % (type(e).__name__, e))
        code = 1
    sys.stdout.flush()
    os._exit(code)
