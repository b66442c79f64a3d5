// SHA-1 per FIPS 180-4 §6.1. Hashing runs once per write (every revision), so the whole
// computation stays on the stack: full blocks are read straight from the input and only the
// padded tail (at most two blocks) is copied.
#include "replicore/sha1.h"

#include <cstdint>
#include <cstring>

namespace replicore {
namespace {

inline uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

inline uint32_t LoadBigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// One of the 80 steps (FIPS 180-4 §6.1.2 step 3). Instead of rotating five variables, the
// caller renames them, which keeps every step free of moves and lets the compiler unroll.
inline void Step(uint32_t a, uint32_t& b, uint32_t& e, uint32_t f, uint32_t k, uint32_t w) {
  e += Rotl(a, 5) + f + k + w;
  b = Rotl(b, 30);
}

inline uint32_t Choose(uint32_t b, uint32_t c, uint32_t d) { return d ^ (b & (c ^ d)); }
inline uint32_t Parity(uint32_t b, uint32_t c, uint32_t d) { return b ^ c ^ d; }
inline uint32_t Majority(uint32_t b, uint32_t c, uint32_t d) { return (b & c) | (d & (b | c)); }

// W[t] for t >= 16, kept as a 16-word ring (the §6.1.3 alternative method).
inline uint32_t Schedule(uint32_t w[16], int t) {
  w[t & 15] = Rotl(w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15], 1);
  return w[t & 15];
}

// Processes one 64-byte block into `h`. Each group of five steps cycles the roles of
// a..e, so after five steps they are back in place.
void CompressBlock(uint32_t h[5], const unsigned char* block) {
  uint32_t w[16];
  for (int t = 0; t < 16; ++t) w[t] = LoadBigEndian32(block + 4 * t);

  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  auto word = [&w](int t) { return t < 16 ? w[t] : Schedule(w, t); };
  for (int t = 0; t < 20; t += 5) {
    Step(a, b, e, Choose(b, c, d), 0x5a827999, word(t));
    Step(e, a, d, Choose(a, b, c), 0x5a827999, word(t + 1));
    Step(d, e, c, Choose(e, a, b), 0x5a827999, word(t + 2));
    Step(c, d, b, Choose(d, e, a), 0x5a827999, word(t + 3));
    Step(b, c, a, Choose(c, d, e), 0x5a827999, word(t + 4));
  }
  for (int t = 20; t < 40; t += 5) {
    Step(a, b, e, Parity(b, c, d), 0x6ed9eba1, Schedule(w, t));
    Step(e, a, d, Parity(a, b, c), 0x6ed9eba1, Schedule(w, t + 1));
    Step(d, e, c, Parity(e, a, b), 0x6ed9eba1, Schedule(w, t + 2));
    Step(c, d, b, Parity(d, e, a), 0x6ed9eba1, Schedule(w, t + 3));
    Step(b, c, a, Parity(c, d, e), 0x6ed9eba1, Schedule(w, t + 4));
  }
  for (int t = 40; t < 60; t += 5) {
    Step(a, b, e, Majority(b, c, d), 0x8f1bbcdc, Schedule(w, t));
    Step(e, a, d, Majority(a, b, c), 0x8f1bbcdc, Schedule(w, t + 1));
    Step(d, e, c, Majority(e, a, b), 0x8f1bbcdc, Schedule(w, t + 2));
    Step(c, d, b, Majority(d, e, a), 0x8f1bbcdc, Schedule(w, t + 3));
    Step(b, c, a, Majority(c, d, e), 0x8f1bbcdc, Schedule(w, t + 4));
  }
  for (int t = 60; t < 80; t += 5) {
    Step(a, b, e, Parity(b, c, d), 0xca62c1d6, Schedule(w, t));
    Step(e, a, d, Parity(a, b, c), 0xca62c1d6, Schedule(w, t + 1));
    Step(d, e, c, Parity(e, a, b), 0xca62c1d6, Schedule(w, t + 2));
    Step(c, d, b, Parity(d, e, a), 0xca62c1d6, Schedule(w, t + 3));
    Step(b, c, a, Parity(c, d, e), 0xca62c1d6, Schedule(w, t + 4));
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

}  // namespace

std::string Sha1Hex(std::string_view data) {
  uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t size = data.size();
  size_t full = size & ~size_t{63};
  for (size_t i = 0; i < full; i += 64) CompressBlock(h, bytes + i);

  // Tail: remaining bytes, 0x80, zeros, then the bit length as a 64-bit big-endian number.
  // It needs a second block when fewer than 9 bytes are left after the data (rest >= 56).
  unsigned char tail[128] = {};
  size_t rest = size - full;
  if (rest > 0) std::memcpy(tail, bytes + full, rest);
  tail[rest] = 0x80;
  size_t tail_size = rest < 56 ? 64 : 128;
  uint64_t bit_length = static_cast<uint64_t>(size) * 8;
  for (int i = 0; i < 8; ++i) {
    tail[tail_size - 1 - i] = static_cast<unsigned char>(bit_length >> (8 * i));
  }
  CompressBlock(h, tail);
  if (tail_size == 128) CompressBlock(h, tail + 64);

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(40, '\0');
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 8; ++j) {
      out[i * 8 + j] = kHex[(h[i] >> (28 - 4 * j)) & 0xf];
    }
  }
  return out;
}

}  // namespace replicore
