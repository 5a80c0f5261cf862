/* win_pipe_server: a named-pipe server PipeScope did not write, for the end-to-end tests of
 * `pipescope-cli proxy` under Wine (and Windows). Plain C and the Win32 API only.
 *
 *   win_pipe_server echo NAME     message type, message read mode: echoes every message whole
 *                                 (reads a long message in pieces through ERROR_MORE_DATA)
 *   win_pipe_server lines NAME    byte type: answers each line L with {"reply":L}\n
 *   win_pipe_server stall NAME    byte type: accepts, prints "accepted", never reads
 *
 * NAME is the part after \\.\pipe\. One instance; clients are served one after another, for as
 * long as the process runs. Prints "ready <pid>" once the pipe exists and exits when its stdin
 * closes (that is how tests stop it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

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

static int write_all(HANDLE h, const char* data, DWORD size) {
    DWORD done = 0;
    return WriteFile(h, data, size, &done, NULL) && done == size;
}

/* Echoes messages until the client goes. The first read takes at most 4 KiB, so every longer
 * message comes in pieces with ERROR_MORE_DATA. */
static void serve_echo(HANDLE pipe) {
    DWORD capacity = 4096;
    char* buf = (char*)malloc(capacity);
    for (;;) {
        DWORD size = 0;
        for (;;) {
            DWORD got = 0;
            DWORD chunk = size == 0 ? 4096 : capacity - size;
            if (ReadFile(pipe, buf + size, chunk, &got, NULL)) {
                size += got;
                break;
            }
            if (GetLastError() != ERROR_MORE_DATA) {
                free(buf);
                return;
            }
            size += got;
            if (size == capacity) {
                capacity *= 2;
                buf = (char*)realloc(buf, capacity);
            }
        }
        if (!write_all(pipe, buf, size)) break;
    }
    free(buf);
}

static void serve_lines(HANDLE pipe) {
    char line[70000];
    DWORD used = 0;
    for (;;) {
        char chunk[4096];
        DWORD got = 0, i;
        if (!ReadFile(pipe, chunk, sizeof chunk, &got, NULL) || got == 0) return;
        for (i = 0; i < got; ++i) {
            if (chunk[i] != '\n') {
                if (used < sizeof line) line[used++] = chunk[i];
                continue;
            }
            if (!write_all(pipe, "{\"reply\":", 9) || !write_all(pipe, line, used) ||
                !write_all(pipe, "}\n", 2))
                return;
            used = 0;
        }
    }
}

int main(int argc, char** argv) {
    wchar_t name[300];
    int echo, lines;
    HANDLE pipe;
    char ready[64];
    if (argc != 3) {
        say("usage: win_pipe_server echo|lines|stall NAME");
        return 2;
    }
    echo = strcmp(argv[1], "echo") == 0;
    lines = strcmp(argv[1], "lines") == 0;
    if (!echo && !lines && strcmp(argv[1], "stall") != 0) {
        say("unknown mode");
        return 2;
    }
    swprintf(name, 300, L"\\\\.\\pipe\\%hs", argv[2]);
    pipe = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX,
                            echo ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT
                                 : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT,
                            1, 65536, 65536, 0, NULL);
    if (pipe == INVALID_HANDLE_VALUE) {
        printf("CreateNamedPipeW failed: %lu\n", GetLastError());
        return 1;
    }
    CreateThread(NULL, 0, exit_when_stdin_closes, NULL, 0, NULL);
    snprintf(ready, sizeof ready, "ready %lu", GetCurrentProcessId());
    say(ready);
    for (;;) {
        if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
            printf("ConnectNamedPipe failed: %lu\n", GetLastError());
            return 1;
        }
        if (echo) {
            serve_echo(pipe);
        } else if (lines) {
            serve_lines(pipe);
        } else {
            say("accepted");
            Sleep(INFINITE);
        }
        DisconnectNamedPipe(pipe);
    }
}
