// gzip of large answers for clients that accept it, and of the answers a replicating
// server's HTTP carrier receives (zlib).
#ifndef REPLICORE_GZIP_H_
#define REPLICORE_GZIP_H_

#include <cstddef>
#include <optional>
#include <string>

namespace replicore {
namespace http {

// Answers smaller than this are sent as they are: gzip would save little and cost a pass.
constexpr size_t kGzipMinBytes = 1024;

// True when an Accept-Encoding header value lists gzip (without q=0).
bool AcceptsGzip(const std::string& accept_encoding);
// `body` compressed in the gzip format, or nullopt if zlib failed.
std::optional<std::string> Gzip(const std::string& body);
// The gzip `body` inflated, or nullopt if it is not gzip, is cut short, or inflates to more
// than `max_bytes` (a peer's answer is bounded like a request body; `too_large`, when
// given, tells that case from the others).
std::optional<std::string> Gunzip(const std::string& body, size_t max_bytes,
                                  bool* too_large = nullptr);

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_GZIP_H_
