// The like matcher gives the answer of the RegExp LoopBack builds from a like pattern
// (% -> .*, _ -> ., unanchored; `.` stops at line breaks), checked against the regex seam
// on every pattern and text of a small alphabet, and stays fast on hostile input.
#include "replicore/like.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "replicore/regex.h"

namespace replicore {
namespace {

// The wasm build leaves like to JavaScript's RegExp (like.h): nothing to compare there.
bool MatcherBuilt() {
#ifdef __EMSCRIPTEN__
  EXPECT_EQ(CompileLike("a%b", false), nullptr);
  return false;
#else
  return true;
#endif
}

TEST(Like, AgreesWithTheRegexOfThePattern) {
  if (!MatcherBuilt()) return;
  const std::string alphabet[] = {"a", "b", "A", "\n", "\xC3\xA9", "%", "_", "\\"};
  std::mt19937 rng(7);
  auto pick = [&](int max_len, bool pattern) {
    std::string s;
    int len = static_cast<int>(rng() % (max_len + 1));
    for (int i = 0; i < len; ++i) s += alphabet[rng() % (pattern ? 8 : 5)];
    return s;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string pattern = pick(5, true);
    std::string text = pick(8, false);
    for (bool icase : {false, true}) {
      auto like = CompileLike(pattern, icase);
      std::string error;
      auto regex = CompileRegex(LikePatternAsRegex(pattern), icase ? "i" : "", &error);
      ASSERT_TRUE(regex) << pattern << ": " << error;
      if (!like) {
        // Only ilike with a non-ASCII pattern, or a pattern with a line break, falls back.
        EXPECT_TRUE(icase || pattern.find('\n') != std::string::npos) << pattern;
        continue;
      }
      EXPECT_EQ(like->Search(text), regex->Search(text))
          << "pattern \"" << pattern << "\" text \"" << text << "\" icase " << icase;
    }
  }
}

TEST(Like, LinearOnHostilePatterns) {
  if (!MatcherBuilt()) return;
  const std::string text(2 << 20, 'b');
  const std::string patterns[] = {std::string(900, '_') + "%z", "%" + std::string(899, 'b') + "_z",
                                  "%b%b%b%b%b%b%b%b%z", std::string(2000, 'b') + "%" + std::string(2000, 'b') + "z"};
  for (const std::string& pattern : patterns) {
    for (bool icase : {false, true}) {
      auto like = CompileLike(pattern, icase);
      ASSERT_TRUE(like);
      auto start = std::chrono::steady_clock::now();
      EXPECT_FALSE(like->Search(text)) << pattern.substr(0, 20);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      EXPECT_LT(ms, 2000) << pattern.substr(0, 20);
    }
  }
  EXPECT_TRUE(CompileLike(std::string(900, '_') + "%b", false)->Search(text));
}

}  // namespace
}  // namespace replicore
