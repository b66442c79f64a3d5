#include "replicore/sha1.h"

#include <gtest/gtest.h>

#include <string>

namespace replicore {
namespace {

// FIPS 180 example messages (and the NIST "one million a" vector).
TEST(Sha1Test, FipsVectors) {
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "a49b2446a02c645bf419f995b67091253a04a259");
}

TEST(Sha1Test, OneMillionA) {
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// The padding needs a second block once fewer than 9 bytes are left in the last one
// (55 vs 56 bytes), and full blocks are read straight from the input (63/64/65, ...).
// Expected values from Python's hashlib over the first n bytes of "0123456789" repeated.
TEST(Sha1Test, PaddingBoundaries) {
  struct Case {
    size_t size;
    const char* hex;
  };
  const Case kCases[] = {
      {0, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {1, "b6589fc6ab0dc82cf12099d1c2d40ab994e8410c"},
      {55, "9f3a4ce7f66b1b74c34da2c5d732c39f81e0f8df"},
      {56, "0a40b8fbdaafb7c29651618ac15d27e772287130"},
      {57, "46cc79601f8c6b81a4180774ce08465987a225a7"},
      {63, "984b0f2f6d78c24020f5a79d409f67ab99302891"},
      {64, "cf0800f7644ace3cb4c3fa33388d3ba0ea3c8b6e"},
      {65, "92de3a8444fe6d15268f0ba810aa43bc8b3a4ffe"},
      {119, "d1ba16c5f745875597b6d0b9061f30b5a5c89092"},
      {120, "deb4cf0a6f315d8403e5eff0923a8c5c52f21ac8"},
      {127, "37209e395c65a99a396343f89d79aa2e1687d04f"},
      {128, "b5d36071c0845df9e0727b58ec97d2796f3312d0"},
      {129, "fa7ae2ca89e50d623789f6598a8666fbd3172b5a"},
  };
  std::string digits;
  for (int i = 0; i < 20; ++i) digits += "0123456789";
  for (const Case& c : kCases) {
    EXPECT_EQ(Sha1Hex(std::string_view(digits).substr(0, c.size)), c.hex) << "size " << c.size;
  }
}

TEST(Sha1Test, HashesBytesNotCStrings) {
  // Embedded NUL and high bytes are data like any other (python: sha1(b"a\0\xff")).
  EXPECT_EQ(Sha1Hex(std::string_view("a\0\xff", 3)), "afdda83d63fa1a141271f2b89f2d1a822d317c0c");
}

// PROTOCOL.md §4: the observed rev and change id of {id:"a1",title:"one",done:false}.
TEST(Sha1Test, LoopBackExamples) {
  EXPECT_EQ(Sha1Hex(R"({"done":false,"id":"a1","title":"one"})"),
            "31e8ac64bf866ca0524ef20511ef3c0449276bd9");
  EXPECT_EQ(Sha1Hex("Todo-a1"), "4f2f2fc610f37258380e45d5b1307e31ee2f1aa3");
}

}  // namespace
}  // namespace replicore
