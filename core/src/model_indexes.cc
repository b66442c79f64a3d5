#include "replicore/model_indexes.h"

namespace replicore {
namespace {

// 1 / -1 (Mongo style), or "ASC" / "DESC" as some connectors write it.
Result<bool> ParseDirection(const Json& value, const std::string& path) {
  if (value.is_number() && (value.get<double>() == 1 || value.get<double>() == -1)) {
    return value.get<double>() == -1;
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "ASC" || text == "asc") return false;
    if (text == "DESC" || text == "desc") return true;
  }
  return Status::Validation(path + ": must be 1, -1, \"ASC\" or \"DESC\"");
}

Status ParseKeys(const Json& keys, const std::string& path, IndexDefinition* index) {
  if (!keys.is_object() || keys.empty()) {
    return Status::Validation(path + ": must be an object of property: 1 or -1");
  }
  for (auto it = keys.begin(); it != keys.end(); ++it) {
    if (it.key().empty()) return Status::Validation(path + ": a property name must not be empty");
    RC_ASSIGN_OR_RETURN(bool descending, ParseDirection(it.value(), path + "." + it.key()));
    index->keys.push_back({it.key(), descending});
  }
  return Status::Ok();
}

// "a, b DESC" -> keys.
Status ParseColumns(const Json& columns, const std::string& path, IndexDefinition* index) {
  if (!columns.is_string()) return Status::Validation(path + ": must be a string");
  const std::string& text = columns.get_ref<const std::string&>();
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    const size_t first = part.find_first_not_of(' ');
    const size_t last = part.find_last_not_of(' ');
    part = first == std::string::npos ? "" : part.substr(first, last - first + 1);
    IndexKey key;
    if (const size_t space = part.find(' '); space != std::string::npos) {
      const std::string direction = part.substr(space + 1);
      RC_ASSIGN_OR_RETURN(key.descending, ParseDirection(Json(direction), path));
      part.resize(space);
    }
    if (part.empty()) return Status::Validation(path + ": an empty column name");
    key.property = part;
    index->keys.push_back(std::move(key));
    start = end + 1;
  }
  return Status::Ok();
}

Status ParseIndex(const std::string& name, const Json& spec, IndexDefinition* index) {
  const std::string path = "indexes." + name;
  index->name = name;
  if (!spec.is_object()) return Status::Validation(path + ": must be an object");
  if (auto keys = spec.find("keys"); keys != spec.end()) {
    RC_RETURN_IF_ERROR(ParseKeys(*keys, path + ".keys", index));
  } else if (auto columns = spec.find("columns"); columns != spec.end()) {
    RC_RETURN_IF_ERROR(ParseColumns(*columns, path + ".columns", index));
  } else {
    RC_RETURN_IF_ERROR(ParseKeys(spec, path, index));
  }
  if (auto options = spec.find("options"); options != spec.end()) {
    if (!options->is_object()) return Status::Validation(path + ".options: must be an object");
    if (auto unique = options->find("unique"); unique != options->end()) {
      if (!unique->is_boolean()) {
        return Status::Validation(path + ".options.unique: must be a boolean");
      }
      index->unique = unique->get<bool>();
    }
  }
  if (auto kind = spec.find("kind"); kind != spec.end()) {
    if (!kind->is_string()) return Status::Validation(path + ".kind: must be a string");
    index->unique = kind->get_ref<const std::string&>() == "unique" ||
                    kind->get_ref<const std::string&>() == "UNIQUE";
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<IndexDefinition>> ParseIndexes(const Json& definition) {
  std::vector<IndexDefinition> indexes;
  if (auto properties = definition.find("properties");
      properties != definition.end() && properties->is_object()) {
    for (auto it = properties->begin(); it != properties->end(); ++it) {
      if (!it.value().is_object()) continue;
      auto flag = it.value().find("index");
      if (flag == it.value().end()) continue;
      const std::string path = "properties." + it.key() + ".index";
      IndexDefinition index;
      index.name = it.key() + "_idx";
      index.keys.push_back({it.key(), false});
      if (flag->is_object()) {
        if (auto unique = flag->find("unique"); unique != flag->end()) {
          if (!unique->is_boolean()) return Status::Validation(path + ".unique: must be a boolean");
          index.unique = unique->get<bool>();
        }
      } else if (!flag->is_boolean()) {
        return Status::Validation(path + ": must be a boolean or {\"unique\": boolean}");
      } else if (!flag->get<bool>()) {
        continue;
      }
      indexes.push_back(std::move(index));
    }
  }
  if (auto declared = definition.find("indexes"); declared != definition.end()) {
    if (declared->is_null()) return indexes;
    if (!declared->is_object()) return Status::Validation("indexes: must be an object");
    for (auto it = declared->begin(); it != declared->end(); ++it) {
      IndexDefinition index;
      RC_RETURN_IF_ERROR(ParseIndex(it.key(), it.value(), &index));
      indexes.push_back(std::move(index));
    }
  }
  return indexes;
}

}  // namespace replicore
