// The regex seam over std::regex (ECMAScript grammar), for native builds only. The wasm
// build links wasm-bindings/js_regex.cc instead (JavaScript's RegExp), so this is the one
// file of the core that includes <regex>.
#include <regex>

#include "replicore/regex.h"

namespace replicore {
namespace {

class StdRegex final : public Regex {
 public:
  StdRegex(const std::string& source, std::regex::flag_type syntax) : re_(source, syntax) {}
  bool Search(std::string_view utf8) const override {
    return std::regex_search(utf8.begin(), utf8.end(), re_);
  }

 private:
  std::regex re_;
};

}  // namespace

std::shared_ptr<const Regex> CompileRegex(const std::string& source, const std::string& flags,
                                          std::string* error) {
  auto syntax = std::regex::ECMAScript;
  if (flags.find('i') != std::string::npos) syntax |= std::regex::icase;
  if (flags.find('m') != std::string::npos) syntax |= std::regex::multiline;
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  try {
    return std::make_shared<const StdRegex>(source, syntax);
  } catch (const std::regex_error& e) {
    if (error) *error = e.what();
    return nullptr;
  }
#else
  (void)error;
  return std::make_shared<const StdRegex>(source, syntax);
#endif
}

}  // namespace replicore
