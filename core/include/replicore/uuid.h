// RFC 4122 version 4 UUID text from 128 random bits. The core reads no randomness itself:
// each host (server, wasm) draws the bits and passes them in.
#ifndef REPLICORE_UUID_H_
#define REPLICORE_UUID_H_

#include <cstdint>
#include <string>

namespace replicore {

std::string FormatUuidV4(uint64_t high, uint64_t low);

}  // namespace replicore

#endif  // REPLICORE_UUID_H_
