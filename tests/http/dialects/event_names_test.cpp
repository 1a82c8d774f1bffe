// Event names by dialect (docs/api.md, "Event names by dialect"; http/api/event_names.h): the
// workspace dialect spells the auto-generated types as seed 004 does, the log keeps the native
// names, and every client reads back what it sent in its own dialect.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "http/api/event_names.h"
#include "tests/support/api_test.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;
using http::Dialect;

std::vector<std::string> types(const json::value& list, const char* key) {
  std::vector<std::string> out;
  for (const auto& e : list.as_array()) out.emplace_back(e.at(key).as_string());
  return out;
}

TEST(EventNames, EachPairReadsBothWaysAndOnlyInItsDialect) {
  EXPECT_EQ(http::stored_event_name(Dialect::workspace, "form.submitted"), "form_submit");
  EXPECT_EQ(http::stored_event_name(Dialect::workspace, "message.open"), "email_open");
  EXPECT_EQ(http::stored_event_name(Dialect::workspace, "message.click"), "email_click");
  EXPECT_EQ(http::stored_event_name(Dialect::workspace, "page_view"), "page_view");
  // The translation is its own inverse, so every name of the dialect is one stored name.
  for (const char* name : {"form.submitted", "form_submit", "message.open", "email_open", "message.click",
                           "email_click", "page_view", "Message.Open", "purchase"}) {
    EXPECT_EQ(http::shown_event_name(Dialect::workspace, http::stored_event_name(Dialect::workspace, name)), name);
  }
  for (Dialect d : {Dialect::native, Dialect::org_unit, Dialect::campaign}) {
    EXPECT_TRUE(http::event_name_table(d).empty());
    EXPECT_EQ(http::stored_event_name(d, "message.open"), "message.open");
  }
}

// The tracker's form_submit (native) is the workspace's form.submitted, in lists and filters.
TEST_F(ApiTest, WorkspaceNamesTheTrackersFormSubmissionsAsSeed004Does) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[{"id":"f","event":"form_submit","contact_id":"ct_1"},
                                               {"id":"o","event":"email_open","contact_id":"ct_1"},
                                               {"id":"k","event":"email_click","contact_id":"ct_1"},
                                               {"id":"p","event":"page_view","contact_id":"ct_1"}]})").status, 201);
  auto form = c.get("/api/workspaces/acme/events?type=form.submitted").json();
  ASSERT_EQ(form.as_array().size(), 1u) << form;
  EXPECT_EQ(form.at(0).at("id"), "f");
  EXPECT_EQ(form.at(0).at("type"), "form.submitted");
  EXPECT_EQ(types(c.get("/api/workspaces/acme/events?type=message.open").json(), "type"),
            std::vector<std::string>{"message.open"});
  EXPECT_EQ(types(c.get("/api/workspaces/acme/events?type=message.click").json(), "type"),
            std::vector<std::string>{"message.click"});
  // The native name is not the workspace's: it names what the native dialect calls form.submitted.
  EXPECT_TRUE(c.get("/api/workspaces/acme/events?type=form_submit").json().as_array().empty());
  // The native dialect keeps its names.
  EXPECT_EQ(c.get("/v1/events/f").json().at("event").at("event"), "form_submit");
  EXPECT_EQ(c.get("/v1/events?event_type=form_submit").json().at("events").as_array().size(), 1u);
  EXPECT_EQ(c.get("/events?event_type=email_open").json().at("events").at(0).at("event_type"), "email_open");
}

// A workspace client's message.open is stored as email_open: the native dialect reads it so, the
// workspace dialect as sent, in the POST's answer and in the list.
TEST_F(ApiTest, AWorkspaceClientReadsBackWhatItSentAndTheNativeDialectItsOwnName) {
  auto c = client();
  auto created = c.post("/api/workspaces/acme/events", R"({"id":"m1","type":"message.open","contactId":"ct_1"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json().at("type"), "message.open");
  EXPECT_EQ(c.get("/v1/events/m1").json().at("event").at("event"), "email_open");
  EXPECT_EQ(c.get("/v1/events/types").json().at("types"), json::parse(R"(["email_open"])"));
  EXPECT_EQ(types(c.get("/api/workspaces/acme/events").json(), "type"), std::vector<std::string>{"message.open"});
  // An idempotent retry answers the stored event in the dialect's names.
  auto retry = c.post("/api/workspaces/acme/events", R"({"id":"m1","type":"message.open","contactId":"ct_1"})");
  EXPECT_EQ(retry.json().at("type"), "message.open");
  EXPECT_EQ(retry.json().at("created"), false);
}

// Names the other way round keep round-tripping: a workspace client that sends the native
// spelling, and a native client that sends the workspace's, each read back what they sent.
TEST_F(ApiTest, EveryDialectReadsItsOwnSpellingBackWhicheverNameWasSent) {
  auto c = client();
  auto ws = c.post("/api/workspaces/acme/events", R"({"id":"w","type":"email_open"})");
  ASSERT_EQ(ws.status, 201) << ws.body;
  EXPECT_EQ(ws.json().at("type"), "email_open");
  ASSERT_EQ(c.post("/v1/events", R"({"id":"n","event":"message.open"})").status, 201);
  EXPECT_EQ(c.get("/v1/events/n").json().at("event").at("event"), "message.open");
  EXPECT_EQ(c.get("/v1/events/w").json().at("event").at("event"), "message.open");
  auto listed = c.get("/api/workspaces/acme/events?type=email_open").json();
  ASSERT_EQ(listed.as_array().size(), 2u) << listed;
  EXPECT_EQ(types(listed, "type"), (std::vector<std::string>{"email_open", "email_open"}));
  EXPECT_TRUE(c.get("/api/workspaces/acme/events?type=message.open").json().as_array().empty());
}

}  // namespace
}  // namespace eventsd
