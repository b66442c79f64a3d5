#include "replicore/gzip.h"

#include <zlib.h>

#include <cctype>

namespace replicore {
namespace http {

bool AcceptsGzip(const std::string& accept_encoding) {
  std::string lower;
  for (char c : accept_encoding) {
    if (c != ' ') lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  size_t at = 0;
  while (at <= lower.size()) {
    size_t comma = lower.find(',', at);
    std::string item = lower.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (item.rfind("gzip", 0) == 0 && item != "gzip;q=0" && item != "gzip;q=0.0") {
      if (item == "gzip" || item.rfind("gzip;", 0) == 0) return true;
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return false;
}

std::optional<std::string> Gzip(const std::string& body) {
  z_stream stream{};
  // 15 window bits + 16: a gzip header and trailer; level 1: fast, most of the gain on JSON.
  if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&stream, body.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&stream, Z_FINISH);
  size_t written = out.size() - stream.avail_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

std::optional<std::string> Gunzip(const std::string& body, size_t max_bytes, bool* too_large) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return std::nullopt;  // gzip only
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  std::string out;
  char buffer[64 * 1024];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (out.size() > max_bytes) result = Z_MEM_ERROR;
  }
  inflateEnd(&stream);
  if (too_large != nullptr) *too_large = out.size() > max_bytes;
  if (result != Z_STREAM_END) return std::nullopt;
  return out;
}

}  // namespace http
}  // namespace replicore
