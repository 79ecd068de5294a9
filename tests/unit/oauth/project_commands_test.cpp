// The `project` commands: create (secrets printed once, stored hashed), list (never a secret), disable.

#include "app/project_commands.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "auth/secrets.hpp"
#include "core/error.hpp"
#include "oauth_test_support.hpp"

namespace phonechat::testing {
namespace {

// The `key: value` lines a command printed.
std::map<std::string, std::string> Fields(const std::string& output) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos) fields[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return fields;
}

class ProjectCommandsTest : public ::testing::Test {
 protected:
  ProjectCreateCommand Command() const {
    ProjectCreateCommand command;
    command.database_url = db_.Url();
    command.name = "Fresh app";
    command.owner_user_id = kManager;
    command.redirect_uris = {"https://fresh.example.test/cb", "http://127.0.0.1:9000/cb?x=1"};
    return command;
  }

  std::map<std::string, std::string> Create(const ProjectCreateCommand& command) {
    ::testing::internal::CaptureStdout();
    const int code = RunProjectCreate(command);
    const std::string output = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(code, 0);
    return Fields(output);
  }

  OAuthDatabase db_;
};

TEST_F(ProjectCommandsTest, CreatePrintsNewCredentialsOnceAndStoresOnlyTheSecretsHash) {
  auto fields = Create(Command());
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_GE(fields["api_key"].size(), 43u);
  EXPECT_GE(fields["client_id"].size(), 43u);
  EXPECT_GE(fields["client_secret"].size(), 43u);
  auto store = OpenOAuthStore(db_.Url());
  const auto project = store->FindProjectByClientId(fields["client_id"]);
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(project->name, "Fresh app");
  EXPECT_EQ(project->owner_user_id, kManager);
  EXPECT_EQ(project->api_key, fields["api_key"]);
  EXPECT_EQ(project->redirect_uris, Command().redirect_uris);
  EXPECT_FALSE(project->implicit_grant);
  EXPECT_TRUE(project->active);
  ASSERT_TRUE(project->client_secret_hash.has_value());
  EXPECT_NE(*project->client_secret_hash, fields["client_secret"]);
  EXPECT_TRUE(VerifyPassword(*project->client_secret_hash, fields["client_secret"]));
  EXPECT_EQ(db_.RawBytes().find(fields["client_secret"]), std::string::npos);

  const auto again = Create(Command());
  EXPECT_NE(again.at("client_id"), fields["client_id"]);
  EXPECT_NE(again.at("client_secret"), fields["client_secret"]);
}

TEST_F(ProjectCommandsTest, ACreatedProjectWorksWithTheService) {
  auto fields = Create(Command());
  auto service = db_.MakeService();
  AuthorizeParameters p;
  p.response_type = "code";
  p.client_id = fields["client_id"];
  p.redirect_uri = "https://fresh.example.test/cb";
  p.scope = "account_phonechat_bookings";
  const auto validation = service->ValidateAuthorize(p);
  ASSERT_TRUE(validation.request.has_value());
  const auto location = Split(service->Approve(kAlice, *validation.request).location);
  TokenRequest exchange;
  exchange.grant_type = "authorization_code";
  exchange.code = location.query.at("code");
  exchange.client_id = fields["client_id"];
  exchange.client_secret = fields["client_secret"];
  EXPECT_FALSE(service->Token(exchange).error);
}

TEST_F(ProjectCommandsTest, APublicProjectHasNoSecretAndImplicitIsStored) {
  auto command = Command();
  command.public_client = true;
  command.implicit = true;
  const auto fields = Create(command);
  EXPECT_EQ(fields.count("client_secret"), 0u);
  const auto project = OpenOAuthStore(db_.Url())->FindProjectByClientId(fields.at("client_id"));
  ASSERT_TRUE(project.has_value());
  EXPECT_FALSE(project->client_secret_hash.has_value());
  EXPECT_TRUE(project->implicit_grant);
}

TEST_F(ProjectCommandsTest, CreateRefusesBadRedirectUrisAnUnknownOwnerAndABadName) {
  for (const char* uri : {"/relative/cb", "https://fresh.example.test/cb#frag", "ftp://fresh.example.test/cb",
                          "https:///cb", "not a uri", "javascript:alert(1)", ""}) {
    auto command = Command();
    command.redirect_uris = {uri};
    EXPECT_THROW(RunProjectCreate(command), UsageError) << uri;
  }
  auto none = Command();
  none.redirect_uris.clear();
  EXPECT_THROW(RunProjectCreate(none), UsageError);
  auto orphan = Command();
  orphan.owner_user_id = 999;
  EXPECT_THROW(RunProjectCreate(orphan), UsageError);
  auto unnamed = Command();
  unnamed.name = "";
  EXPECT_THROW(RunProjectCreate(unnamed), UsageError);
  EXPECT_EQ(OpenOAuthStore(db_.Url())->ListProjects().size(), 6u) << "nothing was stored";
}

TEST_F(ProjectCommandsTest, ListShowsEveryProjectWithoutSecretsAndDisableTurnsOneOff) {
  const auto fields = Create(Command());
  ASSERT_EQ(RunProjectDisable(db_.Url(), "app"), 0);
  EXPECT_THROW(RunProjectDisable(db_.Url(), "no-such-client"), UsageError);

  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunProjectList(db_.Url()), 0);
  const std::string output = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 7);
  EXPECT_EQ(output.find(fields.at("client_secret")), std::string::npos);
  EXPECT_EQ(output.find("$argon2id"), std::string::npos);
  EXPECT_NE(output.find("app\tThe app project\towner 104\tdisabled\tno-implicit\tconfidential\t"
                        "https://app.example.test/cb http://127.0.0.1:8765/cb?x=1\n"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(fields.at("client_id") + "\tFresh app\towner 104\tactive\t"), std::string::npos) << output;
  EXPECT_NE(output.find("public\tThe public project\towner 104\tactive\tno-implicit\tpublic\t"), std::string::npos);
  EXPECT_FALSE(OpenOAuthStore(db_.Url())->FindProjectByClientId("app")->active);
}

}  // namespace
}  // namespace phonechat::testing
