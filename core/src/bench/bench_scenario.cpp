// Scenario names, validation, JSON, presets and sweeps.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <functional>

#include <nlohmann/json.hpp>

#include "pipescope/bench.hpp"
#include "base/json_number.hpp"

namespace pipescope::core {

// Generated from assets/presets/*.json by core/CMakeLists.txt.
struct EmbeddedPreset {
    const char* name;
    const char* json;
};
extern const EmbeddedPreset kEmbeddedPresets[];
extern const std::size_t kEmbeddedPresetCount;

namespace {

using nlohmann::json;

Error bad(std::string what, std::string msg) {
    return make_error(ErrorCode::InvalidArgument, "bench", std::move(what), std::move(msg));
}

template <class E, std::size_t N>
std::optional<E> lookup(const std::pair<std::string_view, E> (&table)[N], std::string_view s) {
    for (const auto& [name, value] : table)
        if (name == s) return value;
    return std::nullopt;
}
template <class E, std::size_t N>
std::string_view name_of(const std::pair<std::string_view, E> (&table)[N], E e) {
    for (const auto& [name, value] : table)
        if (value == e) return name;
    return "?";
}

constexpr std::pair<std::string_view, BenchPattern> kPatterns[] = {
    {"stream", BenchPattern::Stream},
    {"pingpong", BenchPattern::PingPong},
    {"reqrep", BenchPattern::ReqRep},
    {"churn", BenchPattern::Churn},
    {"rate", BenchPattern::Rate}};
constexpr std::pair<std::string_view, CpuPlacement> kCpus[] = {
    {"unpinned", CpuPlacement::Unpinned},
    {"same", CpuPlacement::SameCore},
    {"different", CpuPlacement::DifferentCores}};
constexpr std::pair<std::string_view, PayloadPattern> kPayloads[] = {
    {"zeros", PayloadPattern::Zeros},
    {"sequence", PayloadPattern::Sequence},
    {"random", PayloadPattern::Random}};

}  // namespace

std::string_view to_string(BenchPattern p) {
    return name_of(kPatterns, p);
}
std::string_view to_string(CpuPlacement c) {
    return name_of(kCpus, c);
}
std::string_view to_string(PayloadPattern p) {
    return name_of(kPayloads, p);
}
std::optional<BenchPattern> parse_bench_pattern(std::string_view s) {
    return lookup(kPatterns, s);
}
std::optional<CpuPlacement> parse_cpu_placement(std::string_view s) {
    return lookup(kCpus, s);
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t mult = 1;
    const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(s.back())));
    if (last == 'K' || last == 'M' || last == 'G') {
        mult = last == 'K' ? 1024ULL : last == 'M' ? 1024ULL * 1024 : 1024ULL * 1024 * 1024;
        s.remove_suffix(1);
    }
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    if (v > UINT64_MAX / mult) return std::nullopt;
    return v * mult;
}

TransportKind resolve_transport(const Scenario& s) {
    if (s.transport) return *s.transport;
#ifdef _WIN32
    return TransportKind::Win32Pipe;
#else
    return s.type == PipeType::Message ? TransportKind::UnixSeqpacket : TransportKind::UnixStream;
#endif
}

Status validate(const Scenario& s) {
    if (s.message_size == 0 && s.pattern != BenchPattern::Churn)
        return bad("size", "message size must be at least 1 byte");
    if (s.message_size > 64ULL * 1024 * 1024)
        return bad("size", "message size is limited to 64 MiB");
    if (s.verify && s.message_size < 16)
        return bad("size", "--verify needs messages of at least 16 bytes (sequence + checksum)");
    if (s.clients < 1 || s.clients > 256) return bad("clients", "clients must be 1..256");
    if (s.inflight < 1 || s.inflight > 4096) return bad("inflight", "inflight must be 1..4096");
    if (s.pattern == BenchPattern::Rate && !(s.rate_per_sec > 0 && s.rate_per_sec <= 1e7))
        return bad("rate", "rate must be > 0 and <= 10,000,000 per second");
    if (s.message_count == 0 && !(s.duration_s > 0 && s.duration_s <= 86400))
        return bad("duration", "duration must be > 0 s (or give a message count)");
    if (s.warmup_s < 0 || s.warmup_s > 3600) return bad("warmup", "warm-up must be 0..3600 s");
    if (!(s.interval_s >= 0.01 && s.interval_s <= 60))
        return bad("interval", "interval must be 0.01..60 s");
    if (s.instances < 1 || s.instances > 255) return bad("instances", "instances must be 1..255");
    if (s.pattern == BenchPattern::Stream && s.clients != 1)
        return bad("clients", "stream runs one connection; use reqrep for several clients");
    const auto k = resolve_transport(s);
    if (k == TransportKind::Fifo && s.type == PipeType::Message)
        return bad("type", "a FIFO has no message mode; use seqpacket or win32");
    return {};
}

// ---- JSON ----------------------------------------------------------------------------------

std::string scenario_to_json(const Scenario& s) {
    json j;
    j["name"] = s.name;
    j["comment"] = s.comment;
    j["transport"] = s.transport ? std::string(to_string(*s.transport)) : std::string("auto");
    j["io"] = to_string(s.io);
    j["type"] = to_string(s.type);
    j["in_quota"] = s.in_quota;
    j["out_quota"] = s.out_quota;
    j["instances"] = s.instances;
    j["pattern"] = to_string(s.pattern);
    j["message_size"] = s.message_size;
    j["clients"] = s.clients;
    j["inflight"] = s.inflight;
    j["rate_per_sec"] = s.rate_per_sec;
    j["duration_s"] = s.duration_s;
    j["message_count"] = s.message_count;
    j["warmup_s"] = s.warmup_s;
    j["interval_s"] = s.interval_s;
    j["payload"] = to_string(s.payload);
    j["verify"] = s.verify;
    j["process"] = s.process;
    j["cpu"] = to_string(s.cpu);
    if (s.baseline) j["baseline"] = true;  // absent when off: older readers keep working
    return j.dump(2);
}

namespace {

Result<Scenario> scenario_from(const json& j) {
    if (!j.is_object()) return bad("scenario", "a scenario must be a JSON object");
    Scenario s;
    try {
        // Not a structured binding: clang 14 cannot capture one in the lambdas below.
        for (const auto& item : j.items()) {
            const std::string& key = item.key();
            const json& v = item.value();
            auto str = [&]() { return v.get<std::string>(); };
            // Integer fields take whole numbers in the field's range only (nlohmann's own
            // get<int>() on 1e10 is undefined behaviour, on -1 for an unsigned field a wrap).
            auto whole = [&]<class T>(T& out) {
                const auto n = detail::json_whole_number<T>(v);
                if (n) out = *n;
                return n.has_value();
            };
            auto not_whole = [&]() {
                return bad(
                    key, "bad value '" + v.dump() + "' for " + key + " (a whole number in range)");
            };
            auto enum_err = [&](std::string_view allowed) {
                return bad(key, "bad value '" + v.dump() + "' for " + key + " (one of " +
                                    std::string(allowed) + ")");
            };
            if (key == "name")
                s.name = str();
            else if (key == "comment")
                s.comment = str();
            else if (key == "transport") {
                if (str() == "auto")
                    s.transport.reset();
                else if (auto t = parse_transport_kind(str()))
                    s.transport = t;
                else
                    return enum_err("auto|win32|unix|seqpacket|fifo|tcp");
            } else if (key == "io") {
                if (auto t = parse_io_model(str()))
                    s.io = *t;
                else
                    return enum_err("sync|overlapped|iocp");
            } else if (key == "type") {
                if (auto t = parse_pipe_type(str()))
                    s.type = *t;
                else
                    return enum_err("byte|message");
            } else if (key == "pattern") {
                if (auto t = parse_bench_pattern(str()))
                    s.pattern = *t;
                else
                    return enum_err("stream|pingpong|reqrep|churn|rate");
            } else if (key == "cpu") {
                if (auto t = parse_cpu_placement(str()))
                    s.cpu = *t;
                else
                    return enum_err("unpinned|same|different");
            } else if (key == "payload") {
                if (auto t = lookup(kPayloads, str()))
                    s.payload = *t;
                else
                    return enum_err("zeros|sequence|random");
            } else if (key == "in_quota") {
                if (!whole(s.in_quota)) return not_whole();
            } else if (key == "out_quota") {
                if (!whole(s.out_quota)) return not_whole();
            } else if (key == "instances") {
                if (!whole(s.instances)) return not_whole();
            } else if (key == "message_size") {
                if (!whole(s.message_size)) return not_whole();
            } else if (key == "clients") {
                if (!whole(s.clients)) return not_whole();
            } else if (key == "inflight") {
                if (!whole(s.inflight)) return not_whole();
            } else if (key == "rate_per_sec")
                s.rate_per_sec = v.get<double>();
            else if (key == "duration_s")
                s.duration_s = v.get<double>();
            else if (key == "message_count") {
                if (!whole(s.message_count)) return not_whole();
            } else if (key == "warmup_s")
                s.warmup_s = v.get<double>();
            else if (key == "interval_s")
                s.interval_s = v.get<double>();
            else if (key == "verify")
                s.verify = v.get<bool>();
            else if (key == "process")
                s.process = v.get<bool>();
            else if (key == "baseline")
                s.baseline = v.get<bool>();
            else
                return bad(key, "unknown scenario key '" + key + "'");
        }
    } catch (const json::exception& e) {
        return bad("scenario", std::string("wrong type in scenario: ") + e.what());
    }
    return s;
}

}  // namespace

Result<Scenario> scenario_from_json(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded()) return bad("scenario", "not valid JSON");
    return scenario_from(j);
}

// Internal: used by report_from_json.
Result<Scenario> scenario_from_json_value(const nlohmann::json& j) {
    return scenario_from(j);
}

std::vector<std::string> preset_names() {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < kEmbeddedPresetCount; ++i)
        out.emplace_back(kEmbeddedPresets[i].name);
    std::sort(out.begin(), out.end());
    return out;
}

Result<Scenario> load_preset(std::string_view name) {
    for (std::size_t i = 0; i < kEmbeddedPresetCount; ++i) {
        if (name != kEmbeddedPresets[i].name) continue;
        auto s = scenario_from_json(kEmbeddedPresets[i].json);
        if (!s) {
            auto e = s.error();
            e.subject = "preset " + std::string(name) + ": " + e.subject;
            return e;
        }
        if (s->name.empty()) s->name = std::string(name);
        return s;
    }
    std::string known;
    for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
    return make_error(ErrorCode::NotFound, "load_preset", std::string(name),
                      "no such preset. Next: use one of " + known);
}

// ---- Sweeps --------------------------------------------------------------------------------

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            out.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    return out;
}

std::optional<double> parse_double(std::string_view s) {
    std::string tmp(s);
    char* end = nullptr;
    const double v = std::strtod(tmp.c_str(), &end);
    if (tmp.empty() || end != tmp.c_str() + tmp.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

using Apply = std::function<Status(Scenario&, std::string_view)>;

// Built with append: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "'" + string.
std::string quoted(std::string_view v) {
    std::string out;
    out.reserve(v.size() + 2);
    out.push_back('\'');
    out.append(v);
    out.push_back('\'');
    return out;
}

Status apply_number(std::string_view key, std::string_view v, Scenario& s) {
    if (key == "size" || key == "quota") {
        const auto u = parse_size(v);
        if (!u) return bad(std::string(key), quoted(v) + " is not a size");
        if (key == "size")
            s.message_size = *u;
        else if (*u > UINT32_MAX)
            return bad(std::string(key), quoted(v) + " is over 4G - 1");
        else
            s.in_quota = s.out_quota = static_cast<std::uint32_t>(*u);
        return {};
    }
    const auto d = parse_double(v);
    if (!d) return bad(std::string(key), quoted(v) + " is not a number");
    const double x = *d;
    // An out-of-range double to int cast is undefined behaviour; validate() checks the ranges.
    if ((key == "clients" || key == "inflight") &&
        (!(x >= INT_MIN && x <= INT_MAX) || x != std::floor(x)))
        return bad(std::string(key), quoted(v) + " is not a whole number in range");
    if (key == "clients")
        s.clients = static_cast<int>(x);
    else if (key == "inflight")
        s.inflight = static_cast<int>(x);
    else if (key == "rate")
        s.rate_per_sec = x;
    else if (key == "duration")
        s.duration_s = x;
    return {};
}

Status apply_word(std::string_view key, std::string_view v, Scenario& s) {
    auto err = [&](std::string_view allowed) {
        return bad(std::string(key), "bad value '" + std::string(v) + "' for " + std::string(key) +
                                         " (one of " + std::string(allowed) + ")");
    };
    if (key == "type") {
        if (auto t = parse_pipe_type(v))
            s.type = *t;
        else
            return err("byte|message");
    } else if (key == "io") {
        if (auto t = parse_io_model(v))
            s.io = *t;
        else
            return err("sync|overlapped|iocp");
    } else if (key == "transport") {
        if (auto t = parse_transport_kind(v))
            s.transport = t;
        else
            return err("win32|unix|seqpacket|fifo|tcp");
    } else if (key == "pattern") {
        if (auto t = parse_bench_pattern(v))
            s.pattern = *t;
        else
            return err("stream|pingpong|reqrep|churn|rate");
    } else if (key == "cpu") {
        if (auto t = parse_cpu_placement(v))
            s.cpu = *t;
        else
            return err("unpinned|same|different");
    } else if (key == "verify") {
        if (v == "on" || v == "true")
            s.verify = true;
        else if (v == "off" || v == "false")
            s.verify = false;
        else
            return err("on|off");
    }
    return {};
}

bool is_numeric_key(std::string_view k) {
    return k == "size" || k == "quota" || k == "clients" || k == "inflight" || k == "rate" ||
           k == "duration";
}
bool is_word_key(std::string_view k) {
    return k == "type" || k == "io" || k == "transport" || k == "pattern" || k == "cpu" ||
           k == "verify";
}

constexpr std::size_t kMaxSweepScenarios = 10000;

}  // namespace

Result<std::vector<Scenario>> expand_sweep(const Scenario& base, std::string_view spec) {
    spec = trim(spec);
    if (spec.empty())
        return bad("sweep", "empty sweep spec. Next: e.g. size=1..4M*2,type=byte|message");
    std::vector<Scenario> out{base};
    std::vector<std::string> seen;
    for (auto axis : split(spec, ',')) {
        const auto eq = axis.find('=');
        if (eq == std::string_view::npos)
            return bad("sweep",
                       "axis '" + std::string(axis) + "' has no '=' (expected key=values)");
        const auto key = trim(axis.substr(0, eq));
        const auto values = trim(axis.substr(eq + 1));
        const std::string k(key);
        if (!is_numeric_key(key) && !is_word_key(key))
            return bad("sweep", "unknown sweep key '" + k +
                                    "' (size, quota, clients, inflight, rate, duration, type, io, "
                                    "transport, pattern, cpu, verify)");
        if (std::find(seen.begin(), seen.end(), k) != seen.end())
            return bad("sweep", "key '" + k + "' appears twice");
        seen.push_back(k);
        if (values.empty()) return bad("sweep", "key '" + k + "' has no values");

        std::vector<std::string> vals;
        const auto dots = values.find("..");
        if (dots != std::string_view::npos) {
            if (!is_numeric_key(key))
                return bad("sweep", "key '" + k + "' takes a|b|c, not a range");
            const auto lo_s = values.substr(0, dots);
            auto rest = values.substr(dots + 2);
            const auto op_pos = rest.find_first_of("*+");
            const auto hi_s = rest.substr(0, op_pos);
            const char op = op_pos == std::string_view::npos ? '*' : rest[op_pos];
            const auto step_s =
                op_pos == std::string_view::npos ? std::string_view("2") : rest.substr(op_pos + 1);
            const auto lo = parse_size(lo_s), hi = parse_size(hi_s), step = parse_size(step_s);
            if (!lo || !hi || !step)
                return bad("sweep", "range '" + std::string(values) +
                                        "' must be lo..hi*factor or lo..hi+step with whole "
                                        "numbers (K/M/G allowed)");
            if (*lo > *hi) return bad("sweep", "range '" + std::string(values) + "' has lo > hi");
            if ((op == '*' && (*step < 2 || *lo == 0)) || (op == '+' && *step == 0))
                return bad("sweep", "range '" + std::string(values) +
                                        "' never advances (factor must be >= 2 from lo >= 1, "
                                        "step >= 1)");
            for (std::uint64_t v = *lo; v <= *hi;) {
                vals.push_back(std::to_string(v));
                if (vals.size() > kMaxSweepScenarios)
                    return bad("sweep", "range '" + std::string(values) + "' has too many values");
                if (op == '*') {
                    if (v > *hi / *step) break;
                    v *= *step;
                } else {
                    if (v > *hi - *step) break;
                    v += *step;
                }
            }
        } else {
            for (auto v : split(values, '|')) {
                if (v.empty()) return bad("sweep", "key '" + k + "' has an empty value");
                vals.emplace_back(v);
            }
        }

        std::vector<Scenario> next;
        if (out.size() * vals.size() > kMaxSweepScenarios)
            return bad("sweep", "the sweep would run more than 10000 scenarios");
        for (const auto& s : out) {
            for (const auto& v : vals) {
                Scenario c = s;
                auto st = is_numeric_key(key) ? apply_number(key, v, c) : apply_word(key, v, c);
                if (!st) return std::move(st).error();
                next.push_back(std::move(c));
            }
        }
        out = std::move(next);
    }
    for (auto& s : out) {
        if (auto st = validate(s); !st) {
            auto e = std::move(st).error();
            e.message = "a scenario of the sweep is invalid: " + e.message;
            return e;
        }
    }
    return out;
}

}  // namespace pipescope::core
