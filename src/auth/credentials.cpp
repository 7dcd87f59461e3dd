// The provider base and the providers that only combine others: static, chain, caching.

#include "awsdl/auth/credentials.hpp"

#include <mutex>

#include <fmt/format.h>

#include "auth/provider_support.hpp"

namespace awsdl::auth {

CredentialsProvider::~CredentialsProvider() = default;

namespace {

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials c) : c_(std::move(c)) {
    if (c_.source.empty()) c_.source = "static";
    internal::register_credentials_secrets(c_);
  }
  Result<Credentials> get() override {
    if (c_.access_key_id.empty() || c_.secret_access_key.empty())
      return internal::credentials_error("IncompleteCredentials",
                                         "static credentials need both an access key id and a secret access key");
    if (!c_.expiration) return c_;
    return internal::usable_credentials(c_, Runtime::system().clock->wall_now());
  }

 private:
  Credentials c_;
};

class ChainProvider final : public CredentialsProvider {
 public:
  explicit ChainProvider(std::vector<CredentialsProviderPtr> providers) : providers_(std::move(providers)) {}

  Result<Credentials> get() override {
    std::size_t remembered;
    {
      std::lock_guard lock(mu_);
      remembered = remembered_;
    }
    if (remembered < providers_.size()) {
      auto r = providers_[remembered]->get();
      // A provider that stopped being configured (say, the variables went away) sends us
      // back through the whole chain; any other failure is the answer.
      if (r.ok() || r.error().kind != ErrorKind::kNotFound) return r;
    }
    std::string tried;
    for (std::size_t i = 0; i < providers_.size(); ++i) {
      if (!providers_[i]) continue;
      auto r = providers_[i]->get();
      if (r.ok()) {
        std::lock_guard lock(mu_);
        remembered_ = i;
        return r;
      }
      if (r.error().kind != ErrorKind::kNotFound) return r;
      if (!tried.empty()) tried += "; ";
      tried += r.error().message;
    }
    {
      std::lock_guard lock(mu_);
      remembered_ = providers_.size();
    }
    return internal::credentials_not_configured(
        "no credentials found" + (tried.empty() ? std::string() : " (" + tried + ")") +
        ". Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a profile in ~/.aws/credentials "
        "or ~/.aws/config");
  }

 private:
  std::vector<CredentialsProviderPtr> providers_;
  std::mutex mu_;
  std::size_t remembered_ = static_cast<std::size_t>(-1);
};

constexpr auto kRefreshBefore = std::chrono::minutes(5);
// After a refresh that failed (or gave credentials already inside the refresh window) while
// the old ones are still good, wait this long before asking the source again, so a broken
// source is not hammered on every call.
constexpr auto kRetryRefreshAfter = std::chrono::seconds(30);

class CachingProvider final : public CredentialsProvider {
 public:
  CachingProvider(CredentialsProviderPtr inner, Runtime runtime)
      : inner_(std::move(inner)), runtime_(std::move(runtime)) {
    if (!runtime_.clock) runtime_ = Runtime::system();
  }

  Result<Credentials> get() override {
    if (!inner_) return internal::credentials_not_configured("no credentials provider to cache");
    {
      std::lock_guard lock(mu_);
      auto now = runtime_.clock->wall_now();
      if (fresh(now)) return *cached_;
    }
    // One refresh at a time; while one runs, others take still-valid credentials at once.
    std::unique_lock refresh(refresh_mu_, std::try_to_lock);
    if (!refresh.owns_lock()) {
      {
        std::lock_guard lock(mu_);
        if (cached_ && !cached_->expired(runtime_.clock->wall_now())) return *cached_;
      }
      refresh.lock();
    }
    {
      std::lock_guard lock(mu_);
      if (fresh(runtime_.clock->wall_now())) return *cached_;
    }
    auto r = inner_->get();
    std::lock_guard lock(mu_);
    auto now = runtime_.clock->wall_now();
    if (r.ok()) {
      if (!r->expired(now)) {
        internal::register_credentials_secrets(*r);
        cached_ = *r;
        retry_after_.reset();
        if (in_refresh_window(*cached_, now)) retry_after_ = now + kRetryRefreshAfter;
        return *cached_;
      }
      r = internal::usable_credentials(std::move(r).value(), now);  // the ExpiredToken error
    }
    if (cached_ && !cached_->expired(now)) {
      retry_after_ = now + kRetryRefreshAfter;
      return *cached_;
    }
    cached_.reset();
    return r;
  }

 private:
  static bool in_refresh_window(const Credentials& c, WallTime now) {
    return c.expiration && now >= *c.expiration - kRefreshBefore;
  }
  bool fresh(WallTime now) const {
    if (!cached_) return false;
    if (!in_refresh_window(*cached_, now)) return true;
    return retry_after_ && now < *retry_after_ && !cached_->expired(now);
  }

  CredentialsProviderPtr inner_;
  Runtime runtime_;
  std::mutex mu_;
  std::mutex refresh_mu_;
  std::optional<Credentials> cached_;
  std::optional<WallTime> retry_after_;
};

}  // namespace

CredentialsProviderPtr static_provider(Credentials credentials) {
  return std::make_shared<StaticProvider>(std::move(credentials));
}

CredentialsProviderPtr chain_provider(std::vector<CredentialsProviderPtr> providers) {
  return std::make_shared<ChainProvider>(std::move(providers));
}

CredentialsProviderPtr caching_provider(CredentialsProviderPtr inner, Runtime runtime) {
  return std::make_shared<CachingProvider>(std::move(inner), std::move(runtime));
}

}  // namespace awsdl::auth
