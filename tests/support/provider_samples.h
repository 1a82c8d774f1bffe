// The providers' documented sample webhook payloads (SendGrid's Event Webhook reference, Mailgun's
// webhooks guide, Postmark's webhook references), as the tests, the fuzz corpus and the
// benchmarks send them, and a SendGrid batch of many events.
#pragma once

#include <string>

namespace eventsd::test {

// SendGrid's example: one event of each kind, from "processed" to "group_resubscribe". Its
// sg_event_id values hold '=' (base64), which no native id may: they are stored hashed.
inline constexpr const char* kSendgridSample = R"json([
  {"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"processed","category":"cat facts","sg_event_id":"rbtnWrG1DVDGGGFHFyun0A==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000"},
  {"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"deferred","category":"cat facts","sg_event_id":"rbtnWrG1DVDGGGFHFyun0A==x1","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","response":"400 try again later","attempt":"5"},
  {"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"delivered","category":"cat facts","sg_event_id":"rWVYmVk90MjZJ9iohOBa3w==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","response":"250 OK"},
  {"email":"example@test.com","timestamp":1513299569,"event":"open","sg_machine_open":false,"category":"cat facts","sg_event_id":"FOTFFO0ecsBE-zxFXfs6WA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","useragent":"Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)","ip":"255.255.255.255"},
  {"email":"example@test.com","timestamp":1513299569,"event":"click","category":"cat facts","sg_event_id":"kCAi1KttyQdEKHhdC-nuEA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","useragent":"Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)","ip":"255.255.255.255","url":"http://www.sendgrid.com/"},
  {"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"bounce","category":"cat facts","sg_event_id":"6g4ZI7SA-xmRDv57GoPIPw==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","reason":"500 unknown recipient","status":"5.0.0","type":"bounce"},
  {"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"dropped","category":"cat facts","sg_event_id":"zmzJhfJgAfUSOW80yEbPyw==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","reason":"Bounced Address","status":"5.0.0"},
  {"email":"example@test.com","timestamp":1513299569,"event":"spamreport","sg_event_id":"37nvH5QBz858KGVYCM4uOA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000"},
  {"email":"example@test.com","timestamp":1513299569,"event":"unsubscribe","category":"cat facts","sg_event_id":"zz_BjPgU_5pS-J8vlfB1sg==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000"},
  {"email":"example@test.com","timestamp":1513299569,"useragent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2272.118 Safari/537.36","event":"group_unsubscribe","category":"cat facts","sg_event_id":"ahSCB7xYcXFb-hEaawsPRw==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","ip":"255.255.255.255","url":"http://www.sendgrid.com/","asm_group_id":10},
  {"email":"example@test.com","timestamp":1513299569,"useragent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2272.118 Safari/537.36","event":"group_resubscribe","category":"cat facts","sg_event_id":"H_6mPj0cIOwJkNMQpK3w1w==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000","ip":"255.255.255.255","url":"http://www.sendgrid.com/","asm_group_id":10}
])json";

// Mailgun's example of an "opened" webhook (signature as Mailgun's guide shows it; tests sign
// their own). user-variables carry the sender's contact_id.
inline constexpr const char* kMailgunSample = R"json({
  "signature": {"timestamp": "1529006854", "token": "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
                "signature": "d2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55"},
  "event-data": {"event": "opened", "timestamp": 1529006854.329574, "id": "DACSsAdVSeGpLid7TN03WA",
    "log-level": "info", "recipient": "alice@example.com", "recipient-domain": "example.com",
    "tags": ["my_tag_1", "my_tag_2"], "campaigns": [],
    "user-variables": {"my_var_1": "Mailgun Variable #1", "my-var-2": "awesome", "contact_id": "ct_alice"},
    "ip": "50.56.129.169", "geolocation": {"country": "US", "region": "CA", "city": "San Francisco"},
    "client-info": {"client-os": "Linux", "device-type": "desktop", "client-name": "Chrome", "client-type": "browser",
                    "user-agent": "Mozilla/5.0 (X11; Linux x86_64)"},
    "message": {"headers": {"message-id": "20130503182626.18666.16540@example.com"}}}
})json";

// Postmark's examples of an Open, a Click, a Delivery and a Bounce webhook.
inline constexpr const char* kPostmarkOpen = R"json({"RecordType":"Open","MessageStream":"outbound","Metadata":{"example":"value","example_2":"value"},"FirstOpen":true,"Recipient":"john@example.com","MessageID":"00000000-0000-0000-0000-000000000000","ReceivedAt":"2019-11-05T16:33:54.9070259Z","Platform":"WebMail","ReadSeconds":5,"Tag":"welcome-email","UserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/51.0.2704.103 Safari/537.36","OS":{"Name":"OS X 10.7 Lion","Family":"OS X 10","Company":"Apple Computer, Inc."},"Client":{"Name":"Chrome 35.0.1916.153","Family":"Chrome","Company":"Google"},"Geo":{"IP":"188.2.95.4","City":"Novi Sad","Country":"Serbia","CountryISOCode":"RS","Region":"Autonomna Pokrajina Vojvodina","RegionISOCode":"VO","Zip":"21000","Coords":"45.2517,19.8369"}})json";
inline constexpr const char* kPostmarkClick = R"json({"RecordType":"Click","MessageStream":"outbound","Metadata":{"contact_id":"ct_john"},"Recipient":"john@example.com","MessageID":"00000000-0000-0000-0000-000000000000","ReceivedAt":"2017-10-25T15:21:11.3216489Z","Platform":"Desktop","ClickLocation":"HTML","OriginalLink":"https://example.com","Tag":"welcome-email","UserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","OS":{"Name":"Windows 10","Family":"Windows","Company":"Microsoft Corporation"},"Client":{"Name":"Chrome 61.0.3163.100","Family":"Chrome","Company":"Google"},"Geo":{"IP":"192.168.0.1","City":"Novi Sad","Country":"Serbia","CountryISOCode":"RS","Region":"Autonomna Pokrajina Vojvodina","RegionISOCode":"VO","Zip":"21000","Coords":"45.2517,19.8369"}})json";
inline constexpr const char* kPostmarkDelivery = R"json({"RecordType":"Delivery","ServerID":23,"MessageStream":"outbound","MessageID":"00000000-0000-0000-0000-000000000000","Recipient":"john@example.com","Tag":"welcome-email","DeliveredAt":"2019-11-05T16:33:54.9070259Z","Details":"Test delivery webhook details","Metadata":{"example":"value","example_2":"value"}})json";
inline constexpr const char* kPostmarkBounce = R"json({"RecordType":"Bounce","ID":42,"Type":"HardBounce","TypeCode":1,"Name":"Hard bounce","Tag":"Test","MessageID":"00000000-0000-0000-0000-000000000000","Metadata":{"a_key":"a_value","b_key":"b_value"},"ServerID":1234,"MessageStream":"outbound","Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).","Details":"Test bounce details","Email":"john@example.com","From":"sender@example.com","BouncedAt":"2019-11-05T16:33:54.9070259Z","DumpAvailable":true,"Inactive":true,"CanActivate":true,"Subject":"Test subject","Content":"<Full dump of bounce>"})json";

// A SendGrid delivery of `n` events: opens, clicks and deliveries of `n / 3` recipients, event
// ids "evt-<start + i>" (distinct across calls with distinct ranges), timestamps from `seconds`.
inline std::string sendgrid_batch(int n, int start = 0, long long seconds = 1796083200) {
  static constexpr const char* kinds[] = {"delivered", "open", "click"};
  std::string body = "[";
  for (int i = 0; i < n; ++i) {
    const int k = start + i;
    if (i) body += ',';
    body += R"({"email":"user)" + std::to_string(k / 3) + R"(@example.com","timestamp":)" + std::to_string(seconds + k) +
            R"(,"event":")" + kinds[k % 3] + R"(","sg_event_id":"evt-)" + std::to_string(k) +
            R"(","sg_message_id":"msg-)" + std::to_string(k / 3) + R"(.filter0001","category":"newsletter")" +
            (k % 3 == 2 ? R"(,"url":"https://example.com/offer?i=)" + std::to_string(k) + "\"" : std::string()) + "}";
  }
  return body + "]";
}

}  // namespace eventsd::test
