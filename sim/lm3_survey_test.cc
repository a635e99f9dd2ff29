// LM3 and survey on worked examples checked by hand (the arithmetic is in the comments).
#include "gtest/gtest.h"
#include "sim/lm3.h"
#include "sim/survey.h"

namespace sim {
namespace {

// R1 = 1,000,000. R2 = payroll 300,000 + suppliers 200,000 + 100,000 = 600,000.
// Staff answers 0.5, 0.7, 0.6 → mean 0.6 → 180,000; suppliers 200,000 × 0.4 + 100,000 × 0.1 =
// 90,000; R3 = 270,000. LM3 = (1,000,000 + 600,000 + 270,000) / 1,000,000 = 1.87.
constexpr char kInn[] =
    R"({"organisation": "Inn", "income_yen": 1000000, "local_payroll_yen": 300000,
  "staff_local_spend_share": [0.5, 0.7, 0.6],
  "suppliers": [{"name": "farm", "local_spend_yen": 200000, "local_respend_share": 0.4},
                {"name": "laundry", "local_spend_yen": 100000, "local_respend_share": 0.1}]})";

TEST(Lm3, WorkedExample) {
  absl::StatusOr<Lm3Result> r = ComputeLm3(kInn);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->r1_yen, 1'000'000);
  EXPECT_DOUBLE_EQ(r->r2_yen, 600'000);
  EXPECT_NEAR(r->r3_yen, 270'000, 1e-6);
  EXPECT_NEAR(r->staff_local_spend_share, 0.6, 1e-12);
  EXPECT_NEAR(r->lm3, 1.87, 1e-12);
}

TEST(Lm3, ErrorsNameTheField) {
  std::string text = kInn;
  text.replace(text.find("0.1}"), 3, "1.5");
  absl::StatusOr<Lm3Result> r = ComputeLm3(text);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("suppliers[1].local_respend_share"), std::string::npos)
      << r.status();
  text = kInn;
  text.replace(text.find("1000000"), 7, "500000");  // Local spending 600,000 > income.
  r = ComputeLm3(text);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("exceeds income_yen"), std::string::npos) << r.status();
}

// usual 90,000; extra voucher 25,000; extra cash 10,000. Voucher use 115,000; new demand 35,000.
// Stimulation 35,000 / 115,000 = 0.304348; new-demand share 25,000 / 115,000 = 0.217391.
// Premium 20 %: city cost 115,000 × 0.2 / 1.2 = 19,166.67; per yen of new demand 19,166.67 / 35,000
// = 0.547619.
constexpr char kSurvey[] =
    "household_id,usual_voucher_yen,extra_voucher_yen,extra_cash_yen\n"
    "h1,30000,10000,5000\nh2,20000,0,0\nh3,25000,5000,2000\nh4,15000,10000,3000\n";

TEST(Survey, WorkedExample) {
  absl::StatusOr<SurveyResult> r = EvaluateSurvey(kSurvey, 0.2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->households, 4);
  EXPECT_EQ(r->voucher_use_yen, 115'000);
  EXPECT_EQ(r->new_demand_yen, 35'000);
  EXPECT_NEAR(r->stimulation_effect, 35.0 / 115, 1e-12);
  EXPECT_NEAR(r->new_demand_share_of_voucher_use, 25.0 / 115, 1e-12);
  EXPECT_NEAR(r->city_cost_yen, 19'166.666666, 1e-5);
  EXPECT_NEAR(r->city_cost_per_new_demand_yen, 0.547619, 1e-6);
}

TEST(Survey, ErrorsNameLineAndColumn) {
  absl::StatusOr<SurveyResult> r = EvaluateSurvey(std::string(kSurvey) + "h5,100,-3,0\n", 0.2);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 6, column 'extra_voucher_yen'"), std::string::npos)
      << r.status();
  r = EvaluateSurvey("id,a,b,c\n", 0.2);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sim
