// JsNumberToString against Node's String(n) for ~240,000 seeded doubles (the file is written
// at build time by gen_js_numbers.mjs). Node is the ground truth; see TOOLCHAIN.md §12.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "replicore/json_canonical.h"

namespace replicore {
namespace {

double DoubleFromBits(uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

TEST(NumberFormatTest, MatchesNodeStringForSeededDoubles) {
  const std::string path = RC_JS_NUMBERS_FILE;
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path << " (built by tests/core/gen_js_numbers.mjs)";

  size_t lines = 0;
  size_t mismatches = 0;
  std::vector<std::string> examples;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++lines;
    ASSERT_GT(line.size(), 17u) << "bad line " << lines << ": " << line;
    ASSERT_EQ(line[16], ' ') << "bad line " << lines << ": " << line;
    const uint64_t bits = std::stoull(line.substr(0, 16), nullptr, 16);
    const std::string expected = line.substr(17);
    const std::string actual = JsNumberToString(DoubleFromBits(bits));
    if (actual != expected) {
      ++mismatches;
      if (examples.size() < 10) {
        examples.push_back(line.substr(0, 16) + ": node \"" + expected + "\", ours \"" + actual +
                           "\"");
      }
    }
  }
  ASSERT_GE(lines, 200000u) << path << " is too short; regenerate it";
  std::string report;
  for (const std::string& e : examples) report += "  " + e + "\n";
  EXPECT_EQ(mismatches, 0u) << "of " << lines << " numbers; first differences:\n" << report;
}

TEST(NumberFormatTest, SpecialValues) {
  EXPECT_EQ(JsNumberToString(0.0), "0");
  EXPECT_EQ(JsNumberToString(-0.0), "0");
  EXPECT_EQ(JsNumberToString(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(JsNumberToString(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(JsNumberToString(-std::numeric_limits<double>::infinity()), "null");
}

TEST(NumberFormatTest, EcmaScriptLayout) {
  EXPECT_EQ(JsNumberToString(1.0), "1");
  EXPECT_EQ(JsNumberToString(-1.5), "-1.5");
  EXPECT_EQ(JsNumberToString(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(JsNumberToString(1e21), "1e+21");
  EXPECT_EQ(JsNumberToString(1e20), "100000000000000000000");
  EXPECT_EQ(JsNumberToString(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(JsNumberToString(1e-6), "0.000001");
  EXPECT_EQ(JsNumberToString(1e-7), "1e-7");
  EXPECT_EQ(JsNumberToString(1.5e-7), "1.5e-7");
  EXPECT_EQ(JsNumberToString(123e-20), "1.23e-18");
  EXPECT_EQ(JsNumberToString(5e-324), "5e-324");
  EXPECT_EQ(JsNumberToString(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(JsNumberToString(12345678901234567890.0), "12345678901234567000");
  EXPECT_EQ(JsNumberToString(9007199254740993.0), "9007199254740992");
}

}  // namespace
}  // namespace replicore
