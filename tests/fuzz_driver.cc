// A main() for libFuzzer targets under gcc/Bazel: runs LLVMFuzzerTestOneInput on every file of the
// corpus directory given as argv[1], then on seeded random mutations of them (byte flips,
// insertions, deletions, splices). FUZZ_SEED replays a run, FUZZ_RUNS sets how many mutations
// (default 20000). A crash or abort in the target fails the test; the input is written to
// $TEST_UNDECLARED_OUTPUTS_DIR (or /tmp) first.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string crash_path;

void Run(const std::string& input) {
  {
    std::ofstream out(crash_path, std::ios::binary | std::ios::trunc);
    out << input;
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  crash_path = std::string(outputs ? outputs : "/tmp") + "/fuzz-last-input";
  std::vector<std::string> corpus;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(entry.path(), std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "fuzz_driver: empty corpus %s\n", argv[1]);
    return 1;
  }
  for (const std::string& input : corpus) Run(input);
  const char* seed_text = std::getenv("FUZZ_SEED");
  const uint64_t seed = seed_text ? std::strtoull(seed_text, nullptr, 10) : std::random_device{}();
  const char* runs_text = std::getenv("FUZZ_RUNS");
  const uint64_t runs = runs_text ? std::strtoull(runs_text, nullptr, 10) : 20000;
  std::printf("fuzz_driver: %zu corpus files, %llu mutations, seed %llu (FUZZ_SEED replays)\n",
              corpus.size(), static_cast<unsigned long long>(runs),
              static_cast<unsigned long long>(seed));
  std::mt19937_64 random(seed);
  for (uint64_t run = 0; run < runs; ++run) {
    std::string input = corpus[random() % corpus.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = input.empty() ? 0 : random() % (input.size() + 1);
      switch (random() % 5) {
        case 0:
          if (at < input.size()) input[at] = static_cast<char>(random());
          break;
        case 1:
          input.insert(at, 1, static_cast<char>(random() % 2 ? '0' + random() % 10 : random()));
          break;
        case 2:
          if (at < input.size()) input.erase(at, 1 + random() % 8);
          break;
        case 3: {
          const std::string& other = corpus[random() % corpus.size()];
          const size_t from = other.empty() ? 0 : random() % other.size();
          input.insert(at, other.substr(from, random() % 32));
          break;
        }
        default:
          if (at < input.size()) input.resize(at);
          break;
      }
    }
    Run(input);
  }
  std::printf("fuzz_driver: no crash\n");
  return 0;
}
