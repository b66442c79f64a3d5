// Any 8 bytes as a double -> JsNumberToString (json_canonical.h), the number format every
// revision hashes. Finite values read back as the same double; NaN and infinities are
// "null"; the text is short (JS never prints more than 25 characters for a number).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "replicore/json_canonical.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size != sizeof(double)) return 0;
  double value;
  std::memcpy(&value, data, sizeof value);
  std::string js = replicore::JsNumberToString(value);
  bool ok = std::isfinite(value) ? std::strtod(js.c_str(), nullptr) == value && js.size() <= 25
                                 : js == "null";
  if (!ok) {
    fprintf(stderr, "JsNumberToString(%.17g) = %s\n", value, js.c_str());
    abort();
  }
  return 0;
}
