// SHA-1 (FIPS 180-4), written here because no crypto library exists inside wasm.
#ifndef REPLICORE_SHA1_H_
#define REPLICORE_SHA1_H_

#include <string>
#include <string_view>

namespace replicore {

// 40 lowercase hex digits of SHA-1 over the bytes of `data`.
std::string Sha1Hex(std::string_view data);

}  // namespace replicore

#endif  // REPLICORE_SHA1_H_
