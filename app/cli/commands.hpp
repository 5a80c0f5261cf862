// Each subcommand lives in its own file and registers itself on the CLI11 app.
// A command's callback returns the process exit code through Context::exit_code.
#pragma once

#include <CLI/CLI.hpp>

namespace pipescope::cli {

struct Context {
    int exit_code = 0;
};

// One line per command file; main.cpp calls each.
// void register_list(CLI::App& app, Context& ctx);   (added by the commands as they land)
void register_bench(CLI::App& app, Context& ctx);       // cmd_bench.cpp
void register_bench_peer(CLI::App& app, Context& ctx);  // cmd_bench.cpp (started by the engine)
void register_list(CLI::App& app, Context& ctx);        // cmd_list.cpp
void register_inspect(CLI::App& app, Context& ctx);     // cmd_inspect.cpp
void register_client(CLI::App& app, Context& ctx);
void register_server(CLI::App& app, Context& ctx);
void register_relay(CLI::App& app, Context& ctx);
void register_audit(CLI::App& app, Context& ctx);         // cmd_audit.cpp
void register_proxy(CLI::App& app, Context& ctx);         // cmd_proxy.cpp
void register_exporter(CLI::App& app, Context& ctx);      // cmd_exporter.cpp
void register_remote_check(CLI::App& app, Context& ctx);  // cmd_remote_check.cpp

}  // namespace pipescope::cli
