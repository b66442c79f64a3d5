#include "json_text.h"

namespace replicore {

void JsonTextReader::SkipSpace() {
  while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                 text_[pos_] == '\r' || text_[pos_] == '\t')) {
    ++pos_;
  }
}

Status JsonTextReader::Fail(const std::string& what) const {
  return Status::BadRequest("malformed JSON text: " + what + " at offset " + std::to_string(pos_));
}

bool JsonTextReader::Consume(char c) {
  SkipSpace();
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

Status JsonTextReader::Expect(char c) {
  if (Consume(c)) return Status::Ok();
  return Fail(std::string("expected '") + c + "'");
}

bool JsonTextReader::AtEnd() {
  SkipSpace();
  return pos_ == text_.size();
}

Status JsonTextReader::SkipString() {
  ++pos_;  // the opening quote
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      return Status::Ok();
    }
    if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in a string");
    pos_ += c == '\\' ? 2 : 1;
  }
  return Fail("unterminated string");
}

Result<std::string_view> JsonTextReader::Value() {
  SkipSpace();
  const size_t begin = pos_;
  if (pos_ >= text_.size()) return Fail("missing value");
  const char first = text_[pos_];
  if (first == '"') {
    RC_RETURN_IF_ERROR(SkipString());
  } else if (first == '{' || first == '[') {
    // Brackets are counted, not matched by kind: the text is ours, and a tree parse of a
    // record later still rejects a mismatch.
    size_t depth = 0;
    do {
      if (pos_ >= text_.size()) return Fail("unterminated object or array");
      const char c = text_[pos_];
      if (c == '"') {
        RC_RETURN_IF_ERROR(SkipString());
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      ++pos_;
    } while (depth > 0);
  } else {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        break;
      }
      ++pos_;
    }
    if (pos_ == begin) return Fail("missing value");
  }
  return text_.substr(begin, pos_ - begin);
}

Result<std::string> JsonTextReader::String() {
  SkipSpace();
  if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a string");
  RC_ASSIGN_OR_RETURN(std::string_view span, Value());
  const std::string_view inner = span.substr(1, span.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);
  Json parsed = Json::parse(std::string(span), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_string()) return Fail("bad escape in a string");
  return parsed.get<std::string>();
}

Result<std::optional<std::string>> JsonTextReader::StringOrNull() {
  SkipSpace();
  if (text_.compare(pos_, 4, "null") == 0) {
    pos_ += 4;
    return std::optional<std::string>();
  }
  Result<std::string> text = String();
  if (!text.ok()) return text.status();
  return std::optional<std::string>(std::move(text).value());
}

Result<int64_t> JsonTextReader::Integer() {
  Result<std::string_view> span = Value();
  if (!span.ok()) return span.status();
  const std::string_view digits = span->substr(span->front() == '-' ? 1 : 0);
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return Fail("expected an integer");
  }
  int64_t value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return span->front() == '-' ? -value : value;
}

std::optional<std::string_view> MemberText(std::string_view object_text, std::string_view name) {
  JsonTextReader reader(object_text);
  if (!reader.Consume('{') || reader.Consume('}')) return std::nullopt;
  do {
    Result<std::string_view> key = reader.Value();  // the quoted name, unescaped only if needed
    if (!key.ok() || key->size() < 2 || key->front() != '"' || !reader.Expect(':').ok()) {
      return std::nullopt;
    }
    Result<std::string_view> value = reader.Value();
    if (!value.ok()) return std::nullopt;
    const std::string_view raw = key->substr(1, key->size() - 2);
    if (raw.find('\\') == std::string_view::npos) {
      if (raw == name) return *value;
    } else if (Result<std::string> unescaped = JsonTextReader(*key).String();
               unescaped.ok() && *unescaped == name) {
      return *value;
    }
  } while (reader.Consume(','));
  return std::nullopt;
}

}  // namespace replicore
