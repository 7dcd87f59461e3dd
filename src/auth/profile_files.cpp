#include "auth/profile_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "auth/provider_support.hpp"

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

void set_value(std::vector<std::pair<std::string, std::string>>& values, std::string key, std::string value) {
  for (auto& [k, v] : values) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  values.emplace_back(std::move(key), std::move(value));
}

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
    return std::move(sections_);
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
      auto it = std::find_if(sections_.begin(), sections_.end(), [&](const ProfileFileSection& s) { return s.name == name; });
      if (it == sections_.end()) {
        sections_.push_back(ProfileFileSection{std::string(name), {}});
        section_ = sections_.size() - 1;
      } else {
        section_ = static_cast<std::size_t>(it - sections_.begin());
      }
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
    auto& values = sections_[*section_].values;
    if (value_lines_.front().second.empty() && value_lines_.size() > 1) {
      // A nested block, as botocore reads "s3 =\n  max_concurrent_requests = 20".
      for (std::size_t i = 1; i < value_lines_.size(); ++i) {
        const auto& [line_no, text] = value_lines_[i];
        auto eq = text.find('=');
        if (eq == std::string::npos) return error(line_no, "expected 'key = value' in the nested block");
        auto sub = trim(std::string_view(text).substr(0, eq));
        if (sub.empty()) return error(line_no, "expected 'key = value' (the key is empty)");
        set_value(values, key + "." + lower(sub), std::string(trim(std::string_view(text).substr(eq + 1))));
      }
      return {};
    }
    std::string value;
    for (std::size_t i = 0; i < value_lines_.size(); ++i) {
      if (i) value += '\n';
      value += value_lines_[i].second;
    }
    set_value(values, std::move(key), std::move(value));
    return {};
  }

  std::string_view text_;
  const std::string& label_;
  std::vector<ProfileFileSection> sections_;
  std::optional<std::size_t> section_;
  std::optional<std::string> option_;
  std::size_t option_indent_ = 0;
  std::vector<std::pair<std::size_t, std::string>> value_lines_;
};

// nullopt when the file does not exist (which is fine); an error when it exists but cannot be read.
Result<std::optional<std::string>> read_optional_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return Error::make(ErrorKind::kIo, "UnreadableProfileFile",
                       fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode))
    return Error::make(ErrorKind::kIo, "UnreadableProfileFile", fmt::format("cannot read {}: it is a directory", path));
  if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes)
    return Error::make(ErrorKind::kParse, "MalformedProfileFile",
                       fmt::format("{} is larger than {} MiB; it is not a config file", path, kMaxFileBytes >> 20));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::make(ErrorKind::kIo, "UnreadableProfileFile",
                       fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error::make(ErrorKind::kIo, "UnreadableProfileFile", fmt::format("error reading {}", path));
  return std::optional<std::string>(ss.str());
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
  auto merge = [&set](const std::string& name, const internal::ProfileFileSection& section) {
    auto it = std::find_if(set.profiles.begin(), set.profiles.end(), [&](const Profile& p) { return p.name == name; });
    if (it == set.profiles.end()) it = set.profiles.insert(set.profiles.end(), Profile{name, {}});
    Profile* p = &*it;
    for (const auto& [k, v] : section.values) internal::set_value(p->values, k, v);
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
