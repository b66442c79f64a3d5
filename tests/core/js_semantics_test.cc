// The JavaScript text helpers, each against what Node gives for the same input.
#include "replicore/js_semantics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace replicore {
namespace {

TEST(CompareUtf16, OrdersAsJavaScriptStringsDo) {
  EXPECT_EQ(CompareUtf16("", ""), 0);
  EXPECT_EQ(CompareUtf16("abc", "abc"), 0);
  EXPECT_LT(CompareUtf16("ab", "abc"), 0);
  EXPECT_GT(CompareUtf16("b", "abc"), 0);
  EXPECT_LT(CompareUtf16("Z", "a"), 0);
  // "\u{1F600}" < "\uFF5E" in JS (0xD83D < 0xFF5E), though its code point is larger.
  EXPECT_LT(CompareUtf16("\xF0\x9F\x98\x80", "\xEF\xBD\x9E"), 0);
  EXPECT_GT(CompareUtf16("\xEF\xBD\x9E", "\xF0\x9F\x98\x80"), 0);
  // Below U+E000 code-point order holds: "\u00E9" < "\u4E2D" < "\u{1F600}".
  EXPECT_LT(CompareUtf16("\xC3\xA9", "\xE4\xB8\xAD"), 0);
  EXPECT_LT(CompareUtf16("\xE4\xB8\xAD", "\xF0\x9F\x98\x80"), 0);
  // Two astral characters: surrogate-pair order equals code-point order.
  EXPECT_LT(CompareUtf16("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x81"), 0);
}

std::string Stringify(const std::string& s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

std::string Canonical(const std::string& s) {
  std::string out;
  AppendCanonicalJsonString(s, &out);
  return out;
}

TEST(AppendJsonString, WritesWhatJsonStringifyWrites) {
  EXPECT_EQ(Stringify(""), R"("")");
  EXPECT_EQ(Stringify("plain text, longer than eight bytes"),
            R"("plain text, longer than eight bytes")");
  EXPECT_EQ(Stringify("q\"b\\\b\f\n\r\t"), R"("q\"b\\\b\f\n\r\t")");
  EXPECT_EQ(Stringify(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  // DEL, U+2028 and U+FEFF pass through, unlike canonical-json.
  EXPECT_EQ(Stringify("\x7f\xE2\x80\xA8\xEF\xBB\xBF"), "\"\x7f\xE2\x80\xA8\xEF\xBB\xBF\"");
  // Hangul (lead byte ED, not a surrogate) passes through; a WTF-8 lone surrogate is escaped.
  EXPECT_EQ(Stringify("\xED\x95\x9C"), "\"\xED\x95\x9C\"");
  EXPECT_EQ(Stringify("a\xED\xA0\xBDz"), R"("a\ud83dz")");
}

TEST(AppendCanonicalJsonString, EscapesJson2Escapable) {
  EXPECT_EQ(Canonical("q\"b\\\n"), R"("q\"b\\\n")");
  EXPECT_EQ(Canonical("\x7f"), R"("\u007f")");
  EXPECT_EQ(Canonical("\xC2\xAD\xE2\x80\xA8\xEF\xBB\xBF"), R"("\u00ad\u2028\ufeff")");
  EXPECT_EQ(Canonical("\xC3\xA9\xF0\x9F\x98\x80"), "\"\xC3\xA9\xF0\x9F\x98\x80\"");
}

TEST(JsStringToNumber, MatchesNumberOfAString) {
  EXPECT_EQ(JsStringToNumber(""), 0);
  EXPECT_EQ(JsStringToNumber(" \t\n"), 0);
  EXPECT_EQ(JsStringToNumber(" 42 "), 42);
  EXPECT_EQ(JsStringToNumber("\xC2\xA0-1.5e3\xE2\x80\xA8"), -1500);
  EXPECT_EQ(JsStringToNumber(".5"), 0.5);
  EXPECT_EQ(JsStringToNumber("5."), 5);
  EXPECT_EQ(JsStringToNumber("0x1F"), 31);
  EXPECT_EQ(JsStringToNumber("0o17"), 15);
  EXPECT_EQ(JsStringToNumber("0B101"), 5);
  EXPECT_EQ(JsStringToNumber("-Infinity"), -INFINITY);
  EXPECT_TRUE(std::isnan(JsStringToNumber("-0x10")));
  EXPECT_TRUE(std::isnan(JsStringToNumber("0x")));
  EXPECT_TRUE(std::isnan(JsStringToNumber("1e")));
  EXPECT_TRUE(std::isnan(JsStringToNumber("12px")));
  EXPECT_TRUE(std::isnan(JsStringToNumber("infinity")));
}

TEST(ParseJsDecimal, AcceptsOnlyADecimalLiteral) {
  EXPECT_EQ(ParseJsDecimal("+7"), 7);
  EXPECT_EQ(ParseJsDecimal("1e400"), INFINITY);
  EXPECT_EQ(ParseJsDecimal("Infinity"), INFINITY);
  EXPECT_EQ(ParseJsDecimal(""), std::nullopt);
  EXPECT_EQ(ParseJsDecimal(" 1"), std::nullopt);
  EXPECT_EQ(ParseJsDecimal("0x10"), std::nullopt);
  EXPECT_EQ(ParseJsDecimal("."), std::nullopt);
}

TEST(DecodePathSegment, DecodesLikeAnExpressRouteParameter) {
  EXPECT_EQ(DecodePathSegment("a%2Fb%2fc"), "a/b/c");
  EXPECT_EQ(DecodePathSegment("a+b"), "a+b");
  EXPECT_EQ(DecodePathSegment("100%"), "100%");
  EXPECT_EQ(DecodePathSegment("%zz%4"), "%zz%4");
  EXPECT_EQ(DecodePathSegment("%C3%A9"), "\xC3\xA9");
}

TEST(DecodeQueryComponent, DecodesLikeQs) {
  EXPECT_EQ(DecodeQueryComponent("a+b%20c"), "a b c");
  EXPECT_EQ(DecodeQueryComponent("%2B"), "+");
  EXPECT_EQ(DecodeQueryComponent("100%"), std::nullopt);
  EXPECT_EQ(DecodeQueryComponent("%zz"), std::nullopt);
}

}  // namespace
}  // namespace replicore
