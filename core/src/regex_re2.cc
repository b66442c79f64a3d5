// The regex seam over RE2, for native builds only (the wasm build links
// wasm-bindings/js_regex.cc, JavaScript's RegExp). RE2 matches in time linear in the
// text and bounds a compiled pattern's memory, so a server-side `regexp` or `like` from a
// hostile client cannot backtrack for minutes under the read lock (issue 20). It has no
// backreferences or lookaround; such patterns are refused as invalid, as LoopBack's SQL
// connectors refuse what their database's engine lacks.
#include <re2/re2.h>

#include "replicore/regex.h"

namespace replicore {
namespace {

class Re2Regex final : public Regex {
 public:
  explicit Re2Regex(std::unique_ptr<const re2::RE2> re) : re_(std::move(re)) {}
  bool Search(std::string_view utf8) const override {
    return re2::RE2::PartialMatch(re2::StringPiece(utf8.data(), utf8.size()), *re_);
  }

 private:
  std::unique_ptr<const re2::RE2> re_;
};

}  // namespace

std::shared_ptr<const Regex> CompileRegex(const std::string& source, const std::string& flags,
                                          std::string* error) {
  if (source.size() > kMaxRegexBytes) {
    if (error) *error = "pattern longer than " + std::to_string(kMaxRegexBytes) + " bytes";
    return nullptr;
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(flags.find('i') == std::string::npos);
  // ECMAScript's "m": ^ and $ also match at line breaks. RE2 spells it (?m).
  const bool multiline = flags.find('m') != std::string::npos;
  auto re = std::make_unique<const re2::RE2>(multiline ? "(?m)" + source : source, options);
  if (!re->ok()) {
    if (error) *error = re->error();
    return nullptr;
  }
  return std::make_shared<const Re2Regex>(std::move(re));
}

}  // namespace replicore
