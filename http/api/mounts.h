// Dialects by path: which dialect's error shape a request gets from its path, and mounts — a
// dialect served under a path prefix as well (eventsd --mount), so that a client keeps its URL
// with only the host changed; under a mount, routes and errors are the mounted dialect's.
//
// Pure functions and plain values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/api/errors.h"

namespace eventsd::http {

// A dialect served under a path prefix: "/functions/v1/api-gateway" for the campaign dialect
// serves /functions/v1/api-gateway/v1/campaigns/{id}/events.
struct Mount {
  Dialect dialect;
  std::string prefix;                 // "/a/b", no trailing slash
  std::vector<std::string> segments;  // {"a", "b"}
};

// Parses "DIALECT=/prefix"; throws std::invalid_argument saying what is wrong.
Mount parse_mount(std::string_view spec);

// Whether the decoded `path` lies under `mount` (begins with its segments).
bool under_mount(const std::vector<std::string>& path, const Mount& mount);

// The dialect of a decoded path: the first of `mounts` it lies under (callers keep the longest
// prefix first), else the one its first segments name ("/api": workspace, "/v1/campaigns":
// campaign, "/v1": native, anything else: org_unit).
Dialect dialect_of_path(const std::vector<std::string>& path, const std::vector<Mount>& mounts = {});

// The dialect whose error shape a request to `target` gets, without mounts.
Dialect dialect_of_target(std::string_view target);

}  // namespace eventsd::http
