// gzip of large answers for clients that accept it (zlib).
#ifndef REPLICORE_GZIP_H_
#define REPLICORE_GZIP_H_

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

}  // namespace http
}  // namespace replicore

#endif  // REPLICORE_GZIP_H_
