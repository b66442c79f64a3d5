#include "redis_filter.h"

#include <set>
#include <string>

#include "replicore/json_canonical.h"

namespace replicore {
namespace {

const char* OperatorName(WhereOp op) {
  switch (op) {
    case WhereOp::kEq: return "eq";
    case WhereOp::kNeq: return "neq";
    case WhereOp::kGt: return "gt";
    case WhereOp::kGte: return "gte";
    case WhereOp::kLt: return "lt";
    case WhereOp::kLte: return "lte";
    case WhereOp::kBetween: return "between";
    case WhereOp::kInq: return "inq";
    case WhereOp::kNin: return "nin";
    case WhereOp::kLike: return "like";
    case WhereOp::kNlike: return "nlike";
    case WhereOp::kIlike: return "ilike";
    case WhereOp::kNilike: return "nilike";
    case WhereOp::kRegexp: return "regexp";
  }
  return "?";
}

std::string Dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& part : path) out += (out.empty() ? "" : ".") + part;
  return out;
}

Status Refuse(const std::string& what) {
  return Status::BadFilter(std::string(kRedisRefusal) + what + kRedisServes);
}

// The key of an id value as the core makes it (ModelDefinition::IdOf): false for a value
// no stored id can have.
bool KeyOf(const Json& value, std::string* key) {
  if (value.is_string()) {
    *key = value.get<std::string>();
  } else if (value.is_number()) {
    *key = JsNumberToString(value.get<double>());
  } else if (value.is_boolean()) {
    *key = value.get<bool>() ? "true" : "false";
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<RedisPlan> PlanRedisWhere(const Where& where) {
  RedisPlan plan;
  if (MatchesAll(where)) return plan;
  if (where.kind != Where::Kind::kCondition) {
    return Refuse(std::string("where {\"") + (where.kind == Where::Kind::kOr ? "or" : "and") +
                  "\": [...]}");
  }
  const std::string property = "where {\"" + Dotted(where.path) + "\": ";
  if (where.path != std::vector<std::string>{"id"}) {
    return Refuse(property + (where.op == WhereOp::kEq ? std::string("...}")
                                                        : std::string("{\"") +
                                                              OperatorName(where.op) + "\": ...}}"));
  }
  if (where.op != WhereOp::kEq && where.op != WhereOp::kInq) {
    return Refuse(property + "{\"" + OperatorName(where.op) + "\": ...}}");
  }
  const Json values = where.op == WhereOp::kEq ? Json::array({where.value}) : where.value;
  if (!values.is_array()) return Refuse(property + "{\"inq\": " + where.value.dump() + "}}");
  plan.all = false;
  std::set<std::string> seen;
  for (const Json& value : values) {
    std::string key;
    if (!KeyOf(value, &key)) {
      return Refuse(property + value.dump(-1, ' ', false, Json::error_handler_t::replace) +
                    "} (an id is a string or a number)");
    }
    if (seen.insert(key).second) plan.ids.push_back(std::move(key));
  }
  return plan;
}

Result<RedisPlan> PlanRedisFind(const Filter& filter) {
  for (const OrderKey& key : filter.order) {
    if (key.path != std::vector<std::string>{"id"}) {
      return Refuse("order \"" + Dotted(key.path) + (key.descending ? " DESC" : " ASC") + "\"");
    }
  }
  return PlanRedisWhere(filter.where);
}

}  // namespace replicore
