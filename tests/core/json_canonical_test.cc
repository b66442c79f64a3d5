// Canonical JSON, revisions and change ids against the LoopBack 3 ground truth
// (../shared/vectors/revisions.json), plus direct cases for the rules that are easy to get
// wrong: UTF-16 key order, canonical-json 0.0.4's extra escapes, JS numbers.
#include "replicore/json_canonical.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <string>

#include "replicore/sha1.h"

namespace replicore {
namespace {

Json LoadRevisionCases() {
  const std::string path = std::string(RC_VECTORS_DIR) + "/revisions.json";
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return Json::array();
  }
  Json file = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (file.is_discarded() || !file.contains("cases") || !file["cases"].is_array()) {
    ADD_FAILURE() << "cannot parse " << path;
    return Json::array();
  }
  return file["cases"];
}

std::string HexDecode(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// String(modelId) as LoopBack joins it.
std::string ModelIdString(const Json& id) {
  return id.is_string() ? id.get<std::string>() : CanonicalJson(id);
}

TEST(CanonicalJsonTest, LoopBackJsonVectors) {
  const Json cases = LoadRevisionCases();
  int json_cases = 0;
  for (const Json& c : cases) {
    if (c.value("kind", "") != "json") continue;
    ++json_cases;
    const std::string name = c.value("name", "?");
    ASSERT_TRUE(c.contains("instance")) << name;
    const Json& instance = c["instance"];
    const std::string canonical = CanonicalJson(instance);
    EXPECT_EQ(canonical, c["canonical"].get<std::string>()) << "case " << name;
    if (c.contains("canonicalUtf8Hex")) {
      EXPECT_EQ(canonical, HexDecode(c["canonicalUtf8Hex"].get<std::string>()))
          << "case " << name << " (bytes)";
    }
    EXPECT_EQ(Revision(instance), c["rev"].get<std::string>()) << "case " << name;
    EXPECT_EQ(ChangeId(c["modelName"].get<std::string>(), ModelIdString(c["modelId"])),
              c["changeId"].get<std::string>())
        << "case " << name;
    // Append must add to what is already there, not replace it.
    std::string appended = "x";
    AppendCanonicalJson(instance, &appended);
    EXPECT_EQ(appended, "x" + canonical) << "case " << name;
    EXPECT_EQ(FindMalformedString(instance), std::nullopt) << "case " << name;
  }
  EXPECT_EQ(json_cases, 155) << "json cases in revisions.json; none may be skipped";
}

// A JS string with an unpaired surrogate reaches C++ as WTF-8 (ED A0-BF xx). LoopBack hashes
// it as U+FFFD, which a UTF-8 pipeline cannot reproduce (our U+FFFD would be escaped as
// \ufffd), so such strings must be found and refused.
std::string ReplaceSurrogatesWithFffd(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const auto c1 = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (c == 0xed && c1 >= 0xa0 && c1 <= 0xbf && i + 2 < s.size()) {
      out += "\xef\xbf\xbd";
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

TEST(CanonicalJsonTest, LoopBackLoneSurrogateVectors) {
  struct Wtf8Case {
    Json instance;
    std::string path;
  };
  // The WTF-8 form of each case's instanceJs.
  const std::map<std::string, Wtf8Case> kWtf8 = {
      {"lone-high-surrogate", {Json{{"s", "a\xed\xa0\x80" "b"}}, "s"}},
      {"lone-low-surrogate", {Json{{"s", "\xed\xb0\x80"}}, "s"}},
      {"lone-surrogate-in-key", {Json{{"\xed\xbf\xbf", 1}}, "\xef\xbf\xbd"}},
      {"reversed-surrogate-pair", {Json{{"s", "\xed\xb0\x80\xed\xa0\x80"}}, "s"}},
  };
  int seen = 0;
  for (const Json& c : LoadRevisionCases()) {
    if (c.value("kind", "") != "lone-surrogate") continue;
    ++seen;
    const std::string name = c.value("name", "?");
    auto it = kWtf8.find(name);
    ASSERT_NE(it, kWtf8.end()) << "new lone-surrogate case " << name << ": add it to kWtf8";
    const Wtf8Case& wtf8 = it->second;
    EXPECT_EQ(FindMalformedString(wtf8.instance), wtf8.path) << "case " << name;
    // What LoopBack hashed: the canonical text with each surrogate as EF BF BD.
    const std::string hashed = HexDecode(c["canonicalUtf8Hex"].get<std::string>());
    EXPECT_EQ(ReplaceSurrogatesWithFffd(CanonicalJson(wtf8.instance)), hashed) << "case " << name;
    EXPECT_EQ(Sha1Hex(hashed), c["rev"].get<std::string>()) << "case " << name;
  }
  EXPECT_EQ(seen, 4);
}

TEST(CanonicalJsonTest, KeysSortByUtf16CodeUnits) {
  // U+1D11E is D834 DD1E in UTF-16, so it sorts before U+E000 and U+FF01, although its code
  // point (and UTF-8 bytes) are larger.
  const Json value = {{"\xef\xbc\x81", 1},      // U+FF01
                      {"\xee\x80\x80", 2},      // U+E000
                      {"\xf0\x9d\x84\x9e", 3},  // U+1D11E
                      {"\xed\x9f\xbf", 4},      // U+D7FF
                      {"z", 5},
                      {"", 6},
                      {"Z", 7},
                      {"10", 8},
                      {"9", 9}};
  EXPECT_EQ(CanonicalJson(value),
            "{\"\":6,\"10\":8,\"9\":9,\"Z\":7,\"z\":5,\"\xed\x9f\xbf\":4,"
            "\"\xf0\x9d\x84\x9e\":3,\"\xee\x80\x80\":2,\"\xef\xbc\x81\":1}");
  // Prefixes and shared lead bytes.
  const Json nested = {{"k", {{"\xef\xbc\x81" "a", 1}, {"\xef\xbc\x81", 2}, {"\xf0\x90\x80\x80", 3}}}};
  EXPECT_EQ(CanonicalJson(nested),
            "{\"k\":{\"\xf0\x90\x80\x80\":3,\"\xef\xbc\x81\":2,\"\xef\xbc\x81" "a\":1}}");
}

TEST(CanonicalJsonTest, Escaping) {
  EXPECT_EQ(CanonicalJson("\"\\/"), R"("\"\\/")");
  EXPECT_EQ(CanonicalJson("\b\t\n\f\r"), R"("\b\t\n\f\r")");
  EXPECT_EQ(CanonicalJson(std::string("\x00\x01\x0b\x1f", 4)), R"("\u0000\u0001\u000b\u001f")");
  // Beyond JSON.stringify: DEL, C1, soft hyphen, format characters, U+2028, BOM, specials.
  EXPECT_EQ(CanonicalJson("\x7f\xc2\x80\xc2\x9f\xc2\xad"), R"("\u007f\u0080\u009f\u00ad")");
  EXPECT_EQ(CanonicalJson("\xd8\x80\xd8\x84\xdc\x8f\xe1\x9e\xb4\xe1\x9e\xb5"),
            R"("\u0600\u0604\u070f\u17b4\u17b5")");
  EXPECT_EQ(CanonicalJson("\xe2\x80\x8c\xe2\x80\x8f\xe2\x80\xa8\xe2\x80\xaf\xe2\x81\xa0\xe2\x81\xaf"),
            R"("\u200c\u200f\u2028\u202f\u2060\u206f")");
  EXPECT_EQ(CanonicalJson("\xef\xbb\xbf\xef\xbf\xb0\xef\xbf\xbd\xef\xbf\xbf"),
            R"("\ufeff\ufff0\ufffd\uffff")");
  // Neighbours of the escaped ranges stay raw, as do astral characters.
  const std::string raw =
      "~\xc2\xa0\xc2\xac\xc2\xae\xd8\x85\xdc\x8e\xe1\x9e\xb3\xe1\x9e\xb6\xe2\x80\x8b"
      "\xe2\x80\x90\xe2\x80\xa7\xe2\x80\xb0\xe2\x81\x9f\xe2\x81\xb0\xef\xbb\xbe\xef\xbf\xaf"
      "\xf0\x9f\x98\x80\xe2\x82\xac";
  EXPECT_EQ(CanonicalJson(raw), "\"" + raw + "\"");
  // Escapes apply to keys too.
  EXPECT_EQ(CanonicalJson(Json{{"a\"\xe2\x80\xa8", 1}}), R"({"a\"\u2028":1})");
}

TEST(CanonicalJsonTest, Numbers) {
  EXPECT_EQ(CanonicalJson(Json(-0.0)), "0");
  EXPECT_EQ(CanonicalJson(Json(1.0)), "1");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(CanonicalJson(Json(nan)), "null");
  EXPECT_EQ(CanonicalJson(Json::array({nan, inf, -inf, -0.0})), "[null,null,null,0]");
  EXPECT_EQ(CanonicalJson(Json{{"a", nan}}), R"({"a":null})");
  // Integers are printed as the double JS would hold.
  EXPECT_EQ(CanonicalJson(Json(uint64_t{12345678901234567890u})), "12345678901234567000");
  EXPECT_EQ(CanonicalJson(Json(std::numeric_limits<int64_t>::max())), "9223372036854776000");
  EXPECT_EQ(CanonicalJson(Json(std::numeric_limits<int64_t>::min())), "-9223372036854776000");
  EXPECT_EQ(CanonicalJson(Json(int64_t{9007199254740993})), "9007199254740992");
  EXPECT_EQ(CanonicalJson(Json(int64_t{-9007199254740993})), "-9007199254740992");
  EXPECT_EQ(CanonicalJson(Json(int64_t{9007199254740992})), "9007199254740992");
  EXPECT_EQ(CanonicalJson(Json(int64_t{-42})), "-42");
  EXPECT_EQ(CanonicalJson(Json::parse("[1e21,1e-7,0.000001,100]")), "[1e+21,1e-7,0.000001,100]");
}

TEST(CanonicalJsonTest, Structure) {
  EXPECT_EQ(CanonicalJson(Json::parse(R"({"b":[3,{"y":null,"x":true}],"a":{}, "c":[]})")),
            R"({"a":{},"b":[3,{"x":true,"y":null}],"c":[]})");
  EXPECT_EQ(Revision(Json::parse(R"({"id":"a1","title":"one","done":false})")),
            "31e8ac64bf866ca0524ef20511ef3c0449276bd9");
  EXPECT_EQ(ChangeId("Todo", "a1"), "4f2f2fc610f37258380e45d5b1307e31ee2f1aa3");
}

TEST(CanonicalJsonTest, FindMalformedString) {
  EXPECT_EQ(FindMalformedString(Json::parse(R"({"a":"ok","b":["\u00e9","\ud83d\ude00"]})")),
            std::nullopt);
  EXPECT_EQ(FindMalformedString(Json("\xef\xbf\xbf\xf4\x8f\xbf\xbf")), std::nullopt);
  EXPECT_EQ(FindMalformedString(Json(42)), std::nullopt);
  // The root itself.
  EXPECT_EQ(FindMalformedString(Json("\xed\xa0\x80")), "");
  // Nested paths: object keys and array indexes joined by dots.
  Json doc = {{"title", "fine"}, {"meta", {{"tags", {"ok", "bad\xed\xb0\x80"}}}}};
  EXPECT_EQ(FindMalformedString(doc), "meta.tags.1");
  // Each kind of ill-formed UTF-8.
  const char* kBad[] = {
      "\xc0\x80",          // overlong NUL
      "\xe0\x80\xaf",      // overlong '/'
      "\xf0\x80\x80\xaf",  // overlong, 4 bytes
      "\xe2\x82",          // truncated
      "x\xc3",             // truncated at the end
      "\x80",              // lone continuation byte
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xf5\x80\x80\x80",  // invalid lead
      "\xff",
      "\xed\xbf\xbf",      // U+DFFF
  };
  for (const char* bad : kBad) {
    EXPECT_EQ(FindMalformedString(Json{{"k", {1, bad}}}), "k.1") << Sha1Hex(bad);
  }
  // A bad key is reported with U+FFFD in its place, so the path itself is valid UTF-8.
  EXPECT_EQ(FindMalformedString(Json{{"m", {{"a\xc3", 1}}}}), "m.a\xef\xbf\xbd");
}

}  // namespace
}  // namespace replicore
