// Logging: named spdlog loggers (core.catalog, core.session, core.bench, core.inspect,
// core.transport, app), a ring buffer the GUI shows, and an optional file.
// This header does not include spdlog (it is slow to compile under MinGW); a .cpp that
// logs includes <spdlog/logger.h> and calls log::session()->warn("...", ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipescope/result.hpp"

namespace spdlog {
class logger;
}

namespace pipescope::core::log {

enum class Level { Trace, Debug, Info, Warn, Error, Critical, Off };

[[nodiscard]] const char* level_name(Level level);

struct Record {
    std::uint64_t seq = 0;     // increases by one per record, never reused
    std::int64_t unix_ms = 0;  // wall-clock time of the record
    Level level = Level::Info;
    std::string logger;
    std::string text;
};

// A bounded, thread-safe buffer of the latest records; the oldest fall off.
class Ring {
  public:
    explicit Ring(std::size_t capacity);
    void push(Record record);  // assigns record.seq; any thread
    // Records with seq > after_seq, oldest first. Any thread; copies under a short lock.
    [[nodiscard]] std::vector<Record> since(std::uint64_t after_seq) const;
    [[nodiscard]] std::uint64_t last_seq() const;
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::size_t capacity() const;
    void clear();
    void set_capacity(std::size_t capacity);  // drops the oldest records if needed

  private:
    mutable std::mutex mutex_;
    std::deque<Record> records_;
    std::size_t capacity_;  // guarded by mutex_
    std::uint64_t next_seq_ = 1;
};

struct Options {
    std::string file_path;  // empty: no file
    Level level = Level::Info;
    std::size_t ring_capacity = 10000;
    bool console = false;  // also write to stderr
};

// (Re)configures every logger: level, ring capacity, file and console sinks.
// Safe to call more than once; loggers obtained earlier keep working.
Status init(const Options& options);
// Flushes the file sink.
void flush();

[[nodiscard]] Ring& ring();

// Named loggers; usable before init() (they then log to the ring only).
[[nodiscard]] std::shared_ptr<spdlog::logger> get(const std::string& name);
[[nodiscard]] std::shared_ptr<spdlog::logger> catalog();
[[nodiscard]] std::shared_ptr<spdlog::logger> inspect();
[[nodiscard]] std::shared_ptr<spdlog::logger> session();
[[nodiscard]] std::shared_ptr<spdlog::logger> transport();
[[nodiscard]] std::shared_ptr<spdlog::logger> bench();
[[nodiscard]] std::shared_ptr<spdlog::logger> app();

}  // namespace pipescope::core::log
