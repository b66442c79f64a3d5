// Model definitions as data (LoopBack model JSON) and the validation and normalisation
// of instances into the view LoopBack stores and hashes.
#ifndef REPLICORE_MODEL_H_
#define REPLICORE_MODEL_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replicore/filter.h"
#include "replicore/model_indexes.h"
#include "replicore/record.h"
#include "replicore/status.h"

namespace replicore {

enum class PropertyType { kString, kNumber, kBoolean, kDate, kObject, kArray, kAny };
// "string", "number", ...
const char* PropertyTypeName(PropertyType type);

// `text` with every ill-formed UTF-8 sequence (and encoded lone surrogate) replaced by
// U+FFFD, as JavaScript would show it: for messages that echo what a client sent.
std::string ReplaceMalformedUtf8(std::string_view text);

// strict: false keeps unknown properties; true and "throw" reject them on write with
// LoopBack's `unknown-property` validation code.
enum class Strictness { kLoose, kStrict, kThrow };

struct PropertyDefinition {
  std::string name;
  PropertyType type = PropertyType::kAny;
  std::optional<PropertyType> item_type;  // ["string"] -> kArray of kString
  bool required = false;
  bool id = false;
  std::optional<Json> default_value;
  std::string default_fn;  // "", "guid", "uuid", "now"
  // Cheap validations: numbers are bounded by min/max; strings and arrays by their
  // length (min/max, or exactly `length`); strings must match `pattern` (ECMAScript regex).
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> length;
  std::optional<std::string> pattern;
};

// What varies is injected, so tests are deterministic.
struct Environment {
  std::function<double()> now_ms;          // epoch milliseconds (defaultFn "now")
  std::function<std::string()> new_guid;   // a fresh guid/uuid string (defaultFn guid/uuid)
};

struct NormalizeOptions {
  bool apply_defaults = true;  // default / defaultFn for absent properties
  bool fill_nulls = false;     // every declared property absent -> null
};

class ModelDefinition {
 public:
  // Parses LoopBack model JSON: name (required), plural (default name + "s"), base, strict,
  // hidden, trackChanges, persistUndefinedAsNull (the misspelt persisteUndefinedAsNull is
  // ignored, as LoopBack ignores it), properties in long and shorthand form. Other keys
  // (relations, acls, methods, options...) are accepted and ignored. A malformed definition is
  // a kValidation status whose message names the path ("properties.title.type: ...").
  // Without an id property, an "id" property (type any, generated guid) is implied.
  static Result<ModelDefinition> Parse(const Json& definition);

  const std::string& name() const { return name_; }
  const std::string& plural() const { return plural_; }
  const std::string& base() const { return base_; }
  Strictness strict() const { return strict_; }
  const std::vector<std::string>& hidden() const { return hidden_; }
  bool track_changes() const { return track_changes_; }
  bool persist_undefined_as_null() const { return persist_undefined_as_null_; }
  const std::vector<PropertyDefinition>& properties() const { return properties_; }
  const PropertyDefinition* FindProperty(std::string_view name) const;
  const PropertyDefinition& id_property() const;
  // The declared indexes ("indexes" and properties' "index"), properties' first, each group by name
  // (nlohmann objects keep no declaration order).
  const std::vector<IndexDefinition>& indexes() const { return indexes_; }
  // Types of the declared properties, for filter coercion.
  PropertyTypeLookup TypeLookup() const;

  // Validates and normalises `data` (a JSON object) into the stored form: types coerced as
  // LoopBack coerces them ("42" -> 42 for a number, "abc" -> null; "true"/"yes" -> true for a
  // boolean; 123 -> "123" for a string; dates -> ISO strings), defaults applied, unknown
  // properties rejected or kept per strict, strings checked for well-formed UTF-8, required /
  // min / max / length / pattern checked. On failure: a kValidation status listing EVERY
  // failing property, with LoopBack's 422 details {context, codes, messages}.
  Result<Json> Normalize(const Json& data, const Environment& env,
                         const NormalizeOptions& options) const;
  // Normalize with the options of a plain create (defaults on, nulls per the model).
  Result<Json> Normalize(const Json& data, const Environment& env) const;

  // The view LoopBack hashes: the stored record without hidden properties.
  Json View(const Json& stored) const;
  // Revision(View(stored)), without copying the record when nothing is hidden.
  std::string RevisionOf(const Json& stored) const;
  // The same from the record's canonical text, hashed as it is when nothing is hidden.
  std::string RevisionOf(const Record& stored) const;

  // The record's id as a string (numbers as JS prints them); kValidation if absent/null.
  Result<std::string> IdOf(const Json& record) const;

 private:
  // Parse and Normalize without their guard, which turns an exception (a case the checks
  // missed) into a validation error.
  static Result<ModelDefinition> ParseUnguarded(const Json& definition);
  Result<Json> NormalizeUnguarded(const Json& data, const Environment& env,
                                  const NormalizeOptions& options) const;

  std::string name_;
  std::string plural_;
  std::string base_;
  Strictness strict_ = Strictness::kLoose;
  std::vector<std::string> hidden_;
  bool track_changes_ = false;
  bool persist_undefined_as_null_ = false;
  std::vector<PropertyDefinition> properties_;
  size_t id_index_ = 0;
  std::vector<IndexDefinition> indexes_;
};

}  // namespace replicore

#endif  // REPLICORE_MODEL_H_
