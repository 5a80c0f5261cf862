/* win_pipe_client: a named-pipe client PipeScope did not write, for the end-to-end tests of
 * `pipescope-cli proxy` under Wine (and Windows). Plain C and the Win32 API only.
 *
 *   win_pipe_client messages NAME COUNT   message read mode: COUNT messages of 1 B .. 64 KiB,
 *                                         each echo checked byte for byte and boundary for
 *                                         boundary (ERROR_MORE_DATA reassembled); "ok COUNT"
 *   win_pipe_client lines NAME COUNT      one thread writes COUNT JSON lines while the main
 *                                         thread reads and checks the answers; "ok COUNT"
 *   win_pipe_client hold NAME             10 lines and answers, prints "exchanged 10", then waits
 *                                         for the far side to end: "ended: <error>"
 *   win_pipe_client flood NAME MIB        writes up to MIB MiB in 64 KiB writes; when a write
 *                                         makes no progress for 3 s prints "blocked <bytes>"
 *                                         and holds; "sent <bytes>" if everything went
 *
 * NAME is the part after \\.\pipe\. The connect is retried for 10 s (missing or busy). The
 * handle is overlapped, so the writer and the reader of `lines` do not wait for each other.
 * Exits 0 on success, 1 on a mismatch or an error (with the reason); hold and flood also exit
 * when their stdin closes (that is how tests stop them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static HANDLE pipe;

static DWORD WINAPI exit_when_stdin_closes(void* unused) {
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    char buf[64];
    DWORD got = 0;
    (void)unused;
    while (ReadFile(in, buf, sizeof buf, &got, NULL) && got > 0) {
    }
    ExitProcess(0);
    return 0;
}

static void say(const char* text) {
    printf("%s\n", text);
    fflush(stdout);
}

static int fail(const char* what, DWORD error) {
    printf("%s failed: %lu\n", what, error);
    fflush(stdout);
    return 1;
}

/* One overlapped read or write; returns the Win32 error (0 on success), WAIT_TIMEOUT when it
 * did not complete within timeout_ms (the I/O is then cancelled). */
static DWORD io(int write, void* buf, DWORD size, DWORD* done, DWORD timeout_ms) {
    OVERLAPPED ov;
    BOOL ok;
    DWORD error = 0;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    *done = 0;
    ok = write ? WriteFile(pipe, buf, size, NULL, &ov) : ReadFile(pipe, buf, size, NULL, &ov);
    if (!ok && GetLastError() != ERROR_IO_PENDING && GetLastError() != ERROR_MORE_DATA) {
        error = GetLastError();
    } else {
        if (WaitForSingleObject(ov.hEvent, timeout_ms) != WAIT_OBJECT_0) {
            CancelIoEx(pipe, &ov);
            GetOverlappedResult(pipe, &ov, done, TRUE);
            error = WAIT_TIMEOUT;
        } else if (!GetOverlappedResult(pipe, &ov, done, FALSE)) {
            error = GetLastError();
        }
    }
    CloseHandle(ov.hEvent);
    return error;
}

static DWORD write_all(const char* data, DWORD size) {
    while (size > 0) {
        DWORD done = 0, error = io(1, (void*)data, size, &done, INFINITE);
        if (error) return error;
        data += done;
        size -= done;
    }
    return 0;
}

/* Message i of count: 1 B .. 64 KiB, an 8-byte header (index, size) cut to the size, then a
 * pattern that depends on the index and the offset (as tests/scripts/proxy_peer.py makes it). */
static DWORD make_message(unsigned i, unsigned count, unsigned char* out) {
    DWORD size = 1 + (DWORD)(((unsigned long long)i * 65535) / (count > 1 ? count - 1 : 1));
    unsigned char header[8];
    DWORD j;
    memcpy(header, &i, 4);
    memcpy(header + 4, &size, 4);
    for (j = 0; j < size; ++j)
        out[j] = j < 8 ? header[j] : (unsigned char)((i * 131) + j * 7 + (j >> 8));
    return size;
}

static int run_messages(unsigned count) {
    DWORD mode = PIPE_READMODE_MESSAGE;
    unsigned char* sent = (unsigned char*)malloc(65536);
    unsigned char* got = (unsigned char*)malloc(65536 + 4096);
    unsigned i;
    if (!SetNamedPipeHandleState(pipe, &mode, NULL, NULL))
        return fail("SetNamedPipeHandleState", GetLastError());
    for (i = 0; i < count; ++i) {
        DWORD size = make_message(i, count, sent), received = 0, error;
        if ((error = write_all((const char*)sent, size)) != 0) return fail("WriteFile", error);
        /* Reads of at most 4 KiB: a longer message arrives in pieces (ERROR_MORE_DATA) and
         * must end exactly where the message sent ends. */
        for (;;) {
            DWORD done = 0;
            error = io(0, got + received, 4096, &done, 20000);
            received += done;
            if (error == 0) break;
            if (error != ERROR_MORE_DATA) return fail("ReadFile", error);
            if (received > 65536) break;
        }
        if (received != size || memcmp(sent, got, size) != 0) {
            DWORD k = 0;
            while (k < size && k < received && sent[k] == got[k]) ++k;
            printf("mismatch at message %u: sent %lu B, got %lu B, first differing byte %lu\n",
                   i, size, received, k);
            fflush(stdout);
            return 1;
        }
    }
    printf("ok %u\n", count);
    fflush(stdout);
    return 0;
}

static int make_request(unsigned i, char* out) {
    int n = sprintf(out, "{\"id\": %u, \"text\": \"line %u ", i, i);
    unsigned k;
    for (k = 0; k < i % 97; ++k) out[n++] = 'x';
    out[n++] = '"';
    out[n++] = '}';
    return n;
}

static unsigned line_count;

static DWORD WINAPI line_writer(void* unused) {
    char line[256];
    unsigned i;
    (void)unused;
    for (i = 0; i < line_count; ++i) {
        int n = make_request(i, line);
        line[n++] = '\n';
        if (write_all(line, (DWORD)n) != 0) return 1;
    }
    return 0;
}

/* Reads answers first..end-1 and checks answer i is {"reply":<request i>}. What follows the
 * last one stays in the buffer for the next call. */
static char answers[65536];
static DWORD answers_used;

static int read_answers(unsigned first, unsigned end) {
    char* buf = answers;
    DWORD used = answers_used;
    unsigned i = first;
    while (i < end) {
        char* start = buf;
        char* nl;
        DWORD done = 0, error;
        /* Whole answers already in the buffer first, then read more. */
        while (i < end && (nl = memchr(start, '\n', used - (DWORD)(start - buf))) != NULL) {
            char want[300];
            int n = sprintf(want, "{\"reply\":");
            n += make_request(i, want + n);
            want[n++] = '}';
            if ((int)(nl - start) != n || memcmp(start, want, (size_t)n) != 0) {
                printf("mismatch at line %u: got %.*s\n", i, (int)(nl - start), start);
                fflush(stdout);
                return 1;
            }
            ++i;
            start = nl + 1;
        }
        used -= (DWORD)(start - buf);
        memmove(buf, start, used);
        if (i == end) break;
        error = io(0, buf + used, (DWORD)sizeof answers - used, &done, 20000);
        if (error) return fail("ReadFile", error);
        used += done;
    }
    answers_used = used;
    return 0;
}

static int run_lines(unsigned count) {
    HANDLE writer;
    DWORD code = 1;
    line_count = count;
    writer = CreateThread(NULL, 0, line_writer, NULL, 0, NULL);
    if (read_answers(0, count) != 0) return 1;
    WaitForSingleObject(writer, INFINITE);
    GetExitCodeThread(writer, &code);
    if (code != 0) return fail("WriteFile", code);
    printf("ok %u\n", count);
    fflush(stdout);
    return 0;
}

static int run_hold(void) {
    char line[256], rest[4096];
    unsigned i;
    DWORD done = 0, error;
    for (i = 0; i < 10; ++i) {
        int n = make_request(i, line);
        line[n++] = '\n';
        if ((error = write_all(line, (DWORD)n)) != 0) return fail("WriteFile", error);
        if (read_answers(i, i + 1)) return 1;
    }
    say("exchanged 10");
    error = io(0, rest, sizeof rest, &done, INFINITE);
    printf("ended: %lu\n", error == 0 && done > 0 ? 0xFFFFFFFFul : error);
    fflush(stdout);
    return 0;
}

static int run_flood(unsigned mib) {
    static char chunk[65536];
    unsigned long long sent = 0, total = (unsigned long long)mib << 20;
    DWORD j;
    for (j = 0; j < sizeof chunk; ++j) chunk[j] = (char)j;
    while (sent < total) {
        DWORD done = 0, error = io(1, chunk, sizeof chunk, &done, 3000);
        sent += done;
        if (error == WAIT_TIMEOUT) {
            printf("blocked %llu\n", sent);
            fflush(stdout);
            Sleep(INFINITE);
        }
        if (error) return fail("WriteFile", error);
    }
    printf("sent %llu\n", sent);
    fflush(stdout);
    return 0;
}

int main(int argc, char** argv) {
    wchar_t name[300];
    DWORD start = GetTickCount();
    unsigned arg = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
    if (argc < 3) {
        say("usage: win_pipe_client messages|lines|hold|flood NAME [COUNT|MIB]");
        return 2;
    }
    swprintf(name, 300, L"\\\\.\\pipe\\%hs", argv[2]);
    for (;;) {
        DWORD error;
        pipe = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, NULL);
        if (pipe != INVALID_HANDLE_VALUE) break;
        error = GetLastError();
        if ((error != ERROR_FILE_NOT_FOUND && error != ERROR_PIPE_BUSY) ||
            GetTickCount() - start > 10000)
            return fail("CreateFileW", error);
        if (error == ERROR_PIPE_BUSY)
            WaitNamedPipeW(name, 500);
        else
            Sleep(20);
    }
    if (strcmp(argv[1], "hold") == 0 || strcmp(argv[1], "flood") == 0)
        CreateThread(NULL, 0, exit_when_stdin_closes, NULL, 0, NULL);
    if (strcmp(argv[1], "messages") == 0) return run_messages(arg);
    if (strcmp(argv[1], "lines") == 0) return run_lines(arg);
    if (strcmp(argv[1], "hold") == 0) return run_hold();
    if (strcmp(argv[1], "flood") == 0) return run_flood(arg);
    say("unknown mode");
    return 2;
}
