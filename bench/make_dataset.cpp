// make_dataset DIR: builds the query benchmarks' data set in DIR (or reuses it) and prints the
// time it was built around, in milliseconds since the epoch.
#include <iostream>

#include "bench/dataset.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_dataset DIR\n";
    return 2;
  }
  std::cout << eventsd::bench::ensure_dataset(argv[1]) << "\n";
}
