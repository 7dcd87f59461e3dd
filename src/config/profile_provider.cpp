// Credentials from a profile of the shared files: static keys, credential_process, and roles
// assumed through STS (from a source profile, chained, or from a web identity token).

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "auth/credential_process.hpp"
#include "auth/profile_files.hpp"
#include "auth/provider_support.hpp"
#include "config/sts_support.hpp"
#include "config/web_identity.hpp"
#include "awsdl/auth/credentials.hpp"
#include "awsdl/sts/sts.hpp"

namespace awsdl::auth {

namespace {

using Profile = ProfileSet::Profile;

std::string label(const std::string& name) { return "profile:" + name; }

bool has_static_keys(const Profile& p) { return p.get("aws_access_key_id").has_value(); }

Result<Credentials> static_keys(const Profile& p, WallTime now) {
  Credentials c;
  c.access_key_id = p.get("aws_access_key_id").value_or("");
  c.secret_access_key = p.get("aws_secret_access_key").value_or("");
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return internal::credentials_error(
        "IncompleteCredentials",
        fmt::format("profile '{}' has {} but no {}; set both aws_access_key_id and aws_secret_access_key", p.name,
                    c.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                    c.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
  // aws_security_token is the older name for the session token.
  c.session_token = p.get("aws_session_token").value_or(p.get("aws_security_token").value_or(""));
  c.source = label(p.name);
  return internal::usable_credentials(std::move(c), now);
}

Result<std::chrono::seconds> duration_setting(const Profile& p) {
  auto v = p.get("duration_seconds");
  if (!v) return std::chrono::seconds(3600);
  long long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 900 || n > 43200)
    return internal::credentials_error(
        "InvalidProfileSetting",
        fmt::format("profile '{}': duration_seconds must be a number of seconds from 900 to 43200", p.name));
  return std::chrono::seconds(n);
}

class ProfileProvider final : public CredentialsProvider {
 public:
  ProfileProvider(ProfileOptions options, std::shared_ptr<http::Transport> transport, Runtime runtime)
      : options_(std::move(options)), transport_(std::move(transport)), runtime_(std::move(runtime)) {
    if (!runtime_.clock) runtime_ = Runtime::system();
  }

  Result<Credentials> get() override {
    AWSDL_ASSIGN_OR_RETURN(auto set, ProfileSet::load(options_));
    auto name = ProfileSet::active_profile(options_);
    if (set.find(name) == nullptr) {
      auto where = fmt::format("{} or {}", internal::config_file_path(options_),
                               internal::credentials_file_path(options_));
      // A profile asked for by name must exist; the implicit "default" may be absent.
      if (internal::profile_explicitly_selected(options_))
        return Error::make(ErrorKind::kCredentials, "ProfileNotFound",
                           fmt::format("profile '{}' is not in {}", name, where));
      return internal::credentials_not_configured(fmt::format("profile '{}': not in {}", name, where));
    }
    std::vector<std::string> path;
    return resolve(set, name, path, false);
  }

 private:
  // `path` holds the profiles that led here, to refuse cycles of source_profile.
  Result<Credentials> resolve(const ProfileSet& set, const std::string& name, std::vector<std::string>& path,
                              bool as_source) {
    const Profile* p = set.find(name);
    if (p == nullptr)
      return internal::credentials_error(
          "ProfileNotFound", fmt::format("profile '{}' names source_profile '{}', which does not exist",
                                         path.empty() ? name : path.back(), name));
    auto now = runtime_.clock->wall_now();
    // As botocore: a source profile with keys of its own uses them, even if it has a role_arn.
    if (as_source && has_static_keys(*p)) return static_keys(*p, now);
    if (p->get("role_arn")) return assume_role(set, *p, path);
    if (has_static_keys(*p)) return static_keys(*p, now);
    if (auto cmd = p->get("credential_process"); cmd && !cmd->empty())
      return internal::credentials_from_process(*cmd, label(p->name), now);
    if (as_source)
      return internal::credentials_error(
          "InvalidProfileSetting",
          fmt::format("source profile '{}' has no credentials (no keys, credential_process or role_arn)", p->name));
    return internal::credentials_not_configured(
        fmt::format("profile '{}': no aws_access_key_id, credential_process or role_arn", p->name));
  }

  Result<Credentials> assume_role(const ProfileSet& set, const Profile& p, std::vector<std::string>& path) {
    auto role_arn = *p.get("role_arn");
    auto source_profile = p.get("source_profile");
    auto credential_source = p.get("credential_source");
    auto token_file = p.get("web_identity_token_file");
    AWSDL_ASSIGN_OR_RETURN(auto duration, duration_setting(p));
    auto region = p.get("region").value_or("");
    if (!transport_)
      return internal::credentials_error("NoTransport",
                                         fmt::format("profile '{}': no HTTP transport to reach STS", p.name));

    if (token_file && !source_profile && !credential_source) {
      internal::WebIdentitySettings s;
      s.token_file = *token_file;
      s.role_arn = role_arn;
      s.session_name = p.get("role_session_name").value_or("");
      s.region = region;
      s.duration = duration;
      s.source = label(p.name);
      return internal::web_identity_credentials(s, transport_, runtime_);
    }
    if (source_profile && credential_source)
      return internal::credentials_error(
          "InvalidProfileSetting",
          fmt::format("profile '{}' has both source_profile and credential_source; keep one", p.name));
    if (p.get("mfa_serial"))
      return internal::credentials_error(
          "InvalidProfileSetting",
          fmt::format("profile '{}' needs an MFA code (mfa_serial), which libawsdl cannot prompt for; use a "
                      "credential_process or temporary keys instead",
                      p.name));

    Result<Credentials> source = internal::credentials_not_configured("");
    if (source_profile) {
      bool self_with_keys = *source_profile == p.name && has_static_keys(p);
      bool seen = std::find(path.begin(), path.end(), *source_profile) != path.end() ||
                  (*source_profile == p.name && !self_with_keys);
      if (seen) {
        std::string chain;
        for (const auto& n : path) chain += n + " -> ";
        return internal::credentials_error(
            "InvalidProfileSetting",
            fmt::format("source_profile cycle: {}{} -> {}", chain, p.name, *source_profile));
      }
      path.push_back(p.name);
      source = resolve(set, *source_profile, path, true);
      path.pop_back();
    } else if (credential_source) {
      source = from_credential_source(p, *credential_source);
    } else {
      return internal::credentials_error(
          "InvalidProfileSetting",
          fmt::format("profile '{}' has role_arn but no source_profile, credential_source or "
                      "web_identity_token_file",
                      p.name));
    }
    if (!source) return std::move(source).error();

    sts::AssumeRoleRequest req;
    req.role_arn = role_arn;
    req.role_session_name = p.get("role_session_name").value_or(internal::default_role_session_name(runtime_));
    req.external_id = p.get("external_id").value_or("");
    req.duration = duration;
    auto context = fmt::format("profile '{}': assuming role {}", p.name, role_arn);
    auto config = internal::sts_config(std::move(source).value(), transport_, runtime_, region);
    if (!config) return internal::sts_failure(std::move(config).error(), context);
    sts::StsClient client(std::move(config).value());
    auto r = client.assume_role(req);
    if (!r) return internal::sts_failure(std::move(r).error(), context);
    auto c = std::move(r)->credentials;
    c.source = label(p.name);
    return internal::usable_credentials(std::move(c), runtime_.clock->wall_now());
  }

  Result<Credentials> from_credential_source(const Profile& p, const std::string& source) {
    CredentialsProviderPtr provider;
    if (source == "Environment") {
      provider = environment_provider();
    } else if (source == "Ec2InstanceMetadata") {
      provider = imds_provider(ImdsOptions{}, transport_, runtime_);
    } else {
      return internal::credentials_error(
          "InvalidProfileSetting",
          fmt::format("profile '{}': credential_source must be Environment or Ec2InstanceMetadata", p.name));
    }
    auto r = provider->get();
    if (!r && r.error().kind == ErrorKind::kNotFound) {
      auto e = std::move(r).error();
      return internal::credentials_error(
          "NoCredentials", fmt::format("profile '{}': credential_source {} has no credentials: {}", p.name, source,
                                       e.message));
    }
    return r;
  }

  ProfileOptions options_;
  std::shared_ptr<http::Transport> transport_;
  Runtime runtime_;
};

}  // namespace

CredentialsProviderPtr profile_provider(ProfileOptions options, std::shared_ptr<http::Transport> transport,
                                        Runtime runtime) {
  return std::make_shared<ProfileProvider>(std::move(options), std::move(transport), std::move(runtime));
}

}  // namespace auth
