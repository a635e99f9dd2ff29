// report.html and compare.html: self-contained pages (Apache ECharts inlined) that chamber staff
// can open offline, in Japanese or English. The page sets data-charts-ok on <body> once every chart
// has drawn, and data-error if any script error happened, so a headless browser can check it.
#ifndef SIM_REPORT_H_
#define SIM_REPORT_H_

#include <string>
#include <vector>

#include "sim/metrics_json.h"

namespace sim {

enum class Language { kJapanese, kEnglish };

std::string RenderReport(const RunResult& result, Language language);

// The plain-language summary paragraph ("of every 1,000 yen the city puts in, ...").
std::string Summary(const RunResult& result, Language language);

// compare: key figures of several scenarios side by side.
std::string RenderComparison(const std::vector<RunResult>& results, Language language);
std::string CompareToJson(const std::vector<RunResult>& results);
std::string CompareTable(const std::vector<RunResult>& results);  // Plain text for the terminal.

}  // namespace sim

#endif  // SIM_REPORT_H_
