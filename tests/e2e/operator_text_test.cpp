// Text an operator reads (docs/security.md, "Text an operator reads"): what a client stores is
// refused when it holds control characters (origins, inside IPv6 brackets too), and whatever is
// stored anyway — written below the API, or free-form event data — reaches eventctl's output
// escaped: no raw control character, no forged line.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <string>

#include "common/hash.h"
#include "common/text.h"
#include "eventlog/data_dir.h"
#include "eventlog/store.h"
#include "tests/support/e2e.h"
#include "tests/support/lines.h"

namespace eventsd {
namespace {

using test::E2E;

// Whether `out` has a byte an operator's terminal would act on, besides the line ends and the
// tabs between columns.
bool raw_controls(const std::string& out) {
  for (const auto& line : test::nonempty_lines(out)) {
    std::string cells = line;
    std::replace(cells.begin(), cells.end(), '\t', ' ');
    if (has_control_characters(cells)) return true;
  }
  return false;
}

TEST_F(E2E, OriginsWithControlCharactersAreRefused) {
  auto c = client();
  for (const char* origin : {"http://[\\u001b[31m]", "http://[::1\\t\\n]", "https://shop.example\\u001b",
                             "http://[::1\\u009b]", "https://shop.example\\u202e"}) {
    auto r = c.post("/v1/tokens",
                    std::string(R"({"publishable":true,"origins":["https://ok.example",")") + origin + "\"]}");
    EXPECT_EQ(r.status, 400) << origin << ": " << r.body;
    EXPECT_EQ(r.json().at("error").at("field"), "origins[1]") << r.body;
  }
  EXPECT_EQ(c.get("/v1/tokens").json().at("tokens").as_array().size(), 1u) << "nothing was stored";
}

TEST_F(E2E, EventctlEscapesWhatWasStoredBelowTheApi) {
  // An origin with ESC, TAB and newline, written straight into the tokens database: as an older
  // version, a copied data directory or a bug could have left it. Its newline and tab would forge
  // a line for another tenant.
  {
    Store store(data_dir::log_dir(dir_.path()), StoreOptions{.create = false});
    const std::string value = R"({"id":"tok_0123456789ab","tenant":"acme","scopes":["events:write"],"created_at":0,)"
                              R"("publishable":true,"origins":["http://[\u001b[31m\n\u001b[2K)"
                              R"(tok_forged\tbeta\tadmin\u009b\u202e]"],"rate":0,"address_rate":0})";
    const MDB_dbi tokens = store.db("tokens");
    store.write([&](lmdb::Txn& txn) { txn.put(tokens, as_view(sha256("a stored secret")), value); });
  }
  auto list = test::eventctl({"token", "list", "--data", dir_.path().string()});
  ASSERT_EQ(list.status, 0) << list.out;
  EXPECT_FALSE(raw_controls(list.out)) << list.out;
  const auto lines = test::nonempty_lines(list.out);
  ASSERT_EQ(lines.size(), 2u) << list.out;  // the fixture's token and the stored key: no forged line
  EXPECT_NE(list.out.find(R"(http://[\x1B[31m\x0A\x1B[2Ktok_forged\x09beta\x09admin\u{009B}\u{202E}])"),
            std::string::npos)
      << list.out;
}

TEST_F(E2E, EventctlDumpEscapesControlsInEventData) {
  // Event data is free-form JSON: a string in it may hold any character, and stays as sent.
  const std::string data = R"({"note":"\u001b]0;owned\u0007 \u009b31m \u202eexe.txt \u007f"})";
  ASSERT_EQ(client().post("/v1/events", R"({"event":"a","data":)" + data + "}").status, 201);
  auto dump = test::eventctl({"dump", "--data", dir_.path().string()});
  ASSERT_EQ(dump.status, 0);
  EXPECT_FALSE(raw_controls(dump.out)) << dump.out;
  const auto records = test::nonempty_lines(dump.out);
  ASSERT_EQ(records.size(), 1u);
  const auto record = boost::json::parse(records[0]);
  EXPECT_EQ(record.at("fact").at("events").at(0).at("data"), boost::json::parse(data)) << records[0];
}

}  // namespace
}  // namespace eventsd
