// circsim: the circulation simulator's command line. A thin shell: parses arguments, reads and
// writes files, prints progress on stderr, and calls the libraries that do the work.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/client/client.h"
#include "ledger/server/operator_token.h"
#include "sim/calibrate.h"
#include "sim/cli_util.h"
#include "sim/ledger_events.h"
#include "sim/lm3.h"
#include "sim/metrics_json.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/survey.h"

namespace sim {
namespace {

constexpr char kUsage[] =
    "circsim: regional-currency circulation simulator\n"
    "\n"
    "usage: circsim COMMAND [options]   (circsim COMMAND --help for details)\n"
    "  run SCENARIO.json --out DIR      simulate; write DIR/metrics.json and DIR/report.html\n"
    "  compare A.json B.json ... --out DIR   run several scenarios side by side\n"
    "  lm3 INPUT.json                   LM3 for one organisation\n"
    "  survey INPUT.csv                 evaluate a premium voucher from a household survey\n"
    "  calibrate --ledger HOST:PORT | --events FILE --out SCENARIO.json   derive a scenario from "
    "the ledger\n";

constexpr char kRunHelp[] =
    "usage: circsim run SCENARIO.json --out DIR [--lang ja|en] [--runs N] [--seed S] [--threads "
    "T]\n"
    "  Runs the exact expected-value engine and N Monte Carlo runs of the agent engine (default "
    "100,\n"
    "  seed 1, threads = cores) and writes DIR/metrics.json and DIR/report.html (--lang, default "
    "ja).\n"
    "  Progress goes to stderr. The scenario format is documented in sim/README.md.\n";

constexpr char kCompareHelp[] =
    "usage: circsim compare A.json B.json ... --out DIR [--lang ja|en] [--runs N] [--seed S]\n"
    "  Runs each scenario like `circsim run` and writes DIR/compare.json (key figures per "
    "scenario,\n"
    "  with Monte Carlo 5/95 % intervals) and DIR/compare.html, side by side.\n";

constexpr char kLm3Help[] =
    "usage: circsim lm3 INPUT.json\n"
    "  Prints R1, R2, R3 and LM3 = (R1 + R2 + R3) / R1 as JSON. Input format: see sim/lm3.h or "
    "README.\n";

constexpr char kSurveyHelp[] =
    "usage: circsim survey INPUT.csv [--premium_rate R]\n"
    "  CSV header: household_id,usual_voucher_yen,extra_voucher_yen,extra_cash_yen.\n"
    "  Prints totals, the stimulation effect, the new-demand share of voucher use and the city's "
    "cost\n"
    "  per yen of new demand (premium rate R, default 0.2) as JSON.\n";

constexpr char kCalibrateHelp[] =
    "usage: circsim calibrate (--events FILE | --subscribe_json FILE |\n"
    "                          --ledger HOST:PORT [--tls_ca F --tls_cert F "
    "--tls_key F]\n"
    "                          [--operator_token_file FILE]\n"
    "                         [--save_events FILE])\n"
    "                         [--asset ID] --out SCENARIO.json [--days D] [--residents N]\n"
    "  Derives sector spending shares, re-spend vs cash-out shares and holding times from a "
    "ledger\n"
    "  event file, aggregated by merchant category. The file holds JSON lines, either as\n"
    "  --save_events writes them or as `ledgerctl tail --json` prints them (format in "
    "sim/README.md).\n"
    "  A cell built from fewer than 10 distinct accounts is suppressed (reported on stderr, left "
    "out\n"
    "  of the file).\n"
    "  --ledger reads the ledger's change stream (Subscribe) up to its current journal index "
    "instead;\n"
    "  --save_events FILE keeps the events read (account ids in hex) for a later --events run.\n"
    "  --subscribe_json FILE reads the change stream as the HTTP gateway carries it: one\n"
    "  ledger.v1.Event per line in protobuf's JSON (what ledgerd's console recalibration writes).\n"
    "  The change stream is the operator API: HOST:PORT is the ledgerd's --operator_listen, "
    "reached\n"
    "  with mutual TLS: --tls_ca, --tls_cert, --tls_key (default var/pki/ca.crt and the demo\n"
    "  operator's var/pki/operators/demo.crt and .key, which ops/run makes). With\n"
    "  --operator_token_file FILE instead: a ledgerd --plaintext, with that development token.\n"
    "  --asset keeps only that asset id (default: all; a tail file with several assets needs "
    "it).\n";

int Fail(const absl::Status& status) {
  std::cerr << "circsim: " << status.message() << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

absl::StatusOr<int> IntOption(const Args& args, const std::string& name, int fallback, int min,
                              int max) {
  auto it = args.options.find(name);
  if (it == args.options.end()) return fallback;
  int v = 0;
  if (!absl::SimpleAtoi(it->second, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be an integer between ", min, " and ", max));
  }
  return v;
}

absl::StatusOr<Language> LanguageOption(const Args& args) {
  auto it = args.options.find("lang");
  if (it == args.options.end() || it->second == "ja") return Language::kJapanese;
  if (it->second == "en") return Language::kEnglish;
  return absl::InvalidArgumentError("--lang must be ja or en");
}

struct RunOptions {
  int runs = 100;
  uint64_t seed = 1;
  int threads = 2;
  Language language = Language::kJapanese;
  std::string out;
};

absl::StatusOr<RunOptions> ParseRunOptions(const Args& args) {
  RunOptions o;
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  absl::StatusOr<int> runs = IntOption(args, "runs", 100, 1, 100000);
  if (!runs.ok()) return runs.status();
  absl::StatusOr<int> seed = IntOption(args, "seed", 1, 0, 2147483647);
  if (!seed.ok()) return seed.status();
  absl::StatusOr<int> threads = IntOption(args, "threads", cores, 1, 256);
  if (!threads.ok()) return threads.status();
  absl::StatusOr<Language> language = LanguageOption(args);
  if (!language.ok()) return language.status();
  auto out = args.options.find("out");
  if (out == args.options.end() || out->second.empty())
    return absl::InvalidArgumentError("--out DIR is required");
  o.runs = *runs;
  o.seed = static_cast<uint64_t>(*seed);
  o.threads = *threads;
  o.language = *language;
  o.out = out->second;
  return o;
}

absl::StatusOr<RunResult> SimulateFile(const std::string& path, const RunOptions& o) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<Scenario> scenario = ParseScenario(*text);
  if (!scenario.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", scenario.status().message()));
  std::cerr << "circsim: " << path << ": exact engine, then " << o.runs << " Monte Carlo runs on "
            << o.threads << " threads (seed " << o.seed << ")\n";
  int last_percent = -1;
  return RunBoth(*scenario, o.runs, o.seed, o.threads, [&](int done, int total) {
    const int percent = 100 * done / total;
    if (percent / 10 != last_percent / 10 || done == total) {
      std::cerr << "circsim:   " << done << "/" << total << " runs\n";
      last_percent = percent;
    }
  });
}

int Run(const Args& args) {
  if (args.help) return std::cout << kRunHelp, 0;
  if (args.positional.size() != 1) return std::cerr << kRunHelp, 2;
  absl::StatusOr<RunOptions> options = ParseRunOptions(args);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<RunResult> result = SimulateFile(args.positional[0], *options);
  if (!result.ok()) return Fail(result.status());
  std::filesystem::create_directories(options->out);
  const std::string metrics = options->out + "/metrics.json";
  const std::string report = options->out + "/report.html";
  if (absl::Status s = WriteFile(metrics, MetricsToJson(*result)); !s.ok()) return Fail(s);
  if (absl::Status s = WriteFile(report, RenderReport(*result, options->language)); !s.ok())
    return Fail(s);
  std::cerr << "circsim: wrote " << metrics << " and " << report << "\n";
  return 0;
}

int Compare(const Args& args) {
  if (args.help) return std::cout << kCompareHelp, 0;
  if (args.positional.size() < 2) return std::cerr << kCompareHelp, 2;
  absl::StatusOr<RunOptions> options = ParseRunOptions(args);
  if (!options.ok()) return Fail(options.status());
  std::vector<RunResult> results;
  for (const std::string& path : args.positional) {
    absl::StatusOr<RunResult> result = SimulateFile(path, *options);
    if (!result.ok()) return Fail(result.status());
    results.push_back(*std::move(result));
  }
  std::filesystem::create_directories(options->out);
  const std::string json = options->out + "/compare.json";
  const std::string html = options->out + "/compare.html";
  if (absl::Status s = WriteFile(json, CompareToJson(results)); !s.ok()) return Fail(s);
  if (absl::Status s = WriteFile(html, RenderComparison(results, options->language)); !s.ok())
    return Fail(s);
  std::cout << CompareTable(results);
  std::cerr << "circsim: wrote " << json << " and " << html << "\n";
  return 0;
}

int Lm3(const Args& args) {
  if (args.help) return std::cout << kLm3Help, 0;
  if (args.positional.size() != 1) return std::cerr << kLm3Help, 2;
  absl::StatusOr<std::string> text = ReadFile(args.positional[0]);
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<Lm3Result> result = ComputeLm3(*text);
  if (!result.ok()) return Fail(result.status());
  std::cout << Lm3ToJson(*result);
  return 0;
}

int Survey(const Args& args) {
  if (args.help) return std::cout << kSurveyHelp, 0;
  if (args.positional.size() != 1) return std::cerr << kSurveyHelp, 2;
  double premium_rate = 0.2;
  if (auto it = args.options.find("premium_rate");
      it != args.options.end() && !absl::SimpleAtod(it->second, &premium_rate)) {
    return Fail(absl::InvalidArgumentError("--premium_rate must be a number"));
  }
  absl::StatusOr<std::string> text = ReadFile(args.positional[0]);
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<SurveyResult> result = EvaluateSurvey(*text, premium_rate);
  if (!result.ok()) return Fail(result.status());
  std::cout << SurveyToJson(*result);
  return 0;
}

// --ledger's transport: mutual TLS with --tls_* (defaults: var/pki's CA and demo operator), or,
// given --operator_token_file, the plaintext development mode with that token.
absl::StatusOr<ledger::Transport> CalibrateTransport(const Args& args) {
  if (auto token_file = args.options.find("operator_token_file");
      token_file != args.options.end()) {
    absl::StatusOr<std::string> token = ledger::ReadOperatorTokenFile(token_file->second);
    if (!token.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--operator_token_file ", token.status().message()));
    }
    return ledger::PlaintextTransport(*token);
  }
  ledger::Transport transport = ledger::DefaultTransport();
  const std::pair<const char*, std::string*> files[] = {{"tls_ca", &transport.ca_file},
                                                        {"tls_cert", &transport.cert_file},
                                                        {"tls_key", &transport.key_file}};
  for (const auto& [name, file] : files) {
    if (auto given = args.options.find(name); given != args.options.end()) *file = given->second;
  }
  if (absl::Status loaded = ledger::LoadTransport(&transport); !loaded.ok()) return loaded;
  return transport;
}

int Calibrate(const Args& args) {
  if (args.help) return std::cout << kCalibrateHelp, 0;
  auto events = args.options.find("events");
  auto ledger = args.options.find("ledger");
  auto subscribed = args.options.find("subscribe_json");
  auto out = args.options.find("out");
  const int sources = (events != args.options.end()) + (ledger != args.options.end()) +
                      (subscribed != args.options.end());
  if (sources != 1 || out == args.options.end()) {
    return std::cerr << kCalibrateHelp, 2;
  }
  absl::StatusOr<int> days = IntOption(args, "days", 365, 1, 3650);
  if (!days.ok()) return Fail(days.status());
  absl::StatusOr<int> residents = IntOption(args, "residents", 0, 0, 1000000);
  if (!residents.ok()) return Fail(residents.status());
  absl::StatusOr<int> asset = IntOption(args, "asset", 0, 0, 2147483647);
  if (!asset.ok()) return Fail(asset.status());
  absl::StatusOr<std::string> text;
  if (ledger != args.options.end()) {
    absl::StatusOr<ledger::Transport> transport = CalibrateTransport(args);
    if (!transport.ok()) return Fail(transport.status());
    std::cerr << "circsim: reading the change stream of " << ledger->second << "\n";
    text = FetchLedgerEvents(ledger->second, *transport, static_cast<uint32_t>(*asset),
                             std::chrono::seconds(60));
    if (auto save = args.options.find("save_events"); text.ok() && save != args.options.end()) {
      if (absl::Status s = WriteFile(save->second, *text); !s.ok()) return Fail(s);
    }
  } else if (subscribed != args.options.end()) {
    text = ReadFile(subscribed->second);
    if (text.ok()) text = EventsFromSubscribeJson(*text, static_cast<uint32_t>(*asset));
  } else {
    text = ReadFile(events->second);
  }
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<Calibration> calibration =
      CalibrateFromEvents(*text, *days, *residents, static_cast<uint32_t>(*asset));
  if (!calibration.ok()) return Fail(calibration.status());
  for (const std::string& line : calibration->suppressed)
    std::cerr << "circsim: suppressed " << line << "\n";
  if (absl::Status s = WriteFile(out->second, ScenarioToJson(calibration->scenario)); !s.ok())
    return Fail(s);
  std::cerr << "circsim: wrote " << out->second << "\n";
  return 0;
}

}  // namespace
}  // namespace sim

int main(int argc, char** argv) {
  using namespace sim;
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    std::cout << kUsage;
    return words.empty() ? 2 : 0;
  }
  const std::string command = words[0];
  absl::StatusOr<Args> args = ParseArgs(std::vector<std::string>(words.begin() + 1, words.end()));
  if (!args.ok()) return Fail(args.status());
  if (command == "run") return Run(*args);
  if (command == "compare") return Compare(*args);
  if (command == "lm3") return Lm3(*args);
  if (command == "survey") return Survey(*args);
  if (command == "calibrate") return Calibrate(*args);
  std::cerr << "circsim: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
