#include "auth/profile_files.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <iterator>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "auth/provider_support.hpp"
#include "awsdl/core/text_file.hpp"

namespace awsdl {
namespace internal {

namespace {

constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using Values = std::vector<std::pair<std::string, std::string>>;

// Values in first-seen order, a later value for a key replacing the earlier one; the index
// (key -> position) keeps that linear in the number of keys.
class ValueSetter {
 public:
  explicit ValueSetter(Values& values) : values_(values) {
    for (std::size_t i = 0; i < values_.size(); ++i) index_.emplace(values_[i].first, i);
  }
  void set(std::string key, std::string value) {
    auto [it, added] = index_.emplace(key, values_.size());
    if (added) values_.emplace_back(std::move(key), std::move(value));
    else values_[it->second].second = std::move(value);
  }

 private:
  Values& values_;
  std::unordered_map<std::string, std::size_t> index_;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& label) : text_(text), label_(label) {}

  Result<std::vector<ProfileFileSection>> run() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 byte order mark
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text_.size()) {
      auto nl = text_.find('\n', pos);
      std::string_view line = text_.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text_.size() + 1 : nl + 1;
      ++line_no;
      if (auto s = handle(line, line_no); !s) return std::move(s).error();
    }
    if (auto s = finish_option(); !s) return std::move(s).error();
    return std::vector<ProfileFileSection>(std::make_move_iterator(sections_.begin()),
                                           std::make_move_iterator(sections_.end()));
  }

 private:
  Error error(std::size_t line_no, std::string_view what) const {
    return Error::make(ErrorKind::kParse, "MalformedProfileFile",
                       fmt::format("malformed file {}: line {}: {}", label_, line_no, what));
  }

  Status handle(std::string_view line, std::size_t line_no) {
    auto stripped = trim(line);
    if (stripped.empty()) return {};  // blank lines inside a value change nothing we keep
    if (stripped.front() == '#' || stripped.front() == ';') return {};
    std::size_t indent = 0;
    while (indent < line.size() && is_space(line[indent])) ++indent;

    // Deeper than the key that opened a value: a continuation of that value.
    if (section_ && option_ && indent > option_indent_) {
      value_lines_.emplace_back(line_no, std::string(stripped));
      return {};
    }
    if (auto s = finish_option(); !s) return s;

    if (stripped.front() == '[') {
      auto close = stripped.rfind(']');
      if (close == std::string_view::npos) return error(line_no, "expected ']' to close the section header");
      auto name = trim(stripped.substr(1, close - 1));
      if (name.empty()) return error(line_no, "empty section name");
      auto [it, added] = section_index_.emplace(std::string(name), sections_.size());
      if (added) {
        sections_.push_back(ProfileFileSection{std::string(name), {}});
        setters_.emplace_back(sections_.back().values);
      }
      section_ = it->second;
      return {};
    }
    if (!section_) return error(line_no, "expected a '[section]' header before the first 'key = value'");
    // As configparser: the key ends at the first '=' or ':'.
    auto delim = stripped.find_first_of("=:");
    if (delim == std::string_view::npos) return error(line_no, "expected 'key = value'");
    auto key = trim(stripped.substr(0, delim));
    if (key.empty()) return error(line_no, "expected 'key = value' (the key is empty)");
    option_ = lower(key);
    option_indent_ = indent;
    value_lines_.clear();
    value_lines_.emplace_back(line_no, std::string(trim(stripped.substr(delim + 1))));
    return {};
  }

  Status finish_option() {
    if (!option_) return {};
    auto key = std::move(*option_);
    option_.reset();
    auto& values = setters_[*section_];
    if (value_lines_.front().second.empty() && value_lines_.size() > 1) {
      // A nested block, as botocore reads "s3 =\n  max_concurrent_requests = 20".
      for (std::size_t i = 1; i < value_lines_.size(); ++i) {
        const auto& [line_no, text] = value_lines_[i];
        auto eq = text.find('=');
        if (eq == std::string::npos) return error(line_no, "expected 'key = value' in the nested block");
        auto sub = trim(std::string_view(text).substr(0, eq));
        if (sub.empty()) return error(line_no, "expected 'key = value' (the key is empty)");
        values.set(key + "." + lower(sub), std::string(trim(std::string_view(text).substr(eq + 1))));
      }
      return {};
    }
    std::string value;
    for (std::size_t i = 0; i < value_lines_.size(); ++i) {
      if (i) value += '\n';
      value += value_lines_[i].second;
    }
    values.set(std::move(key), std::move(value));
    return {};
  }

  std::string_view text_;
  const std::string& label_;
  // Deques, so that each setter's reference to its section's values stays valid as sections
  // are added.
  std::deque<ProfileFileSection> sections_;
  std::deque<ValueSetter> setters_;
  std::unordered_map<std::string, std::size_t> section_index_;
  std::optional<std::size_t> section_;
  std::optional<std::string> option_;
  std::size_t option_indent_ = 0;
  std::vector<std::pair<std::size_t, std::string>> value_lines_;
};

// nullopt when the file does not exist (which is fine); an error when it exists but cannot be
// read, or is a directory, a device other than /dev/null, or over kMaxFileBytes.
Result<std::optional<std::string>> read_optional_file(const std::string& path) {
  auto text = read_config_file(path, kMaxFileBytes);
  if (text) return std::optional<std::string>(std::move(*text));
  Error e = std::move(text).error();
  if (e.kind == ErrorKind::kNotFound) return std::optional<std::string>();
  if (e.code == "FileTooLarge") return Error::make(ErrorKind::kParse, "MalformedProfileFile", e.message);
  return Error::make(ErrorKind::kIo, "UnreadableProfileFile", e.message);
}

// "profile dev" -> "dev", "profile 'my dev'" -> "my dev" (botocore splits with shlex).
std::optional<std::string> config_profile_name(const std::string& section) {
  if (section == "default") return section;
  if (section.rfind("profile", 0) != 0 || section.size() <= 7 || !is_space(section[7])) return std::nullopt;
  auto name = trim(std::string_view(section).substr(7));
  if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'') && name.back() == name.front()) {
    name = name.substr(1, name.size() - 2);
  } else if (std::any_of(name.begin(), name.end(), is_space)) {
    return std::nullopt;  // "profile a b" is not one name; botocore skips it too
  }
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

std::string file_path(const std::string& given, const char* env, const char* fallback) {
  if (!given.empty()) return expand_tilde(given);
  if (auto v = env_value(env)) return expand_tilde(*v);
  return expand_tilde(fallback);
}

}  // namespace

Result<std::vector<ProfileFileSection>> parse_profile_file(std::string_view text, const std::string& file_label) {
  return Parser(text, file_label).run();
}

std::string credentials_file_path(const auth::ProfileOptions& options) {
  return file_path(options.credentials_file, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
}

std::string config_file_path(const auth::ProfileOptions& options) {
  return file_path(options.config_file, "AWS_CONFIG_FILE", "~/.aws/config");
}

bool profile_explicitly_selected(const auth::ProfileOptions& options) {
  return !options.profile.empty() || env_value("AWS_PROFILE").has_value();
}

}  // namespace internal

namespace auth {

std::optional<std::string> ProfileSet::Profile::get(const std::string& key) const {
  auto k = internal::lower(key);
  for (const auto& [name, value] : values)
    if (name == k) return value;
  return std::nullopt;
}

const ProfileSet::Profile* ProfileSet::find(const std::string& name) const {
  for (const auto& p : profiles)
    if (p.name == name) return &p;
  return nullptr;
}

std::string ProfileSet::active_profile(const ProfileOptions& options) {
  if (!options.profile.empty()) return options.profile;
  if (auto p = internal::env_value("AWS_PROFILE")) return *p;
  return "default";
}

Result<ProfileSet> ProfileSet::load(const ProfileOptions& options) {
  ProfileSet set;
  std::unordered_map<std::string, std::size_t> by_name;  // linear however many profiles there are
  auto merge = [&set, &by_name](const std::string& name, const internal::ProfileFileSection& section) {
    auto [it, added] = by_name.emplace(name, set.profiles.size());
    if (added) set.profiles.push_back(Profile{name, {}});
    internal::ValueSetter values(set.profiles[it->second].values);
    for (const auto& [k, v] : section.values) values.set(k, v);
  };

  auto config_path = internal::config_file_path(options);
  AWSDL_ASSIGN_OR_RETURN(auto config_text, internal::read_optional_file(config_path));
  if (config_text) {
    AWSDL_ASSIGN_OR_RETURN(auto sections, internal::parse_profile_file(*config_text, config_path));
    for (const auto& s : sections)
      if (auto name = internal::config_profile_name(s.name)) merge(*name, s);
  }
  auto credentials_path = internal::credentials_file_path(options);
  AWSDL_ASSIGN_OR_RETURN(auto credentials_text, internal::read_optional_file(credentials_path));
  if (credentials_text) {
    AWSDL_ASSIGN_OR_RETURN(auto sections, internal::parse_profile_file(*credentials_text, credentials_path));
    // Applied second: the credentials file wins over the config file, key by key.
    for (const auto& s : sections) merge(s.name, s);
  }
  return set;
}

}  // namespace auth
}  // namespace awsdl
