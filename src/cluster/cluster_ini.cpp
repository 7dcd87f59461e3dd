// Cluster INI files: the keys awsdl-cluster reads, how each value is parsed, and where each
// problem came from (file and line, or the override that set it).
#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "awsdl/cluster/spec.hpp"
#include "cluster/spec_rules.hpp"
#include "util/ini.hpp"

namespace awsdl::cluster {

namespace {

using internal::spec_rules::quoted;

// Returns an empty string when the value was applied, else what is wrong with it.
using Apply = std::function<std::string(ClusterSpec&, std::string_view)>;

struct Key {
  std::string section;
  std::string key;
  std::string field;  // as ClusterSpec problems name it
  Apply apply;
};

// A whole number; its range is check()'s business (so that every problem of a file is listed
// at once), except that a value too large for an int is refused here, with the range.
std::string parse_int(std::string_view v, int& out, std::string_view field) {
  long long n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  const auto* range = internal::spec_rules::whole_range(field);
  if (v.empty() || end != v.data() + v.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return "must be a whole number, got " + quoted(v);
  if (ec == std::errc::result_out_of_range || n < std::numeric_limits<int>::min() ||
      n > std::numeric_limits<int>::max()) {
    if (range)
      return "must be between " + std::to_string(range->lo) + " and " + std::to_string(range->hi) +
             std::string(range->unit) + ", got " + quoted(v);
    return "must be a whole number that fits in 32 bits, got " + quoted(v);
  }
  out = static_cast<int>(n);
  return {};
}

std::string parse_bool(std::string_view v, bool& out) {
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "yes" || s == "true" || s == "on" || s == "1") { out = true; return {}; }
  if (s == "no" || s == "false" || s == "off" || s == "0") { out = false; return {}; }
  return "must be yes or no, got " + quoted(v);
}

// "a, b, c": the items in order, spaces around each removed. An empty list, or an empty item
// ("a,,b"), is refused: an empty value would silently mean the default.
std::string parse_list(std::string_view v, std::vector<std::string>& out, std::string_view what) {
  out.clear();
  auto trim = [](std::string_view x) {
    while (!x.empty() && (x.front() == ' ' || x.front() == '\t')) x.remove_prefix(1);
    while (!x.empty() && (x.back() == ' ' || x.back() == '\t')) x.remove_suffix(1);
    return x;
  };
  if (trim(v).empty()) return "must list at least one " + std::string(what) + " (remove the key for the default)";
  std::size_t at = 0;
  while (true) {
    auto comma = v.find(',', at);
    auto item = trim(v.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
    if (item.empty()) return "has an empty item in " + quoted(v) + " (separate the " + std::string(what) + "s with commas)";
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return {};
}

// One of `names` (their order is the enum's), else "must be a, b or c, got ...".
template <typename E>
std::string parse_choice(std::string_view v, E& out, std::initializer_list<std::pair<std::string_view, E>> names) {
  std::string list;
  std::size_t i = 0;
  for (const auto& [name, value] : names) {
    if (v == name) {
      out = value;
      return {};
    }
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(name);
    ++i;
  }
  return "must be " + list + ", got " + quoted(v);
}

std::string parse_market(std::string_view v, Market& out) {
  return parse_choice(v, out, {{"on-demand", Market::kOnDemand}, {"spot", Market::kSpot},
                               {"spot-then-on-demand", Market::kSpotThenOnDemand}});
}

// A price in USD per hour: digits with an optional fraction (no exponent, no sign: a
// negative price is check()'s to refuse, with the range).
std::string parse_price(std::string_view v, std::optional<double>& out) {
  const std::string expected = "must be a price in USD per instance-hour such as 12.50, got " + quoted(v);
  std::string_view digits = v;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  auto dot = digits.find('.');
  auto whole = digits.substr(0, dot);
  auto frac = dot == std::string_view::npos ? std::string_view() : digits.substr(dot + 1);
  auto all_digits = [](std::string_view x) {
    return std::all_of(x.begin(), x.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if ((whole.empty() && frac.empty()) || !all_digits(whole) || !all_digits(frac) || whole.size() > 9 ||
      (dot != std::string_view::npos && frac.empty()))
    return expected;
  double n = 0;
  for (char c : whole) n = n * 10 + (c - '0');
  double scale = 0.1;
  for (char c : frac) n += (c - '0') * scale, scale /= 10;
  out = negative ? -n : n;
  return {};
}

Apply text(std::string ClusterSpec::*member) {
  return [member](ClusterSpec& s, std::string_view v) { s.*member = std::string(v); return std::string(); };
}

Apply integer(int ClusterSpec::*member, std::string_view field) {
  return [member, field](ClusterSpec& s, std::string_view v) { return parse_int(v, s.*member, field); };
}

const std::vector<Key>& keys() {
  static const std::vector<Key> k = {
      {"cluster", "name", "name", text(&ClusterSpec::name)},
      {"cluster", "instance_type", "instance_type", text(&ClusterSpec::instance_type)},
      {"cluster", "workers", "workers", integer(&ClusterSpec::workers, "workers")},
      {"cluster", "min_workers", "min_workers",
       [](ClusterSpec& s, std::string_view v) {
         int n = 0;
         auto e = parse_int(v, n, "min_workers");
         if (e.empty()) s.min_workers = n;
         return e;
       }},
      {"cluster", "image", "image_id", text(&ClusterSpec::image_id)},
      {"cluster", "ssm_parameter", "ssm_parameter", text(&ClusterSpec::ssm_parameter)},
      {"cluster", "key_name", "key_name", text(&ClusterSpec::key_name)},
      {"cluster", "volume_size", "volume_size_gb", integer(&ClusterSpec::volume_size_gb, "volume_size_gb")},
      {"cluster", "placement_group", "placement_group",
       [](ClusterSpec& s, std::string_view v) { return parse_bool(v, s.placement_group); }},
      {"cluster", "staging_bucket", "staging_bucket", text(&ClusterSpec::staging_bucket)},
      // Capacity (issue 15).
      {"cluster", "instance_types", "capacity.instance_types",
       [](ClusterSpec& s, std::string_view v) { return parse_list(v, s.capacity.instance_types, "instance type"); }},
      {"cluster", "market", "capacity.market",
       [](ClusterSpec& s, std::string_view v) { return parse_market(v, s.capacity.market); }},
      {"cluster", "master_market", "capacity.master_market",
       [](ClusterSpec& s, std::string_view v) { return parse_market(v, s.capacity.master_market); }},
      {"cluster", "spot_allocation", "capacity.allocation",
       [](ClusterSpec& s, std::string_view v) {
         return parse_choice(v, s.capacity.allocation,
                             {{"capacity-optimized-prioritized", SpotAllocation::kCapacityOptimizedPrioritized},
                              {"price-capacity-optimized", SpotAllocation::kPriceCapacityOptimized}});
       }},
      {"cluster", "spot_max_price", "capacity.spot_max_price",
       [](ClusterSpec& s, std::string_view v) { return parse_price(v, s.capacity.spot_max_price); }},
      {"cluster", "availability_zones", "capacity.availability_zones",
       [](ClusterSpec& s, std::string_view v) {
         if (v == "auto") {
           s.capacity.availability_zones.clear();
           return std::string();
         }
         return parse_list(v, s.capacity.availability_zones, "availability zone");
       }},
      {"cluster", "capacity_reservation", "capacity.capacity_reservation",
       [](ClusterSpec& s, std::string_view v) { s.capacity.capacity_reservation = std::string(v); return std::string(); }},
      {"cluster", "capacity_block", "capacity.capacity_block",
       [](ClusterSpec& s, std::string_view v) { s.capacity.capacity_block = std::string(v); return std::string(); }},
      {"cluster", "efa", "capacity.efa",
       [](ClusterSpec& s, std::string_view v) {
         return parse_choice(v, s.capacity.efa, {{"auto", EfaMode::kAuto}, {"yes", EfaMode::kYes}, {"no", EfaMode::kNo}});
       }},
      {"cluster", "capacity_timeout", "capacity.capacity_timeout_seconds",
       [](ClusterSpec& s, std::string_view v) {
         return parse_int(v, s.capacity.capacity_timeout_seconds, "capacity.capacity_timeout_seconds");
       }},
      {"network", "ssh_cidr", "ssh_cidr", text(&ClusterSpec::ssh_cidr)},
      {"network", "availability_zone", "availability_zone", text(&ClusterSpec::availability_zone)},
      {"storage", "efs_id", "efs_id", text(&ClusterSpec::efs_id)},
      {"storage", "mount_point", "mount_point", text(&ClusterSpec::mount_point)},
      {"storage", "shared", "shared",
       [](ClusterSpec& s, std::string_view v) {
         return parse_choice(v, s.shared, {{"efs", SharedStorage::kEfs}, {"fsx-lustre", SharedStorage::kFsxLustre},
                                           {"none", SharedStorage::kNone}});
       }},
      {"storage", "fsx_capacity_gib", "fsx.capacity_gib",
       [](ClusterSpec& s, std::string_view v) { return parse_int(v, s.fsx.capacity_gib, "fsx.capacity_gib"); }},
      {"storage", "fsx_deployment", "fsx.deployment",
       [](ClusterSpec& s, std::string_view v) { s.fsx.deployment = std::string(v); return std::string(); }},
      {"storage", "fsx_import_path", "fsx.import_path",
       [](ClusterSpec& s, std::string_view v) { s.fsx.import_path = std::string(v); return std::string(); }},
      {"storage", "fsx_id", "fsx.id", [](ClusterSpec& s, std::string_view v) { s.fsx.id = std::string(v); return std::string(); }},
      {"ssh", "user", "ssh.user", [](ClusterSpec& s, std::string_view v) { s.ssh.user = std::string(v); return std::string(); }},
      {"ssh", "key_path", "ssh.key_path",
       [](ClusterSpec& s, std::string_view v) { s.ssh.key_path = std::string(v); return std::string(); }},
      {"training", "slots_per_node", "training.slots_per_node",
       [](ClusterSpec& s, std::string_view v) {
         if (v == "auto") {
           s.training.slots_per_node = 0;
           return std::string();
         }
         // 0 would mean 'auto' in the spec: a number here must be in the range.
         const auto& range = *internal::spec_rules::whole_range("training.slots_per_node");
         int n = 0;
         if (!parse_int(v, n, range.field).empty() || n < range.lo || n > range.hi)
           return "must be 'auto' (one slot per GPU) or a whole number between " + std::to_string(range.lo) +
                  " and " + std::to_string(range.hi) + ", got " + quoted(v);
         s.training.slots_per_node = n;
         return std::string();
       }},
      {"training", "mpirun_options", "training.mpirun_options",
       [](ClusterSpec& s, std::string_view v) { s.training.mpirun_options = std::string(v); return std::string(); }},
  };
  return k;
}

const Key* find_key(std::string_view section, std::string_view key) {
  for (const auto& k : keys())
    if (k.section == section && k.key == key) return &k;
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view section, std::string_view key) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& k : keys()) {
    if (!section.empty() && k.section != section) continue;
    std::string candidate = section.empty() ? k.section + "." + k.key : k.key;
    auto d = edit_distance(key, candidate);
    if (d < best_d) best_d = d, best = candidate;
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string section_list() {
  return "[cluster], [network], [storage], [ssh] or [training]";
}

// Where a setting came from, for messages.
struct Origin {
  std::string where;  // "cluster.ini:7" or "--workers"
};

class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  void apply_file(const internal::IniFile& file) {
    int image_line = 0, ssm_line = 0, type_line = 0, types_line = 0;
    for (const auto& section : file.sections) {
      bool known_section = std::any_of(keys().begin(), keys().end(), [&](const Key& k) { return k.section == section.name; });
      if (!known_section) {
        problem(file.where(section.line), "unknown section [" + section.name + "] (expected " + section_list() + ")");
        continue;
      }
      for (const auto& e : section.entries) {
        const Key* k = find_key(section.name, e.key);
        if (!k && listed_enough()) {
          ++problem_count_;  // counted, not described: the suggestion costs an edit distance
          continue;
        }
        if (!k) {
          problem(file.where(e.line),
                  "unknown key '" + e.key + "' in [" + section.name + "]" + suggestion(section.name, e.key));
          continue;
        }
        if (k->field == "image_id") image_line = e.line;
        if (k->field == "ssm_parameter") ssm_line = e.line;
        if (k->field == "instance_type") type_line = e.line;
        if (k->field == "capacity.instance_types") types_line = e.line;
        set(*k, e.value, file.where(e.line));
      }
    }
    if (image_line && ssm_line)
      problem(file.where(std::max(image_line, ssm_line)),
              "[cluster] sets both image (line " + std::to_string(image_line) + ") and ssm_parameter (line " +
                  std::to_string(ssm_line) + "): set one");
    // instance_type is the one-type shorthand of instance_types: both may be set only when
    // they agree on the first choice.
    if (type_line && types_line && !spec_.capacity.instance_types.empty() &&
        spec_.capacity.instance_types.front() != spec_.instance_type)
      problem(file.where(std::max(type_line, types_line)),
              "[cluster] sets both instance_type (line " + std::to_string(type_line) + ") and instance_types (line " +
                  std::to_string(types_line) + ") with a different first type: set one");
  }

  void apply_overrides(const std::vector<SpecOverride>& overrides) {
    for (const auto& o : overrides) {
      std::string where = o.source.empty() ? "override " + o.key : o.source;
      auto dot = o.key.find('.');
      const Key* k = dot == std::string::npos ? nullptr : find_key(o.key.substr(0, dot), o.key.substr(dot + 1));
      if (!k) {
        problem(where, "unknown setting '" + o.key + "'" + suggestion("", o.key));
        continue;
      }
      set(*k, o.value, where);
    }
  }

  Result<ClusterSpec> finish() {
    // instance_type is the one-type shorthand of instance_types: whichever was set last (a
    // flag after the file) decides, and instance_type (what one-type callers read) is always
    // the list's first choice.
    auto& types = spec_.capacity.instance_types;
    if (!types.empty() && types.front() != spec_.instance_type) {
      if (origins_.count("instance_type") && order_["instance_type"] > order_["capacity.instance_types"])
        types = {spec_.instance_type};
      else
        spec_.instance_type = types.front();
    }
    if (problem_count_ == 0) {
      for (const auto& p : check(spec_)) {
        auto it = origins_.find(p.field);
        const Key* k = nullptr;
        for (const auto& key : keys())
          if (key.field == p.field) k = &key;
        std::string where = it != origins_.end() ? it->second.where : source_;
        std::string name = k ? "[" + k->section + "] " + k->key : p.field;
        problem(where, name + " " + p.message);
      }
    }
    if (problem_count_ == 0) return spec_;
    std::string msg = problem_count_ == 1 ? problems_.front()
                                          : std::to_string(problem_count_) + " problems in the cluster configuration:";
    if (problem_count_ > 1)
      for (const auto& p : problems_) msg += "\n  " + p;
    if (problem_count_ > problems_.size())
      msg += "\n  ... and " + std::to_string(problem_count_ - problems_.size()) + " more";
    return Error::invalid_argument("InvalidClusterConfig", std::move(msg));
  }

 private:
  void set(const Key& k, std::string_view value, const std::string& where) {
    if (auto e = k.apply(spec_, value); !e.empty()) {
      problem(where, "[" + k.section + "] " + k.key + " " + e);
      return;
    }
    origins_[k.field] = Origin{where};
    order_[k.field] = ++sets_;
  }

  // The first kMaxListedProblems are listed; the rest are counted ("and N more").
  static constexpr std::size_t kMaxListedProblems = 20;
  bool listed_enough() const { return problems_.size() >= kMaxListedProblems; }
  void problem(const std::string& where, const std::string& what) {
    ++problem_count_;
    if (!listed_enough()) problems_.push_back(where + ": " + what);
  }

  std::string source_;
  ClusterSpec spec_;
  std::map<std::string, Origin> origins_;
  std::map<std::string, int> order_;  // field -> when it was last set (1, 2, ...)
  int sets_ = 0;
  std::vector<std::string> problems_;
  std::size_t problem_count_ = 0;
};

}  // namespace

std::optional<SettingRange> whole_setting_range(std::string_view ini_key) {
  auto dot = ini_key.find('.');
  const Key* k = dot == std::string_view::npos ? nullptr : find_key(ini_key.substr(0, dot), ini_key.substr(dot + 1));
  if (!k) return std::nullopt;
  const auto* range = internal::spec_rules::whole_range(k->field);
  if (!range) return std::nullopt;
  return SettingRange{range->lo, range->hi};
}

const std::vector<std::string>& cluster_ini_keys() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& k : keys()) v.push_back(k.section + "." + k.key);
    return v;
  }();
  return names;
}

Result<ClusterSpec> parse_cluster_spec(std::string_view text, std::string_view source_name,
                                       const std::vector<SpecOverride>& overrides) {
  AWSDL_ASSIGN_OR_RETURN(auto file, internal::parse_ini(text, std::string(source_name)));
  Loader loader{std::string(source_name)};
  loader.apply_file(file);
  loader.apply_overrides(overrides);
  return loader.finish();
}

Result<ClusterSpec> load_cluster_spec(const std::string& path, const std::vector<SpecOverride>& overrides) {
  AWSDL_ASSIGN_OR_RETURN(auto file, internal::read_ini_file(path));
  Loader loader{path};
  loader.apply_file(file);
  loader.apply_overrides(overrides);
  return loader.finish();
}

Result<ClusterSpec> cluster_spec_from_overrides(const std::vector<SpecOverride>& overrides) {
  Loader loader{"configuration"};
  loader.apply_overrides(overrides);
  return loader.finish();
}

}  // namespace awsdl::cluster
