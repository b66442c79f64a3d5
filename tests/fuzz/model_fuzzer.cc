// Model JSON -> ModelDefinition (core/include/replicore/model.h). A definition either parses
// or is a status, never a crash or an exception; one that parses must normalise records,
// hash them and read their ids, and normalising a stored record again changes nothing
// (replication re-normalises what a peer stored, and the revision must not move).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "replicore/json_canonical.h"
#include "replicore/json_limits.h"
#include "replicore/model.h"

using replicore::Json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto definition = replicore::ParseJsonWithin(std::string(reinterpret_cast<const char*>(data), size));
  if (!definition.ok()) return 0;
  auto model = replicore::ModelDefinition::Parse(*definition);
  if (!model.ok()) return 0;

  replicore::Environment env{[] { return 1700000000000.0; }, [] { return std::string("guid-1"); }};
  // Fixed records of every JSON type, plus the input itself as a record.
  static const Json kRecords[] = {
      Json::object(),
      Json{{"id", "a-1"}, {"title", "buy milk"}, {"completed", "yes"}, {"created", "42"},
           {"dueAt", "2024-01-02"}, {"meta", {{"tags", {"x", 1}}}}},
      Json{{"id", 7}, {"title", 123}, {"completed", 0}, {"created", nullptr}, {"extra", true}},
      Json{{"id", "ü€😀"}, {"dueAt", 1.5e12}, {"meta", "not an object"}, {"n", -0.0}},
  };
  auto check = [&](const Json& record, const replicore::NormalizeOptions& options) {
    auto stored = model->Normalize(record, env, options);
    if (!stored.ok()) return;
    std::string rev = model->RevisionOf(*stored);
    (void)model->IdOf(*stored);
    auto again = model->Normalize(*stored, env, options);
    if (!again.ok() || model->RevisionOf(*again) != rev) {
      fprintf(stderr, "normalising a stored record again changed it:\n%s\n%s\n",
              replicore::CanonicalJson(*stored).c_str(),
              again.ok() ? replicore::CanonicalJson(*again).c_str() : again.status().message().c_str());
      abort();
    }
  };
  for (bool fill_nulls : {false, true}) {
    replicore::NormalizeOptions options;
    options.fill_nulls = fill_nulls;
    for (const Json& record : kRecords) check(record, options);
    check(*definition, options);
  }
  replicore::PropertyTypeLookup types = model->TypeLookup();
  for (const auto& property : model->properties()) (void)types(property.name);
  return 0;
}
