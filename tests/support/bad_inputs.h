// Ingest bodies that docs/api.md ("Ingest") says must be refused, with the field the error must name. Shared
// by the unit tests of the validator and the end-to-end tests of the HTTP API.
#pragma once

#include <string>
#include <vector>

namespace eventsd::test {

struct BadInput {
  std::string body;
  std::string field;  // "" when the error names no field
};

inline std::vector<BadInput> bad_ingest_bodies() {
  std::string batch_1001 = R"({"batch":[)";
  for (int i = 0; i < 1001; ++i) batch_1001 += std::string(i ? "," : "") + R"({"event":"a"})";
  batch_1001 += "]}";
  return {
      {R"([])", ""},
      {R"("page_view")", ""},
      {R"({})", "event"},
      {R"({"event":""})", "event"},
      {R"({"event":5})", "event"},
      {R"({"event":null})", "event"},
      {R"({"event":")" + std::string(129, 'x') + R"("})", "event"},
      {R"({"event":"a\u0001b"})", "event"},
      // C1 controls and bidirectional controls are control characters too (common/text.h).
      {R"({"event":"a\u009b31m"})", "event"},
      {R"({"event":"a\u007f"})", "event"},
      {R"({"event":"a","contact_id":"ct\u202e1"})", "contact_id"},
      {R"({"event":"a","url":"https://shop.example/\u2066x"})", "url"},
      {R"({"event":"a","timestamp":"yesterday"})", "timestamp"},
      {R"({"event":"a","timestamp":"2026-02-30T00:00:00Z"})", "timestamp"},
      {R"({"event":"a","timestamp":"2026-01-01T25:00:00Z"})", "timestamp"},
      {R"({"event":"a","timestamp":1700000000})", "timestamp"},
      {R"({"event":"a","data":[1,2]})", "data"},
      {R"({"event":"a","data":"text"})", "data"},
      {R"({"event":"a","data":{"k":")" + std::string(33 * 1024, 'x') + R"("}})", "data"},
      {R"({"event":"a","contact_id":""})", "contact_id"},
      {R"({"event":"a","contact_id":7})", "contact_id"},
      {R"({"event":"a","id":"has space"})", "id"},
      {R"({"event":"a","id":""})", "id"},
      {R"({"event":"a","id":"stats"})", "id"},
      // Beyond a double's range (JSON readers would get infinity); a key given twice.
      {R"({"event":"a","data":{"x":[1,1e400]}})", "data.x[1]"},
      {R"({"event":"a","data":{"y":{"z":-1e999}}})", "data.y.z"},
      {R"({"event":"a","data":{"p":1.7976931348623159e308}})", "data.p"},
      {R"({"event":"a","data":{"k":1,"k":2}})", "data.k"},
      {R"({"event":"a","event":"b"})", "event"},
      {R"({"batch":[{"event":"a"},{"event":"b","data":{"p":1e309}}]})", "batch[1].data.p"},
      {R"({"event":"a","url":")" + std::string(3000, 'u') + R"("})", "url"},
      {R"({"event":"a","email":"not-an-address"})", "email"},
      {R"({"event":"a","bogus":1})", "bogus"},
      {R"({"batch":[]})", "batch"},
      {R"({"batch":{}})", "batch"},
      {R"({"batch":[{"event":"a"}],"extra":1})", "batch"},
      {R"({"batch":[{"event":"a"},{"event":""}]})", "batch[1].event"},
      {R"({"batch":[{"event":"a"},{"event":"b","data":3}]})", "batch[1].data"},
      {batch_1001, "batch"},
  };
}

}  // namespace eventsd::test
