// The metrics every Prometheus client library exports about its process, under the same names
// (client_golang's process collector: process_cpu_seconds_total, process_open_fds,
// process_max_fds, process_virtual_memory_bytes, process_virtual_memory_max_bytes,
// process_resident_memory_bytes, process_start_time_seconds), read from /proc/self at scrape
// time; and eventsd_build_info{version,revision} 1. Linux only, like the rest of eventsd.
#pragma once

#include <string>

namespace eventsd::http {

// Appends the exposition (HELP, TYPE and samples) to `out`. A figure /proc cannot give is left
// out rather than reported wrong. Thread-safe (reads only the process's own /proc entries).
void append_process_metrics(std::string& out);
void append_build_info(std::string& out);

}  // namespace eventsd::http
