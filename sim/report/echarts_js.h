// Apache ECharts (sim/report/vendor/echarts.min.js, Apache-2.0, see vendor/LICENSE), compiled in by
// the
// //sim/report:echarts_js genrule so reports are self-contained and builds stay offline.
#ifndef SIM_REPORT_ECHARTS_JS_H_
#define SIM_REPORT_ECHARTS_JS_H_

#include <string_view>

namespace sim {

std::string_view EchartsJs();

}  // namespace sim

#endif  // SIM_REPORT_ECHARTS_JS_H_
