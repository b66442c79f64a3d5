// Dates as LoopBack stores them: JavaScript Date semantics, ISO-8601 with milliseconds and Z.
#ifndef REPLICORE_ISO_DATE_H_
#define REPLICORE_ISO_DATE_H_

#include <optional>
#include <string>
#include <string_view>

namespace replicore {

// Epoch milliseconds of a date string as `new Date(s)` reads the ISO forms:
// "2024-06-30" (UTC midnight), "2024-06-30T12:00", "...:05", "...:05.006", with "Z" or
// "+hh:mm"/"-hh:mm" (no zone: treated as UTC; the server and tests run in UTC), extended
// years "+010000-01-01T00:00:00.000Z". nullopt when JS would give an Invalid Date or the
// value is outside JS's range (|ms| > 8.64e15).
std::optional<double> ParseIsoDate(std::string_view text);

// Date.prototype.toISOString(): "2024-01-02T03:04:05.006Z", "-000001-..." / "+010000-...".
// REQUIRES: ms is finite and |ms| <= 8.64e15; it is truncated to an integer.
std::string FormatIsoDate(double ms);

}  // namespace replicore

#endif  // REPLICORE_ISO_DATE_H_
