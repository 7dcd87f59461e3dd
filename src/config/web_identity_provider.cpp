// Credentials for a role from a web identity token: AWS_WEB_IDENTITY_TOKEN_FILE,
// AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME (how EKS service accounts get credentials).

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "auth/provider_support.hpp"
#include "config/sts_support.hpp"
#include "config/web_identity.hpp"
#include "awsdl/auth/credentials.hpp"
#include "awsdl/core/log.hpp"
#include "awsdl/sts/sts.hpp"

namespace awsdl {
namespace internal {

namespace {

constexpr std::size_t kMaxTokenBytes = 64 * 1024;

Result<std::string> read_token(const WebIdentitySettings& s) {
  std::ifstream in(expand_tilde(s.token_file), std::ios::binary);
  if (!in)
    return credentials_error("WebIdentityTokenUnreadable",
                             fmt::format("{}: cannot read the web identity token file {}", s.source, s.token_file));
  std::string token(kMaxTokenBytes + 1, '\0');
  in.read(token.data(), static_cast<std::streamsize>(token.size()));
  token.resize(static_cast<std::size_t>(in.gcount()));
  if (token.size() > kMaxTokenBytes)
    return credentials_error("WebIdentityTokenUnreadable",
                             fmt::format("{}: the web identity token file {} is larger than {} KiB", s.source,
                                         s.token_file, kMaxTokenBytes / 1024));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty())
    return credentials_error("WebIdentityTokenUnreadable",
                             fmt::format("{}: the web identity token file {} is empty", s.source, s.token_file));
  register_secret(token);
  return token;
}

}  // namespace

Result<auth::Credentials> web_identity_credentials(const WebIdentitySettings& settings,
                                                   std::shared_ptr<http::Transport> transport, Runtime runtime) {
  AWSDL_ASSIGN_OR_RETURN(auto token, read_token(settings));
  if (!runtime.clock) runtime = Runtime::system();
  sts::AssumeRoleWithWebIdentityRequest req;
  req.role_arn = settings.role_arn;
  req.role_session_name = settings.session_name.empty() ? default_role_session_name(runtime) : settings.session_name;
  req.web_identity_token = std::move(token);
  req.duration = settings.duration;
  auto config = sts_config(std::nullopt, std::move(transport), runtime, settings.region);
  if (!config) return sts_failure(std::move(config).error(), settings.source);
  sts::StsClient client(std::move(config).value());
  auto r = client.assume_role_with_web_identity(req);
  if (!r)
    return sts_failure(std::move(r).error(),
                       fmt::format("{}: assuming role {} with a web identity", settings.source, settings.role_arn));
  auto c = std::move(r)->credentials;
  c.source = settings.source;
  return usable_credentials(std::move(c), runtime.clock->wall_now());
}

}  // namespace internal

namespace auth {

namespace {

class WebIdentityProvider final : public CredentialsProvider {
 public:
  WebIdentityProvider(std::shared_ptr<http::Transport> transport, Runtime runtime)
      : transport_(std::move(transport)), runtime_(std::move(runtime)) {}

  Result<Credentials> get() override {
    auto token_file = internal::env_value("AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!token_file) return internal::credentials_not_configured("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set");
    auto role = internal::env_value("AWS_ROLE_ARN");
    if (!role)
      return internal::credentials_error("IncompleteWebIdentity",
                                         "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; set both");
    if (!transport_)
      return internal::credentials_error("NoTransport", "web identity: no HTTP transport to reach STS");
    internal::WebIdentitySettings s;
    s.token_file = *token_file;
    s.role_arn = *role;
    s.session_name = internal::env_value("AWS_ROLE_SESSION_NAME").value_or("");
    s.region = internal::env_value("AWS_REGION").value_or(internal::env_value("AWS_DEFAULT_REGION").value_or(""));
    s.source = "web identity";
    return internal::web_identity_credentials(s, transport_, runtime_);
  }

 private:
  std::shared_ptr<http::Transport> transport_;
  Runtime runtime_;
};

}  // namespace

CredentialsProviderPtr web_identity_provider(std::shared_ptr<http::Transport> transport, Runtime runtime) {
  return std::make_shared<WebIdentityProvider>(std::move(transport), std::move(runtime));
}

}  // namespace auth
}  // namespace awsdl
