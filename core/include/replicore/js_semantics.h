// JavaScript's behaviour on text, where replicore must match it byte for byte: string order,
// JSON string quoting, Number(string), and the percent-decoding of URLs. One implementation of
// each, shared by the core, the server and the wasm bindings.
#ifndef REPLICORE_JS_SEMANTICS_H_
#define REPLICORE_JS_SEMANTICS_H_

#include <optional>
#include <string>
#include <string_view>

namespace replicore {

// JavaScript's string order (UTF-16 code units) on UTF-8 text: <0, 0, >0. No allocation;
// a strict total order even on ill-formed bytes.
int CompareUtf16(std::string_view a, std::string_view b);

// JSON.stringify of a string given as UTF-8, appended to *out with its quotes. A lone
// surrogate encoded as WTF-8 (ED A0..BF xx) is written as "\udxxx", as JSON.stringify does.
void AppendJsonString(std::string_view s, std::string* out);
// canonical-json 0.0.4's quoting (json2.js's `escapable` set: also DEL, U+2028, U+FEFF, ...),
// which LoopBack's revisions hash. `s` must be well-formed UTF-8.
void AppendCanonicalJsonString(std::string_view s, std::string* out);
// Whether `s` is well-formed UTF-8 that AppendCanonicalJsonString writes unchanged between
// its quotes: nothing in it is escaped.
bool IsPlainCanonicalString(std::string_view s);

// JS Number(text) (StringToNumber): trims whitespace, "" is 0, 0x/0o/0b prefixes, Infinity;
// NaN when `text` is not a numeric literal.
double JsStringToNumber(std::string_view text);
// The value of a StrDecimalLiteral with nothing around it ("-1.5e3", ".5", "5.", "Infinity");
// nullopt otherwise.
std::optional<double> ParseJsDecimal(std::string_view text);

// A path segment as Express decodes a route parameter: %XX only ('+' stays), and a '%' without
// two hex digits after it stays as is. The bytes are not checked to be UTF-8.
std::string DecodePathSegment(std::string_view text);
// A query-string key or value as qs decodes it: '+' is a space, %XX a byte; nullopt for a '%'
// without two hex digits after it. The bytes are not checked to be UTF-8.
std::optional<std::string> DecodeQueryComponent(std::string_view text);

}  // namespace replicore

#endif  // REPLICORE_JS_SEMANTICS_H_
