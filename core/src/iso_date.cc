#include "replicore/iso_date.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace replicore {
namespace {

constexpr double kMaxTime = 8.64e15;  // ECMAScript TimeClip bound
constexpr int64_t kMsPerDay = 86400000;

// Days since 1970-01-01 of the proleptic Gregorian y-m-d (m in 1..12, d may run past the
// end of the month: V8 turns "2024-02-30" into March 1, as MakeDay does).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

// A cursor over the text; every reader returns false without consuming on a mismatch.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  bool EatAny(const char* chars, char* which) {
    if (pos_ >= text_.size()) return false;
    for (const char* p = chars; *p; ++p) {
      if (text_[pos_] == *p) {
        *which = *p;
        ++pos_;
        return true;
      }
    }
    return false;
  }
  // Exactly `n` ASCII digits.
  bool Digits(int n, int64_t* out) {
    if (text_.size() - pos_ < static_cast<size_t>(n)) return false;
    int64_t v = 0;
    for (int i = 0; i < n; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }
  bool IsDigit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }
  char Next() { return text_[pos_++]; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

// The ES Date Time String Format (YYYY[-MM[-DD]][THH:mm[:ss[.sss]]][Z|±HH:mm]) plus the
// liberties V8 takes with it that LoopBack peers rely on: 't'/' ' for 'T', 'z' for 'Z',
// any number of fraction digits (truncated to ms), ±HHmm offsets, "Z" after a bare date,
// day 29..31 in any month (rolled over) and one-digit months/days ("2024-6-30"). V8's
// legacy fallback parser (e.g. "June 30, 2024", "12") is deliberately not reproduced.
std::optional<double> ParseIsoDate(std::string_view text) {
  Reader r(text);
  int64_t year = 0;
  char sign = 0;
  if (r.EatAny("+-", &sign)) {
    if (!r.Digits(6, &year)) return std::nullopt;
    if (sign == '-') {
      if (year == 0) return std::nullopt;  // "-000000" is explicitly invalid
      year = -year;
    }
  } else if (!r.Digits(4, &year)) {
    return std::nullopt;
  }
  // V8 accepts one- or two-digit month and day fields.
  auto read_1or2 = [&r](int64_t* out) {
    if (r.Digits(2, out)) return true;
    return r.Digits(1, out);
  };
  int64_t month = 1, day = 1;
  if (r.Eat('-')) {
    if (!read_1or2(&month) || month < 1 || month > 12) return std::nullopt;
    if (r.Eat('-')) {
      if (!read_1or2(&day) || day < 1 || day > 31) return std::nullopt;
    }
  }
  int64_t hour = 0, minute = 0, second = 0, millis = 0;
  char sep = 0;
  bool has_time = false;
  if (r.EatAny("Tt ", &sep)) {
    has_time = true;
    if (!r.Digits(2, &hour) || !r.Eat(':') || !r.Digits(2, &minute)) return std::nullopt;
    if (r.Eat(':')) {
      if (!r.Digits(2, &second)) return std::nullopt;
      if (r.Eat('.')) {
        if (!r.IsDigit()) return std::nullopt;
        int n = 0;
        while (r.IsDigit()) {
          int digit = r.Next() - '0';
          if (n < 3) millis = millis * 10 + digit;
          ++n;
        }
        for (; n < 3; ++n) millis *= 10;
      }
    }
    if (hour > 24 || minute > 59 || second > 59) return std::nullopt;
    if (hour == 24 && (minute != 0 || second != 0 || millis != 0)) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  char zone = 0;
  if (r.EatAny("Zz", &zone)) {
    // UTC.
  } else if (has_time && r.EatAny("+-", &zone)) {
    int64_t oh = 0, om = 0;
    if (!r.Digits(2, &oh)) return std::nullopt;
    r.Eat(':');
    if (!r.Digits(2, &om) || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = (zone == '-' ? -1 : 1) * (oh * 60 + om);
  }
  // No zone: local time per the spec, and the server, the tests and LoopBack run in UTC.
  if (!r.done()) return std::nullopt;
  const int64_t days = DaysFromCivil(year, month, 1) + (day - 1);
  const double ms = static_cast<double>(days) * kMsPerDay +
                    static_cast<double>(((hour * 60 + minute - offset_minutes) * 60 + second) *
                                            1000 +
                                        millis);
  if (std::fabs(ms) > kMaxTime) return std::nullopt;
  return ms;
}

std::string FormatIsoDate(double ms) {
  if (!std::isfinite(ms) || std::fabs(ms) > kMaxTime) ms = 0;  // guard the REQUIRES
  const int64_t t = static_cast<int64_t>(std::trunc(ms));
  int64_t days = t / kMsPerDay;
  int64_t rem = t % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  int64_t year = 0;
  int month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  const int hour = static_cast<int>(rem / 3600000);
  const int minute = static_cast<int>(rem / 60000 % 60);
  const int second = static_cast<int>(rem / 1000 % 60);
  const int millis = static_cast<int>(rem % 1000);
  char buf[64];
  if (year >= 0 && year <= 9999) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(year),
                  month, day, hour, minute, second, millis);
  } else {
    // toISOString's expanded years: a sign and six digits.
    std::snprintf(buf, sizeof buf, "%c%06lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  year < 0 ? '-' : '+', static_cast<long long>(year < 0 ? -year : year), month,
                  day, hour, minute, second, millis);
  }
  return buf;
}

}  // namespace replicore
