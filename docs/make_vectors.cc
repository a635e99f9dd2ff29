// Writes the signing test vectors (docs/vectors/*.json) from the production code:
//   bazel run //docs:make_vectors            writes into the workspace's docs/vectors/
//   bazel run //docs:make_vectors -- DIR     writes into DIR
// Then check them: bazel test //docs:vectors_test && node docs/vectors/check.mjs
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "docs/vectors.h"

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "make_vectors: libsodium failed to initialise\n");
    return 1;
  }
  std::string dir;
  if (argc > 1) {
    dir = argv[1];
  } else if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    dir = std::string(workspace) + "/docs/vectors";
  } else {
    std::fprintf(stderr, "usage: bazel run //docs:make_vectors [-- DIR]\n");
    return 2;
  }
  for (const auto& [name, text] : docs::MakeVectorFiles()) {
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::fprintf(stderr, "make_vectors: cannot write %s\n", path.c_str());
      return 1;
    }
    std::printf("wrote %s (%zu bytes)\n", path.c_str(), text.size());
  }
  return 0;
}
