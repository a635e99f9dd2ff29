#include "ledger/gateway/recalibrate.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/core/limits.h"
#include "ledger/gateway/json_rpc.h"
#include "proto/ledger.grpc.pb.h"

extern char** environ;

namespace ledger::gateway {
namespace {

// The change stream does not end: it is read until it has caught up. After the digest's journal
// index shows up, the rest of that entry's events (written back to back) are read for
// kEntryTailWait; if it never shows up (its entry made no event: a CloseDay, say), the stream has
// caught up once no event came for kStreamIdleEnd. Then the call is cancelled.
constexpr std::chrono::milliseconds kEntryTailWait{500};
constexpr std::chrono::milliseconds kStreamIdleEnd{2000};

std::unique_ptr<grpc::ClientContext> ContextFor(const Metadata& metadata, int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  for (const auto& [key, value] : metadata) context->AddMetadata(key, value);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

// Cancels `context` once the stream has caught up (see kEntryTailWait); Stop() ends it early.
class CaughtUpWatch {
 public:
  explicit CaughtUpWatch(grpc::ClientContext* context)
      : thread_([this, context] {
          std::unique_lock<std::mutex> lock(mutex_);
          while (!stopped_) {
            const auto now = std::chrono::steady_clock::now();
            if ((reached_ && now - reached_at_ >= kEntryTailWait) ||
                now - last_event_ >= kStreamIdleEnd) {
              context->TryCancel();
              return;
            }
            wake_.wait_for(lock, std::chrono::milliseconds(50));
          }
        }) {}
  ~CaughtUpWatch() { Stop(); }
  void Saw(bool reached) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_event_ = std::chrono::steady_clock::now();
    if (reached && !reached_) reached_ = true, reached_at_ = last_event_;
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false, reached_ = false;
  std::chrono::steady_clock::time_point last_event_ = std::chrono::steady_clock::now(), reached_at_;
  std::thread thread_;  // Last: starts once the rest is set.
};

// The change stream from journal index 1 to `last`, one Event per line in protobuf's canonical JSON
// (as the gateway's Ledger.Subscribe stream carries them), into `path`; the number of events.
absl::StatusOr<uint64_t> WriteEvents(v1::Ledger::Stub& stub, const Metadata& metadata,
                                     uint64_t last, const std::string& path) {
  absl::StatusOr<GatewayMethod> method = FindMethod("/v1/Ledger/Subscribe", Listener::kOperator);
  if (!method.ok()) return method.status();
  auto context = ContextFor(metadata, kRecalibrateSecondsMax);
  v1::SubscribeRequest request;
  request.set_from_index(1);
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub.Subscribe(context.get(), request);
  std::ofstream out(path, std::ios::binary);
  v1::Event event;
  CaughtUpWatch watch(context.get());
  uint64_t events = 0, bytes = 0;
  absl::Status failed;
  while (failed.ok() && reader->Read(&event)) {
    watch.Saw(event.journal_index() >= last);
    if (event.journal_index() > last) continue;
    absl::StatusOr<std::string> json = ReplyToJson(*method, event.SerializeAsString());
    bytes += json.ok() ? json->size() + 1 : 0;
    if (!json.ok()) {
      failed = json.status();
    } else if (bytes > kRecalibrateEventBytesMax) {
      failed = absl::FailedPreconditionError(absl::StrCat(
          "the change stream is larger than ", kRecalibrateEventBytesMax,
          " bytes (kRecalibrateEventBytesMax): calibrate offline with circsim calibrate --ledger"));
    } else {
      out << *json << '\n';
      ++events;
    }
  }
  if (!failed.ok()) context->TryCancel();
  watch.Stop();
  const grpc::Status status = reader->Finish();
  if (!failed.ok()) return failed;
  // CANCELLED is the watch's doing (caught up); anything else is the stream's own failure.
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return events;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// A private directory for one run's files, removed when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ledgerd-sim.XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

absl::Status RunBounded(const std::vector<std::string>& argv, int seconds, std::string* output) {
  ScratchDir dir;
  if (dir.path().empty()) return absl::InternalError("cannot make a temporary directory");
  const std::string log = dir.path() + "/output";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", argv[0], ": ", strerror(spawned), " (ledgerd --circsim)"));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(seconds);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &wstatus, 0);
      return absl::DeadlineExceededError(absl::StrCat(argv[0], " ", argv[1], " ran longer than ",
                                                      seconds, " s (kRecalibrateSecondsMax)"));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  *output = ReadAll(log);
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return absl::OkStatus();
  const std::string tail = output->size() > 600 ? output->substr(output->size() - 600) : *output;
  return absl::FailedPreconditionError(absl::StrCat(argv[0], " ", argv[1], " failed (exit ",
                                                    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
                                                    "): ", tail));
}

RecalibrateResult Recalibrator::Run(const std::string& operator_name, const Metadata& metadata) {
  if (options_.circsim.empty()) {
    return {grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                         "recalibration is off: ledgerd runs without --circsim")};
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_.empty()) {
      return {grpc::Status(grpc::StatusCode::ABORTED,
                           absl::StrCat("a recalibration is already running (", running_,
                                        "); one at a time: retry when it ends"))};
    }
    running_ = absl::StrCat("started by ", operator_name, " at ",
                            absl::FormatTime("%H:%M:%S UTC", absl::Now(), absl::UTCTimeZone()));
  }
  RecalibrateResult result = RunAlone(operator_name, metadata);
  std::lock_guard<std::mutex> lock(mutex_);
  running_.clear();
  return result;
}

RecalibrateResult Recalibrator::RunAlone(const std::string& operator_name,
                                         const Metadata& metadata) {
  const absl::Time started = absl::Now();
  std::unique_ptr<v1::Ledger::Stub> stub = v1::Ledger::NewStub(options_.operator_channel);
  v1::GetDigestReply digest;
  // Authenticates the caller through the services (and checks the stream's read role) first.
  grpc::Status read = stub->GetDigest(ContextFor(metadata, kHttpCallSecondsMax).get(), {}, &digest);
  if (!read.ok()) return {read};
  if (absl::Status allowed = options_.may_run(operator_name); !allowed.ok()) {
    return {ToGrpc(allowed)};
  }
  if (digest.journal_index() == 0) {
    return {grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "the journal is empty")};
  }
  ScratchDir dir;
  if (dir.path().empty()) return {grpc::Status(grpc::StatusCode::INTERNAL, "no temporary dir")};
  absl::StatusOr<uint64_t> events =
      WriteEvents(*stub, metadata, digest.journal_index(), dir.path() + "/events.jsonl");
  if (!events.ok()) return {ToGrpc(events.status())};
  std::string output;
  const int left =
      kRecalibrateSecondsMax - static_cast<int>(absl::ToInt64Seconds(absl::Now() - started));
  const std::string scenario = dir.path() + "/scenario.json";
  absl::Status ran = RunBounded({options_.circsim, "calibrate", "--subscribe_json",
                                 dir.path() + "/events.jsonl", "--asset", "1", "--out", scenario},
                                left, &output);
  if (ran.ok()) {
    const int rest =
        kRecalibrateSecondsMax - static_cast<int>(absl::ToInt64Seconds(absl::Now() - started));
    ran = RunBounded({options_.circsim, "run", scenario, "--out", dir.path(), "--runs",
                      std::to_string(options_.runs), "--lang", "ja"},
                     rest, &output);
  }
  if (!ran.ok()) return {ToGrpc(ran)};
  const std::string metrics = ReadAll(dir.path() + "/metrics.json");
  if (metrics.empty())
    return {grpc::Status(grpc::StatusCode::INTERNAL, "circsim wrote no metrics.json")};
  return {grpc::Status::OK,
          absl::StrCat("{\"operator\":\"", operator_name, "\",\"journalIndex\":\"",
                       digest.journal_index(), "\",\"events\":\"", *events,
                       "\",\"seconds\":", absl::ToDoubleSeconds(absl::Now() - started),
                       ",\"metrics\":", metrics, "}")};
}

}  // namespace ledger::gateway
