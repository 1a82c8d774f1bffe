// A test's scratch directory: common/temp_dir.h, named for the tests.
#pragma once

#include "common/temp_dir.h"

namespace eventsd::test {

class TempDir : public eventsd::TempDir {
 public:
  TempDir() : eventsd::TempDir("eventsd-test-") {}
};

}  // namespace eventsd::test
