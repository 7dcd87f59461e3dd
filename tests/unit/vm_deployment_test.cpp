// awsdl::vm::Deployment on a fake EC2 (FakeTransport, ManualClock): what launch and terminate
// ask EC2 for and the facts and events they return, refusals before any call, the recorded
// run and the SSH address. The SSH half (install, run) runs against real sshd nodes in
// tests/integration/vm_cli_test.cpp.
#include "awsdl/vm/deployment.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/fake_harness.hpp"

namespace awsdl {
namespace {

std::string wrap(const std::string& action, const std::string& inner) {
  return "<" + action + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>rid</requestId>" +
         inner + "</" + action + "Response>";
}

struct FakeInstance {
  std::string id;
  std::string state;
  std::string job_tag;  // awsdl:vm-job
};

std::string instance_xml(const FakeInstance& i, const std::string& name) {
  std::string tags = "<item><key>awsdl:vm</key><value>" + name + "</value></item>";
  if (!i.job_tag.empty()) tags += "<item><key>awsdl:vm-job</key><value>" + i.job_tag + "</value></item>";
  return "<item><instanceId>" + i.id + "</instanceId><imageId>ami-new</imageId><instanceState><code>0</code><name>" +
         i.state + "</name></instanceState><privateIpAddress>10.0.0." + i.id.substr(2) +
         "</privateIpAddress><instanceType>g5.xlarge</instanceType><tagSet>" + tags + "</tagSet></item>";
}

// EC2 as the workflow sees it: the tagged instances (a filtered DescribeInstances), the waiters'
// view by id (everything in `settled`), images, RunInstances and TerminateInstances.
struct ScriptedEc2 {
  testsupport::FakeHarness h{"us-east-1"};
  std::string name = "exp";
  std::vector<FakeInstance> tagged;
  std::string settled = "running";
  std::vector<std::string> actions;

  ScriptedEc2() {
    h.transport->set_handler([this](const http::Request& r) -> Result<http::Response> { return answer(r); });
  }

  Result<http::Response> answer(const http::Request& r) {
    const std::string& b = r.body;
    auto amp = b.find('&');
    std::string action = b.substr(7, amp - 7);  // "Action=X&..."
    actions.push_back(action);
    http::Response resp;
    resp.status = 200;
    if (action == "DescribeInstances") {
      std::string items;
      if (b.find("Filter.1.Name") != std::string::npos) {
        for (const auto& i : tagged) items += instance_xml(i, name);
      } else {
        for (const auto& i : tagged) items += instance_xml({i.id, settled, i.job_tag}, name);
      }
      resp.body = wrap(action, "<reservationSet><item><reservationId>r-1</reservationId><instancesSet>" + items +
                                   "</instancesSet></item></reservationSet>");
    } else if (action == "DescribeImages") {
      resp.body = wrap(action,
                       "<imagesSet><item><imageId>ami-old</imageId><name>DLAMI 1</name><creationDate>2022-01-10T10:00:"
                       "00.000Z</creationDate></item><item><imageId>ami-new</imageId><name>DLAMI 3</name><creationDate>"
                       "2023-02-14T10:00:00.000Z</creationDate></item></imagesSet>");
    } else if (action == "RunInstances") {
      tagged = {{"i-1", "pending", ""}, {"i-2", "pending", ""}};
      std::string items;
      for (const auto& i : tagged) items += instance_xml(i, name);
      resp.body = wrap(action, "<reservationId>r-9</reservationId><ownerId>123456789012</ownerId><instancesSet>" + items +
                                   "</instancesSet>");
    } else if (action == "TerminateInstances") {
      settled = "terminated";
      resp.body = wrap(action, "<instancesSet></instancesSet>");
    } else {
      resp.status = 400;
      resp.body = "<Response><Errors><Error><Code>Unexpected</Code><Message>" + action +
                  "</Message></Error></Errors><RequestID>x</RequestID></Response>";
    }
    return resp;
  }

  int count(const std::string& action) const {
    int n = 0;
    for (const auto& a : actions) n += a == action;
    return n;
  }
  std::string body_of(const std::string& action) const {
    for (const auto& r : h.transport->requests())
      if (r.body.find("Action=" + action + "&") == 0) return r.body;
    return {};
  }
};

vm::VmSpec launchable(const std::string& name) {
  vm::VmSpec s;
  s.name = name;
  s.count = 2;
  s.instance_type = "g5.xlarge";
  s.ami_name = "DLAMI *";
  s.key_name = "team";
  s.known_hosts = std::string(AWSDL_TEST_STATE_DIR) + "/vm_deployment_test.known_hosts";
  return s;
}

TEST(VmDeployment, LaunchFindsTheNewestImageTagsEveryInstanceAndWaitsUntilTheyRun) {
  ScriptedEc2 aws;
  vm::Deployment d(aws.h.config, launchable(aws.name));
  std::vector<vm::VmEvent> events;
  vm::StepOptions o;
  o.on_event = [&](const vm::VmEvent& e) { events.push_back(e); };
  auto r = d.launch(o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->image_id, "ami-new");  // the newest of the matches
  EXPECT_EQ(r->image_name, "DLAMI 3");
  EXPECT_EQ(r->images_matching, 2u);
  EXPECT_EQ(r->reservation_id, "r-9");
  ASSERT_EQ(r->instances.size(), 2u);
  EXPECT_EQ(r->instances[0].instance_id, "i-1");
  EXPECT_EQ(r->instances[0].state, "running");
  EXPECT_EQ(aws.actions, (std::vector<std::string>{"DescribeInstances", "DescribeImages", "RunInstances",
                                                   "DescribeInstances"}));
  const std::string run = aws.body_of("RunInstances");
  EXPECT_NE(run.find("ImageId=ami-new&InstanceType=g5.xlarge&MinCount=2&MaxCount=2&KeyName=team"), std::string::npos)
      << run;
  EXPECT_NE(run.find("Tag.1.Key=awsdl%3Avm&TagSpecification.1.Tag.1.Value=exp"), std::string::npos) << run;
  ASSERT_FALSE(r->client_token.empty());
  EXPECT_NE(run.find("ClientToken=" + r->client_token), std::string::npos) << run;
  // The moment instances exist is an event of its own: a caller that must clean up knows it.
  auto launched = std::find_if(events.begin(), events.end(),
                               [](const vm::VmEvent& e) { return e.kind == vm::VmEventKind::kLaunched; });
  ASSERT_NE(launched, events.end());
  EXPECT_EQ(launched->instance_ids, (std::vector<std::string>{"i-1", "i-2"}));
  EXPECT_EQ(events.front().message.rfind("image ami-new (DLAMI 3, created ", 0), 0u) << events.front().message;
}

TEST(VmDeployment, LaunchRefusesADeploymentThatHasInstancesAndAnIncompleteSpec) {
  ScriptedEc2 aws;
  aws.tagged = {{"i-7", "stopped", ""}};
  vm::Deployment d(aws.h.config, launchable(aws.name));
  auto again = d.launch();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "DeploymentExists");
  EXPECT_NE(again.error().message.find("already has 1 instance(s): i-7 (stopped)"), std::string::npos);
  ASSERT_NE(again.error().next_step(vm::next_step::kTerminate), nullptr);
  EXPECT_EQ(again.error().next_step(vm::next_step::kTerminate)->detail, "exp");
  EXPECT_EQ(aws.count("RunInstances"), 0);

  ScriptedEc2 fresh;
  auto spec = launchable(fresh.name);
  spec.instance_type.clear();
  auto incomplete = vm::Deployment(fresh.h.config, spec).launch();
  ASSERT_FALSE(incomplete.ok());
  EXPECT_EQ(incomplete.error().code, "BadConfig");
  EXPECT_EQ(incomplete.error().message, "[vm] instance_type is required: what to launch");
  auto no_setup = vm::Deployment(fresh.h.config, launchable(fresh.name)).install();
  ASSERT_FALSE(no_setup.ok());
  EXPECT_EQ(no_setup.error().message, "[setup] command1 is required: installing runs the setup commands");
  EXPECT_EQ(fresh.h.transport->request_count(), 0u);
}

TEST(VmDeployment, TerminateAsksFirstAndTerminatesEveryTaggedInstance) {
  ScriptedEc2 aws;
  aws.tagged = {{"i-1", "running", ""}, {"i-2", "stopped", ""}};
  vm::Deployment d(aws.h.config, launchable(aws.name));
  std::vector<std::string> asked;
  vm::StepOptions o;
  o.confirm = [&](const std::vector<ec2::Instance>& found) {
    for (const auto& i : found) asked.push_back(i.instance_id);
    return false;
  };
  auto refused = d.terminate(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "NotConfirmed");
  EXPECT_EQ(refused.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(asked, (std::vector<std::string>{"i-1", "i-2"}));
  EXPECT_EQ(aws.count("TerminateInstances"), 0);

  o.confirm = [](const std::vector<ec2::Instance>&) { return true; };
  auto gone = d.terminate(o);
  ASSERT_TRUE(gone.ok()) << gone.error().to_string();
  EXPECT_EQ(gone->terminated, (std::vector<std::string>{"i-1", "i-2"}));
  EXPECT_TRUE(gone->runs_stopped.empty());  // no run was recorded
  EXPECT_NE(aws.body_of("TerminateInstances").find("InstanceId.1=i-1&InstanceId.2=i-2"), std::string::npos);

  aws.tagged.clear();
  auto nothing = d.terminate();
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->terminated.empty());
  EXPECT_EQ(aws.count("TerminateInstances"), 1);
}

TEST(VmDeployment, TheRecordedRunAndTheAddressToSshTo) {
  ec2::Instance i;
  i.instance_id = "i-1";
  i.private_ip = "10.0.0.1";
  i.public_ip = "203.0.113.7";
  i.tags = {{"awsdl:vm-job", "4242 0123456789abcdef0123456789abcdef"}};
  auto job = vm::recorded_job(i, "203.0.113.7");
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->pgid, 4242);
  EXPECT_EQ(job->id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(job->host, "203.0.113.7");
  for (const char* bad : {"", "4242", "x42 id", " id", "99999999999 id"}) {
    i.tags = {{"awsdl:vm-job", bad}};
    EXPECT_FALSE(vm::recorded_job(i).has_value()) << bad;
  }
  vm::VmSpec s;
  EXPECT_EQ(vm::ssh_address(s, i), "203.0.113.7");  // auto: public when there is one
  s.address = vm::AddressChoice::kPrivate;
  EXPECT_EQ(vm::ssh_address(s, i), "10.0.0.1");
  s.address = vm::AddressChoice::kPublic;
  i.public_ip.clear();
  EXPECT_EQ(vm::ssh_address(s, i), "");
  s.address = vm::AddressChoice::kAuto;
  EXPECT_EQ(vm::ssh_address(s, i), "10.0.0.1");
}

}  // namespace
}  // namespace awsdl
