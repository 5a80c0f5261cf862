#include "models/pipes_model.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "pipescope/catalog_export.hpp"
#include "pipescope/files.hpp"

namespace pipescope::gui {
namespace {

float seconds_since(PipesModel::Clock::time_point t, PipesModel::Clock::time_point now) {
    return std::chrono::duration<float>(now - t).count();
}

// Unknown sorts first, unlimited (-1) last.
int compare_counts(const std::optional<std::int64_t>& x, const std::optional<std::int64_t>& y) {
    auto key = [](const std::optional<std::int64_t>& v) -> std::int64_t {
        if (!v) return -2;
        return *v < 0 ? INT64_MAX : *v;
    };
    const auto kx = key(x), ky = key(y);
    return kx < ky ? -1 : kx > ky ? 1 : 0;
}

template <class T>
int compare_values(const T& a, const T& b) {
    return a < b ? -1 : b < a ? 1 : 0;
}

// Orders by the column, then by name.
int compare_entries(const core::PipeEntry& a, const core::PipeEntry& b, PipeColumn column) {
    int d = 0;
    switch (column) {
        case PipeColumn::Kind:
            d = compare_values(static_cast<int>(a.kind), static_cast<int>(b.kind));
            break;
        case PipeColumn::Instances:
            d = compare_counts(a.current_instances, b.current_instances);
            break;
        case PipeColumn::Max:
            d = compare_counts(a.max_instances, b.max_instances);
            break;
        case PipeColumn::Server: {
            auto pid = [](const core::PipeEntry& e) {
                return e.server_pids.empty() ? 0u : e.server_pids.front().pid;
            };
            d = compare_values(pid(a), pid(b));
            break;
        }
        case PipeColumn::Servers:
            d = compare_values(a.server_processes, b.server_processes);
            break;
        case PipeColumn::Clients:
            d = compare_values(a.client_pids.size(), b.client_pids.size());
            break;
        case PipeColumn::Source:
            d = compare_values(a.sources, b.sources);
            break;
        default:
            break;
    }
    if (d != 0) return d;
    const int n = a.name.compare(b.name);
    return n < 0 ? -1 : n > 0 ? 1 : 0;
}

}  // namespace

bool PipesModel::update(std::shared_ptr<const core::Snapshot> latest, Clock::time_point now) {
    bool changed = false;
    if (latest && latest != shown_) {
        if (shown_) {
            const auto d = core::diff(*shown_, *latest);
            for (const auto& e : d.added) added_at_[e.key()] = now;
            for (const auto& e : d.removed) {
                added_at_.erase(e.key());
                removed_.push_back({e, now});
            }
        }
        // A removed pipe that came back is no longer shown as removed.
        std::erase_if(removed_,
                      [&](const Removed& r) { return latest->find(r.entry.key()) != nullptr; });
        shown_ = std::move(latest);
        changed = true;
    }
    // Expire highlights and fades; only a change of the row set needs a rebuild.
    changed |= std::erase_if(removed_, [&](const Removed& r) {
                   return seconds_since(r.at, now) > kFadeSeconds;
               }) > 0;
    changed |= std::erase_if(added_at_, [&](const auto& kv) {
                   return seconds_since(kv.second, now) > kHighlightSeconds;
               }) > 0;
    if (changed) rebuild_rows();
    return changed;
}

void PipesModel::set_filter(std::string text) {
    filter_ = std::move(text);
    apply_filter_and_sort();
}

void PipesModel::set_sort(PipeColumn column, bool ascending) {
    sort_column_ = column;
    sort_ascending_ = ascending;
    apply_filter_and_sort();
}

void PipesModel::rebuild_rows() {
    rows_.clear();
    if (shown_) {
        rows_.reserve(shown_->entries.size() + removed_.size());
        for (const auto& e : shown_->entries) {
            Row r{e, false, std::nullopt};
            if (!added_at_.empty()) {
                if (auto it = added_at_.find(e.key()); it != added_at_.end())
                    r.changed_at = it->second;
            }
            rows_.push_back(std::move(r));
        }
    }
    for (const auto& rm : removed_) rows_.push_back({rm.entry, true, rm.at});
    apply_filter_and_sort();
}

void PipesModel::apply_filter_and_sort() {
    visible_.clear();
    for (const auto& r : rows_) {
        if (core::entry_matches(r.entry, filter_)) visible_.push_back(&r);
    }
    std::stable_sort(visible_.begin(), visible_.end(), [&](const Row* a, const Row* b) {
        const int c = compare_entries(a->entry, b->entry, sort_column_);
        return sort_ascending_ ? c < 0 : c > 0;
    });
}

PipesModel::RowLook PipesModel::look(const Row& row, Clock::time_point now) {
    const float age = row.changed_at ? seconds_since(*row.changed_at, now) : 1e9f;
    RowLook l;
    if (row.removed) {
        l.text_alpha = std::clamp(1.0f - age / kFadeSeconds, 0.15f, 1.0f) * 0.7f;
        l.mark = RowMark::Removed;
        l.mark_strength = l.text_alpha;
    } else if (age < kHighlightSeconds) {
        l.mark = RowMark::New;
        l.mark_strength = 1.0f - age / kHighlightSeconds;
    } else if (at_limit(row.entry)) {
        l.mark = RowMark::Full;
        l.mark_strength = 1.0f;
    }
    return l;
}

bool PipesModel::at_limit(const core::PipeEntry& e) {
    return e.current_instances && e.max_instances && *e.max_instances > 0 &&
           *e.current_instances >= *e.max_instances;
}

std::vector<core::PipeEntry> PipesModel::exportable_entries() const {
    std::vector<core::PipeEntry> entries;
    for (const Row* r : visible_) {
        if (!r->removed) entries.push_back(r->entry);
    }
    return entries;
}

std::string PipesModel::export_text(bool json) const {
    const auto entries = exportable_entries();
    return json ? core::entries_to_json(entries) : core::entries_to_csv(entries);
}

std::string PipesModel::export_to(const std::string& path, bool json) const {
    const auto count = exportable_entries().size();
    auto st = core::write_file_atomic(path, export_text(json));
    if (!st) return "Export failed: " + st.error().to_string();
    return "Exported " + std::to_string(count) + " pipes to " + path;
}

std::string PipesModel::banner(const std::optional<core::Error>& error) const {
    if (error) return "Cannot list pipes: " + error->to_string();
    std::string text;
    if (shown_) {
        for (const auto& n : shown_->notes) {
            if (!text.empty()) text += "\n";
            text += n;
        }
    }
    return text;
}

std::string PipesModel::status_detail(const core::Snapshot* latest, bool failed) {
    if (failed) return "listing: unavailable (see the Pipes tab)";
    if (!latest) return "listing: ...";
    static const std::pair<core::CatalogSource, const char*> kNames[] = {
        {core::CatalogSource::NtDirectory, "NT directory"},
        {core::CatalogSource::HandleTable, "handle table"},
        {core::CatalogSource::ProcNetUnix, "/proc/net/unix"},
        {core::CatalogSource::ProcFd, "/proc/*/fd"},
        {core::CatalogSource::Folder, "folders"},
    };
    std::string text;
    for (const auto& [bit, name] : kNames) {
        if ((latest->sources_used & static_cast<std::uint32_t>(bit)) == 0) continue;
        if (!text.empty()) text += " + ";
        text += name;
    }
#ifdef _WIN32
    if (!(latest->sources_used & static_cast<std::uint32_t>(core::CatalogSource::NtDirectory))) {
        text += " only (the pipe directory cannot be listed here)";
    }
#endif
    return "listing: " + (text.empty() ? std::string("none") : text);
}

std::string PipesModel::count_text(const std::optional<std::int64_t>& v) {
    if (!v) return "?";
    if (*v < 0) return "unlimited";
    return std::to_string(*v);
}

std::string PipesModel::holders_text(const std::vector<core::ProcessRef>& v) {
    std::string s;
    for (const auto& p : v) {
        if (!s.empty()) s += ", ";
        s += std::to_string(p.pid);
        if (!p.name.empty()) s += " " + p.name;
    }
    return s;
}

std::string PipesModel::servers_text(const core::PipeEntry& e) {
    if (e.server_processes == 0) return "-";
    return std::to_string(e.server_processes) + (several_servers(e) ? " !" : "");
}

std::string PipesModel::servers_tooltip(const core::PipeEntry& e) {
    if (e.server_processes == 0)
        return "The listing cannot tell how many processes serve this name.";
    const std::string pids = e.server_pids.empty() ? "not known" : holders_text(e.server_pids);
    if (!several_servers(e)) return "One process serves this name (" + pids + ").";
    return std::to_string(e.server_processes) +
           " processes serve this name through different pipe objects: " + pids +
           ". A second server can take clients meant for the first (name squatting). Found "
           "from the listing; nothing was opened.";
}

std::string PipesModel::clients_text(const core::PipeEntry& e) {
    std::string clients = holders_text(e.client_pids);
    if (e.connections > 0 && clients.empty())
        clients = std::to_string(e.connections) + " connected";
    return clients;
}

}  // namespace pipescope::gui
