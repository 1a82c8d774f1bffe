// The seed documents' example bodies, written once for every test that sends one: each as its
// document writes it, but for the names a test chooses (a contact's id, the event type names of
// the dialect's document).
#pragma once

#include <string>
#include <string_view>

namespace eventsd::test {

// Seed 004's event for POST /api/workspaces/{workspaceId}/events: a purchase by `contact_id`
// (the document's is ct_abc123) with metadata, a session, page URL, referrer and UTM fields.
inline std::string workspace_example_event(std::string_view contact_id = "ct_abc123") {
  return R"({
      "type": "purchase",
      "contactId": ")" + std::string(contact_id) + R"(",
      "metadata": {"productId": "prod_1", "amount": 99.99, "currency": "USD"},
      "sessionId": "sess_abc",
      "pageUrl": "https://shop.example.com/checkout",
      "referrer": "https://shop.example.com/cart",
      "utmSource": "email",
      "utmMedium": "campaign",
      "utmCampaign": "summer-sale"})";
}

// The profile of seed 004's contact (Jane Smith), as PUT /v1/contacts/{id} takes it.
inline constexpr const char* kWorkspaceExampleProfile =
    R"({"firstname":"Jane","lastname":"Smith","email":"jane@example.com"})";

// The organizational-unit documents' batch for POST /ingest (seed 000 spells the event types
// page_view and email_open, seed 002 "Page View" and "Email Open"): evt-123, a page view of
// /pricing by lead ld_456, and evt-124, an email open by lead ld_789.
inline std::string org_unit_example_batch(std::string_view page_view = "page_view",
                                          std::string_view email_open = "email_open") {
  return R"({"batch":[
      {"id":"evt-123","lead_id":"ld_456","event_type":")" + std::string(page_view) +
         R"(","metadata":{"path":"/pricing","referrer":"https://google.com"},"created_at":"2025-01-15T10:30:00Z"},
      {"id":"evt-124","lead_id":"ld_789","event_type":")" + std::string(email_open) +
         R"(","metadata":{"campaign":"Q1 Nurture"},"created_at":"2025-01-15T10:25:00Z"}]})";
}

}  // namespace eventsd::test
