#include "cli.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace awsdl_cli {

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::get_or(const std::string& name, std::string fallback) const {
  auto v = get(name);
  return v ? *v : std::move(fallback);
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Parser& Parser::flag(FlagSpec spec) {
  flags_.push_back(std::move(spec));
  return *this;
}

Parser& Parser::aws_flags(const std::string& default_output) {
  flag({"region", "REGION", "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)"});
  flag({"profile", "NAME", "profile in the shared config and credentials files (default: AWS_PROFILE)"});
  flag({"endpoint-url", "URL", "send every AWS call to this endpoint (default: AWS_ENDPOINT_URL)"});
  flag({"output", "text|json", "output format (default: " + default_output + ")"});
  return *this;
}

awsdl::Result<Args> Parser::parse(const std::vector<std::string>& argv) const {
  Args out;
  auto find = [&](const std::string& name) -> const FlagSpec* {
    for (const auto& f : flags_)
      if (f.name == name) return &f;
    return nullptr;
  };
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      out.rest_.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    }
    if (a == "-h" || a == "--help") {
      out.help_ = true;
      continue;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      const FlagSpec* spec = find(name);
      if (!spec)
        return awsdl::Error::invalid_argument("UnknownFlag", "unknown flag --" + name + " (see " + program_ + " --help)");
      if (spec->value_name.empty()) {
        if (inline_value) return awsdl::Error::invalid_argument("BadFlag", "--" + name + " takes no value");
        value = "true";
      } else if (!inline_value) {
        if (i + 1 >= argv.size())
          return awsdl::Error::invalid_argument("MissingValue", "--" + name + " needs a value (" + spec->value_name + ")");
        value = argv[++i];
      }
      auto& slot = out.values_[name];
      if (!slot.empty() && !spec->repeatable)
        return awsdl::Error::invalid_argument("RepeatedFlag", "--" + name + " given more than once");
      slot.push_back(value);
      continue;
    }
    if (a.size() > 1 && a[0] == '-' && a != "-")
      return awsdl::Error::invalid_argument("UnknownFlag", "unknown flag " + a + " (see " + program_ + " --help)");
    out.positionals_.push_back(a);
  }
  return out;
}

std::string Parser::help_text() const {
  std::string s = program_ + " - " + summary_ + "\n\nUsage:\n";
  for (const auto& u : usages_) s += "  " + u + "\n";
  if (!flags_.empty()) {
    s += "\nFlags:\n";
    for (const auto& f : flags_) {
      std::string left = "  --" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
      if (left.size() < 30) left.resize(30, ' ');
      else left += "\n" + std::string(30, ' ');
      s += left + f.help + (f.repeatable ? " (repeatable)" : "") + "\n";
    }
    s += "  -h, --help                  this help\n";
  }
  if (!examples_.empty()) {
    s += "\nExamples:\n";
    for (const auto& e : examples_) s += "  " + e + "\n";
  }
  for (const auto& n : notes_) s += "\n" + n;
  return s;
}

awsdl::Result<awsdl::Config> config_from(const Args& args) {
  awsdl::Config::Overrides o;
  o.region = args.get_or("region", "");
  o.profile = args.get_or("profile", "");
  o.endpoint_url = args.get_or("endpoint-url", "");
  return awsdl::Config::from_environment(std::move(o));
}

awsdl::Result<bool> json_output(const Args& args, const std::string& fallback) {
  auto v = args.get_or("output", fallback);
  if (v == "text") return false;
  if (v == "json") return true;
  return awsdl::Error::invalid_argument("BadOutput", "--output must be text or json, not '" + v + "'");
}

awsdl::Result<long long> whole_flag(const Args& args, const std::string& name, long long fallback, long long lo,
                                    long long hi) {
  auto v = args.get(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(v->c_str(), &end, 10);
  const bool digits_first = !v->empty() && (std::isdigit(static_cast<unsigned char>((*v)[0])) ||
                                            ((*v)[0] == '-' && v->size() > 1 && std::isdigit(static_cast<unsigned char>((*v)[1]))));
  if (!digits_first || errno != 0 || end != v->c_str() + v->size() || n < lo || n > hi)
    return awsdl::Error::invalid_argument("BadFlag", "--" + name + ": must be a whole number from " + std::to_string(lo) +
                                                         " to " + std::to_string(hi) + ", not '" + *v + "'");
  return n;
}

awsdl::Result<awsdl::Millis> seconds_flag(const Args& args, const std::string& name, awsdl::Millis fallback, double lo,
                                          double hi) {
  auto v = args.get(name);
  if (!v) return fallback;
  // Digits with at most one '.', and nothing else: strtod alone would also take "0x10" (16),
  // "1e3", "inf" and a locale's decimal comma.
  std::size_t digits = 0, dots = 0, others = 0;
  for (char c : *v) {
    if (std::isdigit(static_cast<unsigned char>(c))) ++digits;
    else if (c == '.') ++dots;
    else ++others;
  }
  char* end = nullptr;
  const double d = digits > 0 && dots <= 1 && others == 0 ? std::strtod(v->c_str(), &end) : -1;
  if (end != v->c_str() + v->size() || !std::isfinite(d) || d < lo || d > hi) {
    char range[64];
    std::snprintf(range, sizeof range, "%g to %g", lo, hi);
    return awsdl::Error::invalid_argument("BadFlag", "--" + name + ": must be a number of seconds from " + range +
                                                         ", not '" + *v + "'");
  }
  return awsdl::Millis(static_cast<long long>(d * 1000.0 + 0.5));
}

namespace {
std::string hint_for(const awsdl::Error& e) {
  using awsdl::ErrorKind;
  if (e.code == "SignatureDoesNotMatch" || e.code == "InvalidClientTokenId" || e.code == "InvalidAccessKeyId")
    return "check the access key and secret key in use (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --profile)";
  if (e.code == "ExpiredToken" || e.code == "RequestExpired")
    return "the credentials have expired or the clock is off: refresh them (or fix the system clock)";
  if (e.code == "TlsVerificationFailed")
    return "the server's certificate is not trusted; if it comes from a private CA, set AWS_CA_BUNDLE (or ca_bundle in "
           "the profile) to that CA's PEM file; retrying will not help";
  switch (e.kind) {
    case ErrorKind::kCredentials:
      return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with --profile";
    case ErrorKind::kNetwork:
      return e.retryable ? "check the endpoint (--endpoint-url, AWS_ENDPOINT_URL) and the network; it is safe to retry"
                         : "check the endpoint (--endpoint-url, AWS_ENDPOINT_URL) and the TLS settings (AWS_CA_BUNDLE)";
    case ErrorKind::kTimeout:
      return e.retryable ? "the service did not answer in time; it is safe to retry" : "the service did not answer in time";
    case ErrorKind::kInvalidArgument:
      return "fix the arguments (see --help)";
    default:
      return "";
  }
}

StepWords g_step_words = nullptr;
}  // namespace

void set_step_words(StepWords words) { g_step_words = words; }

int report(const awsdl::Error& error, const std::string& context) {
  std::fputs(render_error(error, context, g_step_words).c_str(), stderr);
  if (auto hint = hint_for(error); !hint.empty()) std::fprintf(stderr, "hint: %s\n", hint.c_str());
  std::fflush(stderr);
  return error.kind == awsdl::ErrorKind::kInvalidArgument ? kExitUsage : kExitFailed;
}

std::string json_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o;
}

namespace {
// Set only inside parser_of (the programs are single-threaded when they describe themselves).
std::optional<Parser>* g_describing = nullptr;
}  // namespace

std::optional<Parser> parser_of(const std::function<int(const std::vector<std::string>&)>& run) {
  std::optional<Parser> found;
  g_describing = &found;
  run({"--help"});
  g_describing = nullptr;
  return found;
}

Opening open_command(const Parser& p, const std::vector<std::string>& argv) {
  Opening o;
  if (g_describing) {
    *g_describing = p;
    o.exit = kExitOk;
    return o;
  }
  auto args = p.parse(argv);
  if (!args) {
    o.exit = report(args.error());
    return o;
  }
  o.args = std::move(*args);
  if (o.args.help()) {
    std::fputs(p.help_text().c_str(), stdout);
    o.exit = kExitOk;
    return o;
  }
  auto json = json_output(o.args);
  if (!json) o.exit = report(json.error());
  else o.json = *json;
  return o;
}

}  // namespace awsdl_cli
