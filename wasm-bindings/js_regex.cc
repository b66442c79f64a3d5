// The regex seam (replicore/regex.h) over JavaScript's RegExp, for the wasm build. This is
// LoopBack's own engine (the memory connector runs RegExp.test), and it keeps std::regex
// and libc++'s locale machinery out of the module. Patterns are ECMAScript without the
// "u" flag, so they work on UTF-16 code units exactly as in LoopBack; strings cross as
// UTF-8 through Embind's std::string binding (embedded NULs included).
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "replicore/regex.h"

// Compiles `new RegExp(source, flags)` once and returns an Embind handle to it (owned by
// the caller), or 0 after writing the SyntaxError's message (UTF-8, NUL-terminated,
// truncated to `cap` bytes) to `out`. The source is decoded NUL-safely, as Embind decodes
// std::string. (A construct-then-discard check would not do: Closure treats the RegExp
// constructor as side-effect free and drops it.) Emval is in the glue because this file
// uses emscripten::val.
EM_JS(emscripten::EM_VAL, rc_js_regexp_new,
      (const char* src, int len, const char* flags, char* out, int cap), {
  var source = "";
  var start = src;
  for (var i = src; i <= src + len; ++i) {
    if (i == src + len || HEAPU8[i] == 0) {
      source += UTF8ToString(start, i - start);
      if (i < src + len) source += String.fromCharCode(0);
      start = i + 1;
    }
  }
  try {
    return Emval.toHandle(new RegExp(source, UTF8ToString(flags)));
  } catch (e) {
    stringToUTF8(String(e && e.message), out, cap);
    return 0;
  }
});

namespace {

class JsRegex final : public replicore::Regex {
 public:
  explicit JsRegex(emscripten::val re) : re_(std::move(re)) {}
  bool Search(std::string_view utf8) const override {
    return re_.call<bool>("test", std::string(utf8));
  }

 private:
  emscripten::val re_;
};

}  // namespace

namespace replicore {

std::shared_ptr<const Regex> CompileRegex(const std::string& source, const std::string& flags,
                                          std::string* error) {
  if (source.size() > kMaxRegexBytes) {  // the same bound as the server's
    if (error) *error = "pattern longer than " + std::to_string(kMaxRegexBytes) + " bytes";
    return nullptr;
  }
  // Only i and m reach RegExp: "g" would make test() stateful (lastIndex).
  std::string js_flags;
  if (flags.find('i') != std::string::npos) js_flags += 'i';
  if (flags.find('m') != std::string::npos) js_flags += 'm';
  std::vector<char> message(512);
  emscripten::EM_VAL handle =
      rc_js_regexp_new(source.data(), static_cast<int>(source.size()), js_flags.c_str(),
                       message.data(), static_cast<int>(message.size()));
  if (handle == nullptr) {
    if (error) {
      // "Invalid regular expression: /a(/: Unterminated group": callers add their own prefix.
      std::string text = message.data();
      static const char kPrefix[] = "Invalid regular expression: ";
      if (text.compare(0, sizeof(kPrefix) - 1, kPrefix) == 0) text.erase(0, sizeof(kPrefix) - 1);
      *error = text;
    }
    return nullptr;
  }
  return std::make_shared<const JsRegex>(emscripten::val::take_ownership(handle));
}

}  // namespace replicore
