// pipescope-cli: the command-line front end. It links only the core library.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "pipescope/platform.hpp"

int main(int argc, char** argv) {
    using namespace pipescope;
    CLI::App app{
        "PipeScope: list, inspect, talk to and benchmark named pipes (Windows) and "
        "AF_UNIX sockets and FIFOs (Linux)",
        "pipescope-cli"};
    app.set_version_flag("--version", std::string("pipescope-cli ") + core::version() + " (" +
                                          core::platform_name() + ")");
    app.require_subcommand(0, 1);

    cli::Context ctx;
    // Subcommands register here as they land.
    cli::register_bench(app, ctx);
    cli::register_bench_peer(app, ctx);
    cli::register_list(app, ctx);
    cli::register_inspect(app, ctx);
    cli::register_client(app, ctx);
    cli::register_server(app, ctx);
    cli::register_relay(app, ctx);
    cli::register_audit(app, ctx);
    cli::register_proxy(app, ctx);
    cli::register_exporter(app, ctx);
    cli::register_remote_check(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (app.get_subcommands().empty()) {
        std::fputs(app.help().c_str(), stdout);
        return 0;
    }
    return ctx.exit_code;
}
