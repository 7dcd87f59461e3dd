// Credentials providers, the default chain, caching, IMDS, and Config::from_environment.
// No network: STS and IMDS answer through a FakeTransport; credential_process runs real
// little scripts in a temporary directory.

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "auth/credential_process.hpp"
#include "auth/provider_support.hpp"
#include "awsdl/auth/credentials.hpp"
#include "awsdl/config.hpp"
#include "awsdl/testing/fake_transport.hpp"
#include "support/scoped_env.hpp"

namespace {

using namespace std::chrono_literals;
using awsdl::Error;
using awsdl::ErrorKind;
using awsdl::ManualClock;
using awsdl::Result;
using awsdl::Runtime;
using awsdl::WallTime;
using awsdl::auth::Credentials;
using awsdl::auth::CredentialsProvider;
using awsdl::auth::ProfileOptions;
using awsdl::testing::FakeTransport;
using awsdl::testsupport::ScopedEnv;
using awsdl::testsupport::TempDir;

constexpr const char* kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kKeyId2 = "AKIDEXAMPLE";
constexpr const char* kSecret2 = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kToken = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789";

std::string iso(WallTime t) { return awsdl::internal::format_timestamp(t); }
WallTime now() { return std::chrono::system_clock::now(); }

// No error message may carry a secret or a token.
void expect_no_secret(const Error& e) {
  auto s = e.to_string() + " " + e.message;
  EXPECT_EQ(s.find("wJalrXUtnFEMI"), std::string::npos) << "secret key in error";
  EXPECT_EQ(s.find("EXAMPLESESSIONTOKEN"), std::string::npos) << "session token in error";
  EXPECT_EQ(s.find("EXAMPLEKEY"), std::string::npos) << "secret key in error";
}

class ProvidersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir.ok());
    env.clear_prefix("AWS_");
    env.set("HOME", dir.path().string());
    // Nothing in this file may reach a real metadata service, whatever a test forgets.
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
  }
  ProfileOptions files(const std::string& config, const std::string& credentials) {
    ProfileOptions o;
    o.config_file = dir.write("config", config);
    o.credentials_file = dir.write("credentials", credentials);
    return o;
  }
  std::string static_profile(const std::string& name, const char* id = kKeyId, const char* secret = kSecret) {
    return "[" + name + "]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n";
  }

  ScopedEnv env;
  TempDir dir;
};

// ---------------------------------------------------------------- environment, static

TEST_F(ProvidersTest, EnvironmentProvider) {
  auto p = awsdl::auth::environment_provider();
  auto none = p->get();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kNotFound);

  env.set("AWS_ACCESS_KEY_ID", kKeyId);
  env.set("AWS_SECRET_ACCESS_KEY", kSecret);
  auto c = p->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, "");
  EXPECT_EQ(c->source, "environment");
  EXPECT_FALSE(c->expiration);

  env.set("AWS_SESSION_TOKEN", kToken);
  env.set("AWS_CREDENTIAL_EXPIRATION", iso(now() + 1h));
  c = p->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->session_token, kToken);
  ASSERT_TRUE(c->expiration);
  EXPECT_NEAR(std::chrono::duration<double>(*c->expiration - now()).count(), 3600, 5);
  // Secrets are registered for redaction as soon as they are loaded.
  EXPECT_EQ(awsdl::redact(std::string("key ") + kSecret + " token " + kToken).find("EXAMPLE"), std::string::npos);
}

TEST_F(ProvidersTest, EnvironmentPartialOrExpiredIsAnError) {
  auto p = awsdl::auth::environment_provider();
  env.set("AWS_ACCESS_KEY_ID", kKeyId);
  auto r = p->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_NE(r.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);

  env.unset("AWS_ACCESS_KEY_ID");
  env.set("AWS_SECRET_ACCESS_KEY", kSecret);
  r = p->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_NE(r.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  expect_no_secret(r.error());

  env.set("AWS_ACCESS_KEY_ID", kKeyId);
  env.set("AWS_CREDENTIAL_EXPIRATION", iso(now() - 1min));
  r = p->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "ExpiredToken");
  expect_no_secret(r.error());

  env.set("AWS_CREDENTIAL_EXPIRATION", "tomorrow");
  r = p->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
}

TEST_F(ProvidersTest, StaticProvider) {
  auto p = awsdl::auth::static_provider(Credentials{kKeyId, kSecret, kToken, std::nullopt, ""});
  auto c = p->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->source, "static");

  auto incomplete = awsdl::auth::static_provider(Credentials{kKeyId, "", "", std::nullopt, ""})->get();
  ASSERT_FALSE(incomplete.ok());
  EXPECT_EQ(incomplete.error().kind, ErrorKind::kCredentials);

  auto expired = awsdl::auth::static_provider(Credentials{kKeyId, kSecret, kToken, now() - 1s, "mine"})->get();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "ExpiredToken");
  EXPECT_NE(expired.error().message.find("mine"), std::string::npos);
  expect_no_secret(expired.error());
}

// ---------------------------------------------------------------- profiles

TEST_F(ProvidersTest, ProfileStaticKeys) {
  auto opts = files("[profile dev]\nregion = eu-west-1\n",
                    static_profile("default") + "[dev]\naws_access_key_id = " + kKeyId2 +
                        "\naws_secret_access_key = " + kSecret2 + "\naws_session_token = " + kToken + "\n");
  auto def = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->access_key_id, kKeyId);
  EXPECT_EQ(def->source, "profile:default");

  opts.profile = "dev";
  auto dev = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_TRUE(dev.ok()) << dev.error().to_string();
  EXPECT_EQ(dev->access_key_id, kKeyId2);
  EXPECT_EQ(dev->secret_access_key, kSecret2);
  EXPECT_EQ(dev->session_token, kToken);
  EXPECT_EQ(dev->source, "profile:dev");

  // AWS_PROFILE selects too.
  opts.profile.clear();
  env.set("AWS_PROFILE", "dev");
  auto via_env = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_TRUE(via_env.ok());
  EXPECT_EQ(via_env->access_key_id, kKeyId2);
}

TEST_F(ProvidersTest, ProfileMissingOrIncomplete) {
  auto opts = files("[profile empty]\nregion = eu-west-1\n",
                    std::string("[half]\naws_access_key_id = ") + kKeyId + "\n");
  // The implicit default profile may be absent: "not configured", the chain moves on.
  auto r = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  // A profile asked for by name must exist.
  opts.profile = "nope";
  r = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "ProfileNotFound");
  EXPECT_NE(r.error().message.find("'nope'"), std::string::npos);
  // A profile without credentials of any kind.
  opts.profile = "empty";
  r = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  // Half a key pair.
  opts.profile = "half";
  r = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "IncompleteCredentials");
}

TEST_F(ProvidersTest, ProfileMalformedFileIsAParseError) {
  auto opts = files("[default]\nregion = us-east-1\n", std::string("[default]\n") + kSecret + "\n");
  auto r = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos);
  expect_no_secret(r.error());
}

// ---------------------------------------------------------------- credential_process

std::string process_json(const std::string& expiration) {
  std::string j = std::string(R"({"Version": 1, "AccessKeyId": ")") + kKeyId + R"(", "SecretAccessKey": ")" +
                  kSecret + R"(", "SessionToken": ")" + kToken + "\"";
  if (!expiration.empty()) j += R"(, "Expiration": ")" + expiration + "\"";
  return j + "}";
}

TEST_F(ProvidersTest, CredentialProcessSuccess) {
  auto exp = now() + 2h;
  dir.write("creds.json", process_json(iso(exp)));
  auto script = dir.write("helper.sh", "#!/bin/sh\n[ \"$1\" = \"--account\" ] || exit 9\ncat \"$2\"\n", true);
  auto opts = files("[profile proc]\ncredential_process = " + script + " --account '" + dir.file("creds.json") + "'\n", "");
  opts.profile = "proc";
  auto c = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(*c->expiration - std::chrono::floor<std::chrono::seconds>(exp)).count(), 0);
  EXPECT_EQ(c->source, "profile:proc");

  // Static keys win over credential_process in the same profile (as in botocore).
  auto both = files(std::string("[profile proc]\ncredential_process = /bin/false\naws_access_key_id = ") + kKeyId2 +
                        "\naws_secret_access_key = " + kSecret2 + "\n",
                    "");
  both.profile = "proc";
  auto s = awsdl::auth::profile_provider(both, nullptr, Runtime::system())->get();
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->access_key_id, kKeyId2);
}

TEST_F(ProvidersTest, CredentialProcessWithoutExpiration) {
  auto c = awsdl::internal::credentials_from_process("printf '%s' '" + process_json("") + "'", "test", now());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_FALSE(c->expiration);
  EXPECT_EQ(c->access_key_id, kKeyId);
}

TEST_F(ProvidersTest, CredentialProcessNonZeroExit) {
  auto script = dir.write("fail.sh",
                          std::string("#!/bin/sh\necho 'token has expired, run login' >&2\n"
                                      "echo 'second line' >&2\n"
                                      "echo '") +
                              process_json("") + "'\nexit 3\n",
                          true);
  auto opts = files("[default]\ncredential_process = " + script + "\n", "");
  auto r = awsdl::auth::profile_provider(opts, nullptr, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "CredentialProcessFailed");
  EXPECT_NE(r.error().message.find("status 3"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("token has expired, run login"), std::string::npos) << r.error().message;
  expect_no_secret(r.error());
}

TEST_F(ProvidersTest, CredentialProcessSecretOnStderrIsRedacted) {
  awsdl::register_secret(kSecret2);  // what the process prints was loaded before
  auto r = awsdl::internal::credentials_from_process(std::string("echo 'bad secret ") + kSecret2 + "' >&2; exit 1",
                                                     "test", now());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("bad secret"), std::string::npos);
  expect_no_secret(r.error());
}

// A helper that prints its secret on stderr, in the forms helpers print it, with nothing
// registered beforehand: the error shows the exit status and the helper's first line, and
// never the secret.
TEST_F(ProvidersTest, CredentialProcessUnregisteredSecretOnStderrStaysOut) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSTDERRONLYKEY";  // registered nowhere
  const std::string token = "IQoJb3JpZ2luX2VjEHsaCXVzLWVhc3QtMSJHMEUCIQDxSTDERRONLYEXAMPLESESSIONTOKEN0123456789";
  struct Case {
    std::string stderr_text;
    const char* shown;  // expected in the message
  } cases[] = {
      {"refresh failed: the SSO session expired\nSecretAccessKey: " + secret + "\n", "the SSO session expired"},
      {"debug: {'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE', 'SecretAccessKey': '" + secret + "', 'SessionToken': '" +
           token + "'}\n",
       "debug: {'AccessKeyId': 'AKIAIOSFODNN7EXAMPLE'"},
      {"SecretAccessKey=" + secret + " SessionToken=" + token + "\n", "SecretAccessKey=[redacted]"},
      {secret + "\n", "exited with status 5"},
      {"cannot write the cache file\n" + secret + "\n" + token + "\n", "cannot write the cache file"},
      {"  \n\ncould not refresh: token " + token + " was refused\n", "could not refresh: token [redacted] was refused"},
  };
  for (const auto& c : cases) {
    auto script = dir.write("leaky.sh", "#!/bin/sh\ncat >&2 <<'EOF'\n" + c.stderr_text + "EOF\nexit 5\n", true);
    auto r = awsdl::internal::credentials_from_process(script, "profile:leaky", now());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "CredentialProcessFailed");
    const std::string all = r.error().message + " " + r.error().to_string();
    EXPECT_NE(all.find("status 5"), std::string::npos) << all;
    EXPECT_NE(all.find(c.shown), std::string::npos) << all;
    EXPECT_EQ(all.find("STDERRONLY"), std::string::npos) << "secret from stderr in: " << all;
    EXPECT_EQ(all.find(secret.substr(0, 13)), std::string::npos) << all;
  }
}

TEST_F(ProvidersTest, CredentialProcessBadOutput) {
  struct Case {
    std::string out;
    const char* expect;
  } cases[] = {
      {std::string("not json but a secret ") + kSecret, "invalid JSON"},
      {"[1, 2]", "not an object"},
      {std::string(R"({"Version": 2, "AccessKeyId": "a", "SecretAccessKey": ")") + kSecret + "\"}", "Version"},
      {R"({"Version": 1, "SecretAccessKey": "x"})", "AccessKeyId"},
      {std::string(R"({"Version": 1, "AccessKeyId": "AKIDEXAMPLE"})"), "SecretAccessKey"},
      {process_json("next tuesday"), "Expiration"},
  };
  for (const auto& c : cases) {
    auto script = dir.write("out.sh", "#!/bin/sh\ncat <<'EOF'\n" + c.out + "\nEOF\n", true);
    auto r = awsdl::internal::credentials_from_process(script, "profile:x", now());
    ASSERT_FALSE(r.ok()) << c.out;
    EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    expect_no_secret(r.error());
  }
}

TEST_F(ProvidersTest, CredentialProcessDeeplyNestedOutput) {
  // 300,000 levels: an error, not a stack overflow in the JSON parser.
  auto r = awsdl::internal::parse_credential_process_output("{\"Version\": 1, \"x\": " + std::string(300000, '['),
                                                            "profile:deep");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "InvalidCredentialProcessOutput");
  EXPECT_NE(r.error().message.find("invalid JSON"), std::string::npos) << r.error().message;
}

TEST_F(ProvidersTest, CredentialProcessExpired) {
  auto r = awsdl::internal::credentials_from_process("printf '%s' '" + process_json(iso(now() - 10s)) + "'",
                                                     "profile:old", now());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "ExpiredToken");
  EXPECT_NE(r.error().message.find("profile:old"), std::string::npos);
  expect_no_secret(r.error());
}

TEST_F(ProvidersTest, CredentialProcessTimeoutKillsTheProcessGroup) {
  auto marker = dir.file("still-running");
  auto start = std::chrono::steady_clock::now();
  // The background child holds stdout open; the timeout must not wait for it.
  auto r = awsdl::internal::credentials_from_process("(sleep 2; touch " + marker + ") & sleep 30", "profile:slow",
                                                     now(), 300ms);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_LT(took, 2s);
  std::this_thread::sleep_for(2500ms);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "a process of the timed-out command survived";
}

// ---------------------------------------------------------------- STS through a fake transport

std::string assume_role_xml(const char* action, const std::string& key_id, const std::string& secret,
                            const std::string& token, WallTime expiration) {
  return std::string("<") + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/dev/s</Arn>"
         "<AssumedRoleId>AROA3XFRBF535EXAMPLE:s</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>" +
         key_id + "</AccessKeyId><SecretAccessKey>" + secret + "</SecretAccessKey><SessionToken>" + token +
         "</SessionToken><Expiration>" + iso(expiration) + "</Expiration></Credentials></" + action +
         "Result><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></" +
         action + "Response>";
}

std::string header(const awsdl::http::Request& r, const char* name) {
  auto v = r.headers.get(name);
  return v ? std::string(*v) : std::string();
}

TEST_F(ProvidersTest, AssumeRoleFromSourceProfile) {
  env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4599");
  auto opts = files("[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n"
                    "role_session_name = build-42\nexternal_id = ext-1\nduration_seconds = 1800\nregion = eu-west-1\n",
                    static_profile("base", kKeyId2, kSecret2));
  opts.profile = "dev";
  auto fake = std::make_shared<FakeTransport>();
  fake->push(200, assume_role_xml("AssumeRole", "ASIAEXAMPLEASSUMED01", kSecret, kToken, now() + 30min));
  auto c = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, "ASIAEXAMPLEASSUMED01");
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->source, "profile:dev");
  ASSERT_TRUE(c->expiration);

  ASSERT_EQ(fake->request_count(), 1u);
  auto req = fake->requests()[0];
  EXPECT_EQ(req.host, "127.0.0.1:4599");
  EXPECT_NE(req.body.find("Action=AssumeRole"), std::string::npos);
  EXPECT_NE(req.body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdev"), std::string::npos) << req.body;
  EXPECT_NE(req.body.find("RoleSessionName=build-42"), std::string::npos);
  EXPECT_NE(req.body.find("ExternalId=ext-1"), std::string::npos);
  EXPECT_NE(req.body.find("DurationSeconds=1800"), std::string::npos);
  auto auth = header(req, "Authorization");
  EXPECT_NE(auth.find("Credential=AKIDEXAMPLE/"), std::string::npos) << "signed with the source profile's key";
  EXPECT_NE(auth.find("/eu-west-1/sts/"), std::string::npos) << "signed for the profile's region";
}

TEST_F(ProvidersTest, ChainedRolesUseEachPreviousRolesCredentials) {
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:4598");
  auto opts = files("[profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = middle\n"
                    "[profile middle]\nrole_arn = arn:aws:iam::123456789012:role/middle\nsource_profile = base\n",
                    static_profile("base"));
  opts.profile = "top";
  auto fake = std::make_shared<FakeTransport>();
  fake->push(200, assume_role_xml("AssumeRole", "ASIAEXAMPLEMIDDLE001", kSecret2, kToken, now() + 1h));
  fake->push(200, assume_role_xml("AssumeRole", "ASIAEXAMPLETOP000001", kSecret, kToken, now() + 1h));
  auto c = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, "ASIAEXAMPLETOP000001");
  ASSERT_EQ(fake->request_count(), 2u);
  auto reqs = fake->requests();
  EXPECT_EQ(reqs[0].host, "127.0.0.1:4598");
  EXPECT_NE(reqs[0].body.find("role%2Fmiddle"), std::string::npos);
  EXPECT_NE(header(reqs[0], "Authorization").find(std::string("Credential=") + kKeyId), std::string::npos);
  EXPECT_NE(reqs[1].body.find("role%2Ftop"), std::string::npos);
  EXPECT_NE(header(reqs[1], "Authorization").find("Credential=ASIAEXAMPLEMIDDLE001"), std::string::npos);
  EXPECT_EQ(header(reqs[1], "X-Amz-Security-Token"), kToken);
}

TEST_F(ProvidersTest, SourceProfileCyclesAreRefused) {
  auto opts = files("[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n"
                    "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n"
                    "[profile selfish]\nrole_arn = arn:aws:iam::123456789012:role/s\nsource_profile = selfish\n"
                    "[profile dangling]\nrole_arn = arn:aws:iam::123456789012:role/d\nsource_profile = ghost\n"
                    "[profile nosource]\nrole_arn = arn:aws:iam::123456789012:role/n\n",
                    "");
  auto fake = std::make_shared<FakeTransport>();
  for (const char* name : {"a", "selfish"}) {
    opts.profile = name;
    auto r = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
    EXPECT_NE(r.error().message.find("cycle"), std::string::npos) << r.error().message;
  }
  opts.profile = "dangling";
  auto r = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ProfileNotFound");
  EXPECT_NE(r.error().message.find("ghost"), std::string::npos);
  opts.profile = "nosource";
  r = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(fake->request_count(), 0u) << "no STS call for a broken profile";
}

TEST_F(ProvidersTest, SelfReferencingProfileWithKeysAssumesItsRole) {
  auto opts = files("", static_profile("me") + "role_arn = arn:aws:iam::123456789012:role/me\nsource_profile = me\n");
  opts.profile = "me";
  auto fake = std::make_shared<FakeTransport>();
  fake->push(200, assume_role_xml("AssumeRole", "ASIAEXAMPLESELF00001", kSecret2, kToken, now() + 1h));
  auto c = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, "ASIAEXAMPLESELF00001");
  ASSERT_EQ(fake->request_count(), 1u);
  EXPECT_NE(header(fake->requests()[0], "Authorization").find(std::string("Credential=") + kKeyId), std::string::npos);
}

TEST_F(ProvidersTest, AssumeRoleServiceErrorKeepsCodeAndAddsContext) {
  auto opts = files("[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n",
                    static_profile("base"));
  opts.profile = "dev";
  auto fake = std::make_shared<FakeTransport>();
  fake->push(403,
             "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
             "<Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error>"
             "<RequestId>4e4c0b3a-0000-0000-0000-000000000000</RequestId></ErrorResponse>");
  auto r = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AccessDenied");
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_NE(r.error().message.find("profile 'dev': assuming role arn:aws:iam::123456789012:role/dev"),
            std::string::npos)
      << r.error().message;
  expect_no_secret(r.error());
}

TEST_F(ProvidersTest, WebIdentityFromProfileAndFromEnvironment) {
  auto token_file = dir.write("token.jwt", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJlZXhhbXBsZQ\n");
  auto opts = files("[profile eks]\nrole_arn = arn:aws:iam::123456789012:role/eks\nweb_identity_token_file = " +
                        token_file + "\nrole_session_name = pod-1\n",
                    "");
  opts.profile = "eks";
  auto fake = std::make_shared<FakeTransport>();
  fake->push(200, assume_role_xml("AssumeRoleWithWebIdentity", "ASIAEXAMPLEWEBID0001", kSecret, kToken, now() + 1h));
  auto c = awsdl::auth::profile_provider(opts, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, "ASIAEXAMPLEWEBID0001");
  EXPECT_EQ(c->source, "profile:eks");
  ASSERT_EQ(fake->request_count(), 1u);
  auto req = fake->requests()[0];
  EXPECT_NE(req.body.find("Action=AssumeRoleWithWebIdentity"), std::string::npos);
  EXPECT_NE(req.body.find("WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJlZXhhbXBsZQ&"),
            std::string::npos)
      << "token sent, trailing newline trimmed";
  EXPECT_NE(req.body.find("RoleSessionName=pod-1"), std::string::npos);
  EXPECT_FALSE(req.headers.has("Authorization")) << "AssumeRoleWithWebIdentity is sent unsigned";

  // The same through the environment.
  auto web = awsdl::auth::web_identity_provider(fake, Runtime::system());
  auto none = web->get();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kNotFound);
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file);
  auto partial = web->get();
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.error().kind, ErrorKind::kCredentials) << "a token file without a role is a mistake";
  env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/env-role");
  env.set("AWS_ROLE_SESSION_NAME", "env-session");
  fake->push(200, assume_role_xml("AssumeRoleWithWebIdentity", "ASIAEXAMPLEWEBID0002", kSecret, kToken, now() + 1h));
  auto e = web->get();
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(e->access_key_id, "ASIAEXAMPLEWEBID0002");
  req = fake->requests().back();
  EXPECT_NE(req.body.find("role%2Fenv-role"), std::string::npos);
  EXPECT_NE(req.body.find("RoleSessionName=env-session"), std::string::npos);

  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.file("missing.jwt"));
  auto missing = web->get();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kCredentials);
  EXPECT_NE(missing.error().message.find("missing.jwt"), std::string::npos);
}

// ---------------------------------------------------------------- chain and default chain

class CountingProvider final : public CredentialsProvider {
 public:
  explicit CountingProvider(Result<Credentials> answer) : answer_(std::move(answer)) {}
  Result<Credentials> get() override {
    ++calls;
    std::lock_guard lock(mu_);
    if (delay.count()) std::this_thread::sleep_for(delay);
    return answer_;
  }
  void set(Result<Credentials> answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }
  std::atomic<int> calls{0};
  std::chrono::milliseconds delay{0};

 private:
  std::mutex mu_;
  Result<Credentials> answer_;
};

Credentials creds(const char* id, std::optional<WallTime> exp = std::nullopt) {
  return Credentials{id, kSecret, "", exp, std::string("counting:") + id};
}

TEST_F(ProvidersTest, ChainTakesTheFirstAndRemembersIt) {
  auto missing = std::make_shared<CountingProvider>(awsdl::internal::credentials_not_configured("first: nothing"));
  auto second = std::make_shared<CountingProvider>(creds("SECOND"));
  auto third = std::make_shared<CountingProvider>(creds("THIRD"));
  auto chain = awsdl::auth::chain_provider({missing, second, third});
  for (int i = 0; i < 3; ++i) {
    auto c = chain->get();
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->access_key_id, "SECOND");
  }
  EXPECT_EQ(missing->calls, 1) << "the provider that worked is asked first next time";
  EXPECT_EQ(second->calls, 3);
  EXPECT_EQ(third->calls, 0);

  // When the remembered one stops being configured, the chain starts over.
  second->set(awsdl::internal::credentials_not_configured("second: gone"));
  auto c = chain->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "THIRD");
}

TEST_F(ProvidersTest, ChainStopsAtARealErrorAndReportsWhatItTried) {
  auto missing = std::make_shared<CountingProvider>(awsdl::internal::credentials_not_configured("first: nothing"));
  auto broken = std::make_shared<CountingProvider>(awsdl::internal::credentials_error("Broken", "second is broken"));
  auto third = std::make_shared<CountingProvider>(creds("THIRD"));
  auto r = awsdl::auth::chain_provider({missing, broken, third})->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "Broken");
  EXPECT_EQ(third->calls, 0);

  auto none = awsdl::auth::chain_provider(
      {missing, std::make_shared<CountingProvider>(awsdl::internal::credentials_not_configured("second: none"))});
  r = none->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().code, "NoCredentials");
  EXPECT_NE(r.error().message.find("first: nothing"), std::string::npos);
  EXPECT_NE(r.error().message.find("second: none"), std::string::npos);
}

TEST_F(ProvidersTest, DefaultChainOrder) {
  env.set("AWS_EC2_METADATA_DISABLED", "true");
  auto fake = std::make_shared<FakeTransport>();
  auto opts = files("", static_profile("default", kKeyId2, kSecret2) + static_profile("named", kKeyId2, kSecret2));
  ProfileOptions implicit{"", opts.credentials_file, opts.config_file};

  // Profile only.
  auto c = awsdl::auth::default_chain(implicit, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->source, "profile:default");
  // The environment beats the profile...
  env.set("AWS_ACCESS_KEY_ID", kKeyId);
  env.set("AWS_SECRET_ACCESS_KEY", kSecret);
  c = awsdl::auth::default_chain(implicit, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->source, "environment");
  EXPECT_EQ(c->access_key_id, kKeyId);
  // ...also over AWS_PROFILE...
  env.set("AWS_PROFILE", "named");
  c = awsdl::auth::default_chain(implicit, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->source, "environment");
  // ...but not over a profile the caller names (as botocore's --profile).
  ProfileOptions named{"named", opts.credentials_file, opts.config_file};
  c = awsdl::auth::default_chain(named, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->source, "profile:named");
  // A half-set environment is an error, not a reason to use the profile.
  env.unset("AWS_SECRET_ACCESS_KEY");
  env.unset("AWS_PROFILE");
  auto r = awsdl::auth::default_chain(implicit, fake, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "IncompleteCredentials");
  EXPECT_EQ(fake->request_count(), 0u) << "IMDS is disabled: nothing may be sent";
}

TEST_F(ProvidersTest, DefaultChainWithNothingIsNoCredentialsAndFast) {
  auto fake = std::make_shared<FakeTransport>();
  fake->push_error(Error::make(ErrorKind::kTimeout, "Timeout", "connect timed out"));
  ProfileOptions none{"", dir.file("none-creds"), dir.file("none-config")};
  auto r = awsdl::auth::default_chain(none, fake, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().code, "NoCredentials");
  EXPECT_NE(r.error().message.find("IMDS"), std::string::npos) << r.error().message;
  EXPECT_EQ(fake->request_count(), 1u) << "one token attempt, then give up";
}

// ---------------------------------------------------------------- caching

TEST_F(ProvidersTest, CachingRefreshesFiveMinutesBeforeExpiry) {
  auto clock = std::make_shared<ManualClock>();
  Runtime rt{clock, clock, std::make_shared<awsdl::FixedRandom>()};
  auto inner = std::make_shared<CountingProvider>(creds("FIRST", clock->wall_now() + 1h));
  auto cache = awsdl::auth::caching_provider(inner, rt);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cache->get().ok());
  EXPECT_EQ(inner->calls, 1);

  clock->advance(54min);  // 6 minutes left: still good
  auto c = cache->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "FIRST");
  EXPECT_EQ(inner->calls, 1);

  inner->set(creds("SECOND", clock->wall_now() + 1h));
  clock->advance(1min + 1s);  // inside the 5-minute window: refresh
  c = cache->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "SECOND");
  EXPECT_EQ(inner->calls, 2);
  ASSERT_TRUE(cache->get().ok());
  EXPECT_EQ(inner->calls, 2);
}

TEST_F(ProvidersTest, CachingKeepsOldCredentialsWhenRefreshFailsWhileValid) {
  auto clock = std::make_shared<ManualClock>();
  Runtime rt{clock, clock, std::make_shared<awsdl::FixedRandom>()};
  auto inner = std::make_shared<CountingProvider>(creds("FIRST", clock->wall_now() + 10min));
  auto cache = awsdl::auth::caching_provider(inner, rt);
  ASSERT_TRUE(cache->get().ok());
  inner->set(awsdl::internal::credentials_error("RefreshFailed", "the source is down"));
  clock->advance(6min);  // 4 minutes left
  auto c = cache->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, "FIRST");
  EXPECT_EQ(inner->calls, 2);
  // A broken source is not asked again on every call...
  ASSERT_TRUE(cache->get().ok());
  EXPECT_EQ(inner->calls, 2);
  // ...but is after a short pause.
  clock->advance(31s);
  ASSERT_TRUE(cache->get().ok());
  EXPECT_EQ(inner->calls, 3);
  // Once they expire, the error comes through.
  clock->advance(4min);
  auto r = cache->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "RefreshFailed");
}

TEST_F(ProvidersTest, CachingRejectsExpiredCredentials) {
  auto clock = std::make_shared<ManualClock>();
  Runtime rt{clock, clock, std::make_shared<awsdl::FixedRandom>()};
  auto inner = std::make_shared<CountingProvider>(creds("STALE", clock->wall_now() - 1s));
  auto r = awsdl::auth::caching_provider(inner, rt)->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "ExpiredToken");
  expect_no_secret(r.error());
}

TEST_F(ProvidersTest, CachingIsThreadSafeAndFetchesOnce) {
  auto clock = std::make_shared<ManualClock>();
  Runtime rt{clock, clock, std::make_shared<awsdl::FixedRandom>()};
  auto inner = std::make_shared<CountingProvider>(creds("ONCE", clock->wall_now() + 1h));
  inner->delay = 50ms;
  auto cache = awsdl::auth::caching_provider(inner, rt);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j)
        if (auto c = cache->get(); c.ok() && c->access_key_id == "ONCE") ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 160);
  EXPECT_EQ(inner->calls, 1);
}

// ---------------------------------------------------------------- IMDS

std::string imds_json(const std::string& code, WallTime exp) {
  return R"({"Code": ")" + code + R"(", "LastUpdated": "2024-01-01T00:00:00Z", "Type": "AWS-HMAC", "AccessKeyId": ")" +
         kKeyId + R"(", "SecretAccessKey": ")" + kSecret + R"(", "Token": ")" + kToken + R"(", "Expiration": ")" +
         iso(exp) + "\"}";
}

TEST_F(ProvidersTest, ImdsDeeplyNestedCredentials) {
  auto fake = std::make_shared<FakeTransport>();
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "my-instance-role\n");
  fake->push(200, "{\"Code\": \"Success\", \"x\": " + std::string(300000, '['));
  awsdl::auth::ImdsOptions o;
  o.endpoint = "http://127.0.0.1:8111";
  auto c = awsdl::auth::imds_provider(o, fake, Runtime::system())->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "ImdsMalformedCredentials") << c.error().to_string();
}

TEST_F(ProvidersTest, ImdsTokenThenRoleThenCredentials) {
  auto fake = std::make_shared<FakeTransport>();
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "my-instance-role\n");
  fake->push(200, imds_json("Success", now() + 6h));
  awsdl::auth::ImdsOptions o;
  o.endpoint = "http://127.0.0.1:8111";
  auto c = awsdl::auth::imds_provider(o, fake, Runtime::system())->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->source, "imds:my-instance-role");
  ASSERT_TRUE(c->expiration);

  auto reqs = fake->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].scheme, "http");
  EXPECT_EQ(reqs[0].host, "127.0.0.1:8111");
  EXPECT_EQ(reqs[0].path, "/latest/api/token");
  EXPECT_EQ(header(reqs[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].path, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(header(reqs[1], "X-aws-ec2-metadata-token"), "AQAEAEXAMPLEIMDSTOKEN==");
  EXPECT_EQ(reqs[2].path, "/latest/meta-data/iam/security-credentials/my-instance-role");
  EXPECT_EQ(header(reqs[2], "X-aws-ec2-metadata-token"), "AQAEAEXAMPLEIMDSTOKEN==");
}

TEST_F(ProvidersTest, ImdsEndpointFromEnvironmentAndOptions) {
  auto fake = std::make_shared<FakeTransport>();
  fake->set_handler([](const awsdl::http::Request&) -> Result<awsdl::http::Response> {
    return Error::make(ErrorKind::kNetwork, "ConnectionRefused", "refused");
  });
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.2:8112/");
  (void)awsdl::auth::imds_provider({}, fake, Runtime::system())->get();
  awsdl::auth::ImdsOptions o;
  o.endpoint = "http://127.0.0.3:8113/base";
  (void)awsdl::auth::imds_provider(o, fake, Runtime::system())->get();
  auto reqs = fake->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].host, "127.0.0.2:8112");
  EXPECT_EQ(reqs[0].path, "/latest/api/token");
  EXPECT_EQ(reqs[1].host, "127.0.0.3:8113");
  EXPECT_EQ(reqs[1].path, "/base/latest/api/token");
}

TEST_F(ProvidersTest, ImdsFailuresAreClear) {
  auto fake = std::make_shared<FakeTransport>();
  awsdl::auth::ImdsOptions o;
  o.endpoint = "http://127.0.0.1:8111";
  auto imds = awsdl::auth::imds_provider(o, fake, Runtime::system());

  // Unreachable: "not here", so a chain moves on.
  fake->push_error(Error::make(ErrorKind::kTimeout, "Timeout", "attempt timed out"));
  auto r = imds->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().code, "ImdsUnavailable");
  EXPECT_NE(r.error().message.find("500 ms"), std::string::npos) << r.error().message;

  // The token is rejected.
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(401, "");
  r = imds->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_EQ(r.error().code, "ImdsUnauthorized");
  EXPECT_EQ(r.error().http_status, 401);

  // No role attached.
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(404, "");
  r = imds->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(r.error().message.find("no IAM role"), std::string::npos);

  // The role's credentials are not ready.
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "role");
  fake->push(200, imds_json("AssumeRoleUnauthorizedAccess", now() + 1h));
  r = imds->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCredentials);
  EXPECT_NE(r.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  expect_no_secret(r.error());

  // Expired ones.
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "role");
  fake->push(200, imds_json("Success", now() - 1min));
  r = imds->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ExpiredToken");
  expect_no_secret(r.error());

  // Garbage.
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "role");
  fake->push(200, std::string("<html>") + kSecret);
  r = imds->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  expect_no_secret(r.error());

  // A server error is tried `attempts` times.
  o.attempts = 2;
  auto twice = awsdl::auth::imds_provider(o, fake, Runtime::system());
  fake->push(503, "");
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "role");
  fake->push(200, imds_json("Success", now() + 1h));
  auto c = twice->get();
  ASSERT_TRUE(c.ok()) << c.error().to_string();

  // Through the retry toolkit on the provider's runtime: at once (nothing slept), and the
  // error says how many attempts were made.
  auto clock = std::make_shared<ManualClock>();
  o.attempts = 3;
  auto thrice = awsdl::auth::imds_provider(o, fake, Runtime{clock, clock, Runtime::system().random});
  const auto before = fake->request_count();
  fake->push(500, "");
  fake->push(502, "");
  fake->push(503, "");
  auto failed = thrice->get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "ImdsError");
  EXPECT_EQ(failed.error().http_status, 503);
  EXPECT_NE(failed.error().message.find("gave up after 3 attempts"), std::string::npos) << failed.error().message;
  EXPECT_EQ(fake->request_count() - before, 3u);
  EXPECT_EQ(clock->total_slept(), awsdl::Millis(0));
  // A refused connection is tried again too; still refused: not on EC2.
  fake->push_error(Error::make(ErrorKind::kNetwork, "ConnectionRefused", "refused", true));
  fake->push_error(Error::make(ErrorKind::kNetwork, "ConnectionRefused", "refused", true));
  fake->push_error(Error::make(ErrorKind::kNetwork, "ConnectionRefused", "refused", true));
  auto absent = thrice->get();
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code, "ImdsUnavailable");
  EXPECT_EQ(fake->request_count() - before, 6u);
}

TEST_F(ProvidersTest, ImdsDisabledSendsNothing) {
  auto fake = std::make_shared<FakeTransport>();
  env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  auto r = awsdl::auth::imds_provider({}, fake, Runtime::system())->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  auto region = awsdl::auth::imds_region({}, fake);
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(fake->request_count(), 0u);
}

TEST_F(ProvidersTest, ImdsRegion) {
  auto fake = std::make_shared<FakeTransport>();
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "eu-north-1\n");
  auto region = awsdl::auth::imds_region({}, fake);
  ASSERT_TRUE(region.ok()) << region.error().to_string();
  EXPECT_EQ(*region, "eu-north-1");
  auto reqs = fake->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].path, "/latest/meta-data/placement/region");
  EXPECT_EQ(header(reqs[1], "X-aws-ec2-metadata-token"), "AQAEAEXAMPLEIMDSTOKEN==");
}

// ---------------------------------------------------------------- Config::from_environment

TEST_F(ProvidersTest, ValidRegionNames) {
  for (const char* ok : {"us-east-1", "cn-north-1", "us-gov-west-1", "eu-central-2", "ap-southeast-4", "local"})
    EXPECT_TRUE(awsdl::valid_region_name(ok)) << ok;
  for (const char* bad : {"US_EAST", "", "us-east-1; rm", "us-east-1/", "-us-east-1", "us-east-1-", "us east 1",
                          "US-EAST-1", "us-east-1.evil.com", "012345678901234567890123456789012345678901234567890123456789abcd"})
    EXPECT_FALSE(awsdl::valid_region_name(bad)) << bad;
}

TEST_F(ProvidersTest, RegionResolutionOrder) {
  auto fake = std::make_shared<FakeTransport>();
  auto opts = files("[default]\nregion = ap-south-1\n", "");
  awsdl::Config::Overrides o;
  o.transport = fake;
  o.config_file = opts.config_file;
  o.credentials_file = opts.credentials_file;

  auto region = [&]() {
    auto c = awsdl::Config::from_environment(o);
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return c.ok() ? c->region : std::string("<error>");
  };
  EXPECT_EQ(region(), "ap-south-1");
  env.set("AWS_DEFAULT_REGION", "eu-west-2");
  EXPECT_EQ(region(), "eu-west-2");
  env.set("AWS_REGION", "eu-west-3");
  EXPECT_EQ(region(), "eu-west-3");
  o.region = "sa-east-1";
  EXPECT_EQ(region(), "sa-east-1");
  EXPECT_EQ(fake->request_count(), 0u);

  // IMDS last, and only when allowed.
  o.region.clear();
  env.unset("AWS_REGION");
  env.unset("AWS_DEFAULT_REGION");
  o.config_file = dir.file("no-config");
  fake->push(200, "AQAEAEXAMPLEIMDSTOKEN==");
  fake->push(200, "me-south-1");
  EXPECT_EQ(region(), "me-south-1");
  EXPECT_EQ(fake->request_count(), 2u);
  o.use_imds_region = false;
  EXPECT_EQ(region(), "");
  o.use_imds_region = true;
  env.set("AWS_EC2_METADATA_DISABLED", "true");
  EXPECT_EQ(region(), "");
  EXPECT_EQ(fake->request_count(), 2u);
}

TEST_F(ProvidersTest, InvalidRegionIsAnError) {
  awsdl::Config::Overrides o;
  o.transport = std::make_shared<FakeTransport>();
  o.use_imds_region = false;
  for (const char* bad : {"US_EAST", "us-east-1; rm"}) {
    env.set("AWS_REGION", bad);
    auto c = awsdl::Config::from_environment(o);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_EQ(c.error().code, "InvalidRegion");
    EXPECT_NE(c.error().message.find("AWS_REGION"), std::string::npos);
  }
  env.unset("AWS_REGION");
  auto opts = files("[default]\nregion = Not A Region\n", "");
  o.config_file = opts.config_file;
  auto c = awsdl::Config::from_environment(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "InvalidRegion");
  EXPECT_NE(c.error().message.find("profile 'default'"), std::string::npos);
}

TEST_F(ProvidersTest, ConfigEndpointsFromEnvironment) {
  awsdl::Config::Overrides o;
  o.transport = std::make_shared<FakeTransport>();
  o.region = "us-east-1";
  auto opts = files("[default]\nendpoint_url = http://127.0.0.1:7000\n", "");
  o.config_file = opts.config_file;

  auto c = awsdl::Config::from_environment(o);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->endpoint_url, "http://127.0.0.1:7000") << "the profile's endpoint_url, last resort";
  EXPECT_TRUE(c->service_endpoints.empty());

  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:7001");
  env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:7002");
  env.set("AWS_ENDPOINT_URL_EC2", "https://localhost:7003/base");
  env.set("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:7004");
  c = awsdl::Config::from_environment(o);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->endpoint_url, "http://127.0.0.1:7001");
  std::map<std::string, std::string> expected{{"STS", "http://127.0.0.1:7002"},
                                              {"EC2", "https://localhost:7003/base"},
                                              {"CLOUDWATCH_LOGS", "http://127.0.0.1:7004"}};
  EXPECT_EQ(c->service_endpoints, expected);

  // The caller's endpoint wins over all of them.
  o.endpoint_url = "http://127.0.0.1:7005";
  c = awsdl::Config::from_environment(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->endpoint_url, "http://127.0.0.1:7005");
  EXPECT_TRUE(c->service_endpoints.empty());
  o.endpoint_url.clear();

  // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS drops the environment's and the profile's.
  env.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  c = awsdl::Config::from_environment(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->endpoint_url, "");
  EXPECT_TRUE(c->service_endpoints.empty());
  env.unset("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

  // A malformed one is an error naming the variable.
  env.set("AWS_ENDPOINT_URL_S3", "localhost:9000");
  c = awsdl::Config::from_environment(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(c.error().message.find("AWS_ENDPOINT_URL_S3"), std::string::npos);
}

TEST_F(ProvidersTest, ConfigIsLazyAndUsesTheChain) {
  auto fake = std::make_shared<FakeTransport>();
  auto opts = files("[profile dev]\nregion = eu-west-1\ns3 =\n  addressing_style = path\nmax_attempts = 5\n",
                    static_profile("dev", kKeyId2, kSecret2));
  awsdl::Config::Overrides o;
  o.transport = fake;
  o.profile = "dev";
  o.config_file = opts.config_file;
  o.credentials_file = opts.credentials_file;
  auto c = awsdl::Config::from_environment(o);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->profile, "dev");
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_TRUE(c->s3_force_path_style);
  EXPECT_EQ(c->retry.max_attempts, 5);
  EXPECT_EQ(c->transport, fake);
  ASSERT_TRUE(c->credentials);
  EXPECT_EQ(fake->request_count(), 0u) << "constructing does no network I/O";
  auto creds = c->credentials->get();
  ASSERT_TRUE(creds.ok()) << creds.error().to_string();
  EXPECT_EQ(creds->access_key_id, kKeyId2);

  // Overrides win; the default transport is a real one.
  o.credentials = awsdl::auth::static_provider(Credentials{kKeyId, kSecret, "", std::nullopt, "mine"});
  o.transport = nullptr;
  c = awsdl::Config::from_environment(o);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->transport);
  EXPECT_EQ(c->credentials->get()->source, "mine");
}

TEST_F(ProvidersTest, ConfigBadFilesAndProfiles) {
  awsdl::Config::Overrides o;
  o.transport = std::make_shared<FakeTransport>();
  o.use_imds_region = false;
  auto opts = files("[default]\nregion us-east-1\n", "");
  o.config_file = opts.config_file;
  auto c = awsdl::Config::from_environment(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kParse);
  EXPECT_NE(c.error().message.find("line 2"), std::string::npos);

  opts = files("[default]\nregion = us-east-1\n", "");
  o.config_file = opts.config_file;
  o.profile = "missing";
  c = awsdl::Config::from_environment(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "ProfileNotFound");
  o.profile.clear();
  env.set("AWS_PROFILE", "missing-too");
  c = awsdl::Config::from_environment(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "ProfileNotFound");
  env.unset("AWS_PROFILE");
  env.set("AWS_MAX_ATTEMPTS", "lots");
  c = awsdl::Config::from_environment(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "InvalidMaxAttempts");
}

}  // namespace
