// The read-model key layouts (projections/read_model_keys.h), byte for byte: a generation written
// by an earlier build must still be read the same, so any change here must come with a new
// ReadModels::kLayoutVersion. Expected bytes are written out in hex, from the header's table.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "projections/read_model_keys.h"

namespace eventsd {
namespace {

std::string hex(std::string_view bytes) { return to_hex(bytes); }

constexpr Millis kDay = 86'400'000;  // 0x5265c00

TEST(ReadModelKeys, TenantEventAndIdKeys) {
  EXPECT_EQ(hex(rm::tenant_prefix(0x01020304)), "01020304");
  EXPECT_EQ(hex(rm::tenants_value(5)), "00000005");
  EXPECT_EQ(rm::read_tenants_value(rm::tenants_value(5)), 5u);
  EXPECT_EQ(hex(rm::events_key(1, 0x0102030405060708)), "00000001" "0102030405060708");
  EXPECT_EQ(rm::events_key_seq(rm::events_key(1, 77)), 77u);
  // An event id is written without a terminator.
  EXPECT_EQ(hex(rm::ids_key(1, "ab")), "00000001" "6162");
  EXPECT_EQ(hex(rm::seq_value(5)), "0000000000000005");
  EXPECT_EQ(rm::read_seq_value(rm::seq_value(5)), 5u);
  EXPECT_EQ(rm::kCheckpointKey, "checkpoint");
  EXPECT_EQ(rm::kNextTenantKey, "next_tenant");
  EXPECT_EQ(rm::kLayoutKey, "layout");
}

TEST(ReadModelKeys, IndexEntries) {
  EXPECT_EQ(hex(rm::by_time_key(1, 0, 1)), "00000001" "8000000000000000" "0000000000000001");
  EXPECT_EQ(hex(rm::by_time_key(1, -1, 2)), "00000001" "7fffffffffffffff" "0000000000000002");
  const std::string named = "00000002" "7669657700" "8000000000000005" "0000000000000009";
  EXPECT_EQ(hex(rm::by_type_key(2, "view", 5, 9)), named);
  EXPECT_EQ(hex(rm::by_domain_key(2, "view", 5, 9)), named);
  EXPECT_EQ(hex(rm::by_campaign_key(2, "view", 5, 9)), named);
  EXPECT_EQ(hex(rm::by_contact_key(2, "view", 5, 9)), named);
  EXPECT_EQ(hex(rm::named_entry_key(2, "view", 5, 9)), named);
  EXPECT_EQ(hex(rm::named_prefix(2, "view")), "00000002" "7669657700");
  EXPECT_EQ(hex(rm::entry_key(rm::named_prefix(2, "view"), 5, 9)), named);
  EXPECT_EQ(hex(rm::entry_seek(rm::tenant_prefix(2), 5)), "00000002" "8000000000000005");
  const rm::Key key = rm::by_type_key(2, "view", -7, 9);
  EXPECT_EQ(rm::entry_ts(key), -7);
  EXPECT_EQ(rm::entry_seq(key), 9u);
  EXPECT_EQ(rm::named_key_name(key), "view");
  for (std::uint8_t flags = 0; flags < 4; ++flags) {
    EXPECT_EQ(hex(rm::flags_value(flags)), "0" + std::to_string(flags));
    EXPECT_EQ(rm::read_flags_value(rm::flags_value(flags)), flags);
  }
  EXPECT_EQ(rm::read_flags_value(""), 0);
}

TEST(ReadModelKeys, ContactEntryValues) {
  EXPECT_EQ(hex(rm::by_contact_value(kIdentified | kSuppressed, -1, "click")), "03" "ffffffff" "636c69636b");
  const rm::Key value = rm::by_contact_value(kIdentified, 12, "view");
  const ContactEntry e = rm::read_by_contact_value(value);
  EXPECT_EQ(e.flags, kIdentified);
  EXPECT_EQ(e.points, 12);
  EXPECT_EQ(e.event, "view");
  // A value holding only the flags (as every other index's) reads as no points and no name.
  const ContactEntry flags_only = rm::read_by_contact_value(rm::flags_value(kIdentified));
  EXPECT_EQ(flags_only.flags, kIdentified);
  EXPECT_EQ(flags_only.points, 0);
  EXPECT_EQ(flags_only.event, "");
}

TEST(ReadModelKeys, Counters) {
  EXPECT_EQ(hex(rm::counts_tenant_key(1)), "00000001" "00");
  EXPECT_EQ(hex(rm::counts_prefix(1, CountKind::type)), "00000001" "01");
  EXPECT_EQ(hex(rm::counts_named_key(1, CountKind::type, "a")), "00000001" "01" "6100");
  EXPECT_EQ(hex(rm::counts_named_key(1, CountKind::domain, "a")), "00000001" "03" "6100");
  EXPECT_EQ(hex(rm::counts_named_key(1, CountKind::campaign, "a")), "00000001" "04" "6100");
  EXPECT_EQ(hex(rm::counts_type_domain_key(1, "a", "")), "00000001" "05" "6100" "00");
  EXPECT_EQ(hex(rm::counts_day_type_domain_key(1, kDay, "a", "b.c")),
            "00000001" "06" "8000000005265c00" "6100" "622e6300");
  EXPECT_EQ(hex(rm::counts_day_key(1, kDay)), "00000001" "07" "8000000005265c00");
  EXPECT_EQ(hex(rm::counts_reason_key(1, 2)), "00000001" "08" "02");
  EXPECT_EQ(hex(rm::counts_day_reason_key(1, 0, 2)), "00000001" "09" "8000000000000000" "02");
  EXPECT_EQ(hex(rm::counts_day_seek(1, CountKind::day_reason, kDay)), "00000001" "09" "8000000005265c00");
  EXPECT_EQ(rm::counts_key_day(rm::counts_day_type_domain_key(1, -kDay, "a", "")), -kDay);
  Counters c;
  c.all = 4;
  c.identified = 3;
  c.suppressed = 2;
  c.identified_suppressed = 1;
  EXPECT_EQ(rm::counts_value(c).size(), 32u);
  const Counters back = rm::read_counts_value(rm::counts_value(c));
  EXPECT_EQ(back.all, 4u);
  EXPECT_EQ(back.identified, 3u);
  EXPECT_EQ(back.suppressed, 2u);
  EXPECT_EQ(back.identified_suppressed, 1u);
  EXPECT_EQ(rm::read_counts_value("short").all, 0u);
}

TEST(ReadModelKeys, CampaignsContactsAndRules) {
  EXPECT_EQ(hex(rm::campaigns_key(1, "cmp")), "00000001" "636d7000");
  EXPECT_EQ(hex(rm::campaign_expiry_key(1, 2, 3)), "8000000000000001" "00000002" "0000000000000003");
  const rm::CampaignExpiry expiry = rm::read_campaign_expiry_key(rm::campaign_expiry_key(-5, 2, 3));
  EXPECT_EQ(expiry.ts, -5);
  EXPECT_EQ(expiry.tno, 2u);
  EXPECT_EQ(expiry.seq, 3u);
  EXPECT_EQ(hex(rm::contacts_key(1, "ct")), "00000001" "637400");
  EXPECT_EQ(hex(rm::companies_key(1, "a.com")), "00000001" "612e636f6d00");
  EXPECT_EQ(hex(rm::aliases_key(1, "ct")), "00000001" "637400");
  EXPECT_EQ(rm::named_key_name(rm::contacts_key(1, "ct")), "ct");
  EXPECT_EQ(hex(rm::merged_prefix(1, "a")), "00000001" "6100");
  EXPECT_EQ(hex(rm::merged_key(1, "a", "bc")), "00000001" "6100" "626300");
  EXPECT_EQ(rm::merged_key_member(rm::merged_key(1, "a", "bc"), rm::merged_prefix(1, "a").size()), "bc");
  EXPECT_EQ(hex(rm::rules_key(1, RuleKind::suppression)), "00000001" "01");
  EXPECT_EQ(hex(rm::rules_key(1, RuleKind::scoring)), "00000001" "02");
  EXPECT_EQ(hex(rm::audit_prefix(1, "e")), "00000001" "6500");
  EXPECT_EQ(hex(rm::audit_key(1, "e", 7)), "00000001" "6500" "0000000000000007");
  EXPECT_EQ(rm::audit_key_position(rm::audit_key(1, "e", 7)), 7u);
}

TEST(ReadModelKeys, Sessions) {
  const rm::Key contact = rm::session_subject_prefix(1, SessionSubject::contact, "c1");
  EXPECT_EQ(hex(contact), "00000001" "63" "633100");
  EXPECT_EQ(hex(rm::session_subject_prefix(1, SessionSubject::anonymous, "s")), "00000001" "73" "7300");
  EXPECT_EQ(hex(rm::entry_key(contact, 1, 2)), "00000001" "63" "633100" "8000000000000001" "0000000000000002");
  EXPECT_EQ(hex(rm::session_point_value(true)), "01");
  EXPECT_EQ(hex(rm::session_point_value(false)), "00");
  EXPECT_TRUE(rm::read_session_point_value(rm::session_point_value(true)));
  EXPECT_FALSE(rm::read_session_point_value(rm::session_point_value(false)));
  EXPECT_EQ(hex(rm::session_starts_key(1, 1, 2)), "00000001" "8000000000000001" "0000000000000002");
  EXPECT_EQ(hex(rm::session_starts_seek(1, 1)), "00000001" "8000000000000001");
  EXPECT_EQ(rm::session_starts_ts(rm::session_starts_key(1, -3, 2)), -3);
  const rm::Key day = rm::session_days_key(1, kDay, SessionSubject::anonymous);
  EXPECT_EQ(hex(day), "00000001" "8000000005265c00" "73");
  EXPECT_EQ(hex(rm::session_days_seek(1, kDay)), "00000001" "8000000005265c00");
  EXPECT_EQ(rm::session_days_day(day), kDay);
  EXPECT_EQ(rm::session_days_kind(day), static_cast<std::uint8_t>(SessionSubject::anonymous));
}

}  // namespace
}  // namespace eventsd
