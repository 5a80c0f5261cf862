#include "pipescope/log.hpp"

#include <chrono>
#include <map>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace pipescope::core::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::Trace:
            return spdlog::level::trace;
        case Level::Debug:
            return spdlog::level::debug;
        case Level::Info:
            return spdlog::level::info;
        case Level::Warn:
            return spdlog::level::warn;
        case Level::Error:
            return spdlog::level::err;
        case Level::Critical:
            return spdlog::level::critical;
        case Level::Off:
            return spdlog::level::off;
    }
    return spdlog::level::info;
}

Level from_spdlog(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return Level::Trace;
        case spdlog::level::debug:
            return Level::Debug;
        case spdlog::level::info:
            return Level::Info;
        case spdlog::level::warn:
            return Level::Warn;
        case spdlog::level::err:
            return Level::Error;
        case spdlog::level::critical:
            return Level::Critical;
        default:
            return Level::Off;
    }
}

// Feeds spdlog messages into a Ring.
class RingSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit RingSink(Ring& ring) : ring_(ring) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        Record r;
        r.unix_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
                .count();
        r.level = from_spdlog(msg.level);
        r.logger.assign(msg.logger_name.data(), msg.logger_name.size());
        r.text.assign(msg.payload.data(), msg.payload.size());
        ring_.push(std::move(r));
    }
    void flush_() override {}

  private:
    Ring& ring_;
};

struct State {
    std::mutex mutex;
    Ring ring{10000};
    std::shared_ptr<spdlog::sinks::dist_sink_mt> dist =
        std::make_shared<spdlog::sinks::dist_sink_mt>();
    std::shared_ptr<spdlog::sinks::sink> ring_sink;
    std::shared_ptr<spdlog::sinks::sink> file_sink;
    std::shared_ptr<spdlog::sinks::sink> console_sink;
    std::map<std::string, std::shared_ptr<spdlog::logger>> loggers;
    Level level = Level::Info;

    State() {
        ring_sink = std::make_shared<RingSink>(ring);
        dist->add_sink(ring_sink);
    }
};

State& state() {
    static State* s = new State();  // never destroyed: loggers may be used during exit
    return *s;
}

}  // namespace

const char* level_name(Level level) {
    switch (level) {
        case Level::Trace:
            return "trace";
        case Level::Debug:
            return "debug";
        case Level::Info:
            return "info";
        case Level::Warn:
            return "warn";
        case Level::Error:
            return "error";
        case Level::Critical:
            return "critical";
        case Level::Off:
            return "off";
    }
    return "?";
}

Ring::Ring(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void Ring::push(Record record) {
    std::lock_guard lock(mutex_);
    record.seq = next_seq_++;
    records_.push_back(std::move(record));
    while (records_.size() > capacity_) records_.pop_front();
}

std::vector<Record> Ring::since(std::uint64_t after_seq) const {
    std::lock_guard lock(mutex_);
    std::vector<Record> out;
    for (const auto& r : records_) {
        if (r.seq > after_seq) out.push_back(r);
    }
    return out;
}

std::uint64_t Ring::last_seq() const {
    std::lock_guard lock(mutex_);
    return next_seq_ - 1;
}

std::size_t Ring::size() const {
    std::lock_guard lock(mutex_);
    return records_.size();
}

std::size_t Ring::capacity() const {
    std::lock_guard lock(mutex_);
    return capacity_;
}

void Ring::set_capacity(std::size_t capacity) {
    std::lock_guard lock(mutex_);
    capacity_ = capacity == 0 ? 1 : capacity;
    while (records_.size() > capacity_) records_.pop_front();
}

void Ring::clear() {
    std::lock_guard lock(mutex_);
    records_.clear();
}

Status init(const Options& options) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    s.ring.set_capacity(options.ring_capacity);
    if (s.file_sink) {
        s.dist->remove_sink(s.file_sink);
        s.file_sink.reset();
    }
    if (!options.file_path.empty()) {
        try {
            s.file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file_path);
        } catch (const spdlog::spdlog_ex& e) {
            return make_error(ErrorCode::Io, "spdlog::basic_file_sink", options.file_path,
                              std::string("could not open the log file (") + e.what() +
                                  "). Next: pick a folder you can write to");
        }
        s.dist->add_sink(s.file_sink);
    }
    if (options.console && !s.console_sink) {
        s.console_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        s.dist->add_sink(s.console_sink);
    } else if (!options.console && s.console_sink) {
        s.dist->remove_sink(s.console_sink);
        s.console_sink.reset();
    }
    s.level = options.level;
    for (auto& [name, logger] : s.loggers) logger->set_level(to_spdlog(options.level));
    return {};
}

void flush() {
    State& s = state();
    std::lock_guard lock(s.mutex);
    s.dist->flush();
}

Ring& ring() {
    return state().ring;
}

std::shared_ptr<spdlog::logger> get(const std::string& name) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    auto it = s.loggers.find(name);
    if (it != s.loggers.end()) return it->second;
    auto logger = std::make_shared<spdlog::logger>(name, s.dist);
    logger->set_level(to_spdlog(s.level));
    logger->flush_on(spdlog::level::warn);
    s.loggers.emplace(name, logger);
    return logger;
}

std::shared_ptr<spdlog::logger> catalog() {
    static auto l = get("core.catalog");
    return l;
}
std::shared_ptr<spdlog::logger> inspect() {
    static auto l = get("core.inspect");
    return l;
}
std::shared_ptr<spdlog::logger> session() {
    static auto l = get("core.session");
    return l;
}
std::shared_ptr<spdlog::logger> transport() {
    static auto l = get("core.transport");
    return l;
}
std::shared_ptr<spdlog::logger> bench() {
    static auto l = get("core.bench");
    return l;
}
std::shared_ptr<spdlog::logger> app() {
    static auto l = get("app");
    return l;
}

}  // namespace pipescope::core::log
