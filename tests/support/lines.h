// A text's lines, as tests read JSON lines answers and the output of eventctl.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace eventsd::test {

// The lines of `text` that are not empty, without their line breaks.
inline std::vector<std::string> nonempty_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

}  // namespace eventsd::test
