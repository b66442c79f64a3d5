#include "replicore/iso_date.h"

#include <gtest/gtest.h>

namespace replicore {
namespace {

// Expected values come from Node v20 (`new Date(s).getTime()`, `toISOString()`), the
// runtime that produced the LoopBack vectors.
TEST(IsoDateTest, ParsesIsoForms) {
  EXPECT_EQ(ParseIsoDate("2024-06-30"), 1719705600000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T12:00:00Z"), 1719748800000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T12:00"), 1719748800000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T12:00Z"), 1719748800000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T12:00:00.5Z"), 1719748800500.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T12:00:00.123456789Z"), 1719748800123.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T12:00:00+23:59"), 1719662460000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T12:00:00+0100"), 1719745200000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T00:00:00-00:00"), 1719705600000.0);
  EXPECT_EQ(ParseIsoDate("2024-06"), 1717200000000.0);
  EXPECT_EQ(ParseIsoDate("2024"), 1704067200000.0);
  EXPECT_EQ(ParseIsoDate("2024-06T12:00Z"), 1717243200000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30Z"), 1719705600000.0);
  EXPECT_EQ(ParseIsoDate("2024-6-30"), 1719705600000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30 12:00:00Z"), 1719748800000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30t12:00:00z"), 1719748800000.0);
  EXPECT_EQ(ParseIsoDate("2024-06-30T24:00"), 1719792000000.0);
  EXPECT_EQ(ParseIsoDate("2015-03-04T05:06:07Z"), 1425445567000.0);
}

TEST(IsoDateTest, ExtendedYearsAndRange) {
  EXPECT_EQ(ParseIsoDate("+010000-01-01T00:00:00.000Z"), 253402300800000.0);
  EXPECT_EQ(ParseIsoDate("+002024-06-30"), 1719705600000.0);
  EXPECT_EQ(ParseIsoDate("-000001-01-01T00:00:00Z"), -62198755200000.0);
  EXPECT_EQ(ParseIsoDate("-271821-04-20T00:00:00Z"), -8.64e15);
  EXPECT_EQ(ParseIsoDate("+275760-09-13T00:00:00.000Z"), 8.64e15);
  EXPECT_FALSE(ParseIsoDate("-271821-04-19T23:59:59.999Z"));
  EXPECT_FALSE(ParseIsoDate("+275760-09-13T00:00:00.001Z"));
  EXPECT_FALSE(ParseIsoDate("-000000-01-01T00:00:00Z"));
}

// V8 rolls day 29..31 over into the next month ("2024-02-30" is March 1): LoopBack on Node
// stores that, so we do too. Days above 31 and month 13 are Invalid Date.
TEST(IsoDateTest, DayOverflowLikeV8) {
  EXPECT_EQ(ParseIsoDate("2024-02-30"), 1709251200000.0);
  EXPECT_EQ(ParseIsoDate("2023-02-29"), 1677628800000.0);
  EXPECT_EQ(ParseIsoDate("2024-04-31"), 1714521600000.0);
  EXPECT_EQ(FormatIsoDate(*ParseIsoDate("2024-02-30")), "2024-03-01T00:00:00.000Z");
}

TEST(IsoDateTest, RejectsInvalid) {
  for (const char* s :
       {"not a date", "", "2024-13-01", "2024-02-32", "2024-00-10", "2024-06-00",
        "2024-06-30T12:60", "2024-06-30T12:00:60", "2024-06-30T24:00:01",
        "2024-06-30T24:00:00.001Z", "2024-06-30T23:59:59.999+25:00", "2024-06-30T00:00:00+24:00",
        "2024-06-30T00:00:00+23:60", "2024-06-30T12:00:00.Z", "2024-06-30T12", "2024-06-30T1:00",
        "24-06-30", "2024-06-30+01:00", "2024-06-30T12:00:00 Z", "2024-06-30T12:00:00ZZ",
        "2024-06-30T12:00:00,5Z", "2024-06-30T00:00:00+1:00", "2024-06-30T00:00:00.000+01",
        "1e3", "2024-06-30T12:00:00.000Zjunk"}) {
    EXPECT_FALSE(ParseIsoDate(s)) << s;
  }
}

TEST(IsoDateTest, Formats) {
  EXPECT_EQ(FormatIsoDate(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoDate(86400000), "1970-01-02T00:00:00.000Z");
  EXPECT_EQ(FormatIsoDate(1700000000000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatIsoDate(1704164645006), "2024-01-02T03:04:05.006Z");
  EXPECT_EQ(FormatIsoDate(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoDate(1.9), "1970-01-01T00:00:00.001Z");  // truncated
  EXPECT_EQ(FormatIsoDate(-62198755200000.0), "-000001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoDate(253402300800000.0), "+010000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoDate(253402300799999.0), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIsoDate(-62167219200000.0), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoDate(8.64e15), "+275760-09-13T00:00:00.000Z");
  EXPECT_EQ(FormatIsoDate(-8.64e15), "-271821-04-20T00:00:00.000Z");
}

TEST(IsoDateTest, RoundTripsEveryDayOverFourCenturies) {
  // Civil-from-days and days-from-civil must invert each other, leap days included.
  for (double day = -80000; day <= 80000; day += 1) {
    const double ms = day * 86400000.0 + 3723004;
    EXPECT_EQ(ParseIsoDate(FormatIsoDate(ms)), ms) << FormatIsoDate(ms);
  }
}

}  // namespace
}  // namespace replicore
