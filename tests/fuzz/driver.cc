// A standalone driver for the fuzz targets when built with g++ (libFuzzer needs
// clang). It runs the target over built-in seed inputs, then over N
// deterministic pseudo-random mutations of them, so that a CI run is
// reproducible. A target reports a broken invariant by abort(); exit 0 means
// every input passed.
//
// Usage: <target> [--iterations N] [--seed S] [FILE...]
//   FILE...  also runs each file's bytes as one input (a saved crash, say).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Inputs for both readers: valid and broken CSV and JSON Lines.
const char* const kSeeds[] = {
    "",
    "name,email\nAli,ali@example.com\n",
    "id;name;amount\r\n1;\"Smith; John\";1,50\r\n2;\"say \"\"hi\"\"\";3\r\n",
    "a\tb\tc\n1\t2\t3\n",
    "a|b\n\"x|y\"|z\n",
    "\xEF\xBB\xBF"
    "name,city\n\"Åsa\",Malmö\n",
    "id,note\n1,\"multi\r\nline\"\n2,\"a\nb\rc\"\n3,x",
    "a,b,\n,\n\n\r\n,,,\n",
    "1,\"ab\"c,3\n4,5\n",
    "1,\"never closed\n2,3\n",
    "tv,5\" screen,x\"y\n",
    "old,mac\rline,ends\r\"q\rq\",z\r",
    "\u0646\u0627\u0645,\u0627\u06cc\u0645\u06cc\u0644\n\u0639\u0644\u06cc "
    "\u0631\u0636\u0627\u06cc\u06cc,"
    "ali@example.ir\n\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645,\u06f0\u06f9\u06f1\u06f2\n",
    "\u0627\u0644\u0627\u0633\u0645;\u0627\u0644\u0647\u0627\u062a\u0641\n\u0645\u062d\u0645\u062f;"
    "\u0660\u0665\u0660\n",
    "ok,\xC3\x28,bad\nnext,\xFF\xFE\n\xED\xA0\x80,surrogate\n\xF0\x9F\x98\x80,emoji\n",
    "\"\"\"\",\"\",\"\"\"\"\"\"\n\"\n\"\n",
    "{\"name\":\"Ali\",\"age\":30,\"score\":1.5,\"vip\":true,\"x\":null}\n",
    "{\"tags\":[1,\"a\",{\"b\":null}],\"addr\":{\"city\":\"\u062a\u0647\u0631\u0627\u0646\"}}\r\n"
    "\n{\"n\":-9223372036854775808,\"u\":18446744073709551615,\"d\":1e308}\n",
    "[1,2]\n\"str\"\n42\nnull\n{\"a\":}\n{\"a\":1} {\"b\":2}\n{\"ok\":true}",
    "{\"s\":\"esc \\\" \\\\ \\n \\u00e9 \\ud83d\\ude00\"}\n{\"bad\":\"\xC3\x28\"}\n",
    "\xEF\xBB\xBF{\"bom\":1}\n   \n\t\r\n{\"k\":\"v\"}",
    "{\"deep\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}\n",
};

// Fragments worth inserting: the bytes that steer the readers.
const char* const kTokens[] = {
    "\"",
    "\"\"",
    ",",
    ";",
    "\t",
    "|",
    "\r",
    "\n",
    "\r\n",
    "\xEF\xBB\xBF",
    "{",
    "}",
    "[",
    "]",
    ":",
    "\\",
    "\\u",
    "null",
    "true",
    "1e5",
    "-0",
    "{\"a\":",
    "\"x\"",
    "\xC3",
    "\xFF",
    "\xD8\xB9",
    "\xE2\x80\x8C",
    "\xF0\x9F\x98\x80",
    "\xED\xA0\x80",
};

constexpr size_t kMaxInputBytes = 4096;

// splitmix64: small, fast, and the same on every platform.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

void Mutate(std::string& input, const std::vector<std::string>& pool, Random& random) {
  const size_t pos = random.Below(input.size() + 1);
  switch (random.Below(8)) {
    case 0:  // flip a bit
      if (!input.empty())
        input[random.Below(input.size())] ^= static_cast<char>(1u << random.Below(8));
      break;
    case 1:  // insert a random byte
      input.insert(pos, 1, static_cast<char>(random.Below(256)));
      break;
    case 2:  // insert a token
      input.insert(pos, kTokens[random.Below(std::size(kTokens))]);
      break;
    case 3:  // delete a range
      if (!input.empty()) input.erase(pos == input.size() ? pos - 1 : pos, 1 + random.Below(8));
      break;
    case 4: {  // duplicate a range (grows records past the limits)
      if (input.empty()) break;
      const size_t from = random.Below(input.size());
      const std::string piece = input.substr(from, 1 + random.Below(64));
      for (size_t n = 1 + random.Below(8); n > 0; --n) input.insert(pos, piece);
      break;
    }
    case 5: {  // splice in part of another input
      const std::string& other = pool[random.Below(pool.size())];
      if (other.empty()) break;
      const size_t from = random.Below(other.size());
      input.insert(pos, other.substr(from, 1 + random.Below(other.size() - from)));
      break;
    }
    case 6:  // overwrite a byte with a token's first byte
      if (!input.empty())
        input[random.Below(input.size())] = kTokens[random.Below(std::size(kTokens))][0];
      break;
    case 7:  // truncate
      input.resize(pos);
      break;
  }
  if (input.size() > kMaxInputBytes) input.resize(kMaxInputBytes);
}

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 1000;
  uint64_t seed = 0x5EED5EEDULL;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
      iterations = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: %s [--iterations N] [--seed S] [FILE...]\n", argv[0]);
      return 2;
    } else {
      files.emplace_back(argv[i]);
    }
  }

  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    Run(std::string(std::istreambuf_iterator<char>(in), {}));
  }

  std::vector<std::string> pool(std::begin(kSeeds), std::end(kSeeds));
  for (const std::string& input : pool) Run(input);

  // Mutants are fed back into the pool now and then, so mutations compound.
  const size_t seed_count = pool.size();
  constexpr size_t kPoolLimit = 512;
  Random random(seed);
  for (long i = 0; i < iterations; ++i) {
    std::string input = pool[random.Below(pool.size())];
    for (size_t n = 1 + random.Below(4); n > 0; --n) Mutate(input, pool, random);
    Run(input);
    if (random.Below(4) == 0) {
      if (pool.size() < kPoolLimit) {
        pool.push_back(std::move(input));
      } else {
        pool[seed_count + random.Below(kPoolLimit - seed_count)] = std::move(input);
      }
    }
  }
  std::printf("%zu seeds, %zu files and %ld mutations passed\n", seed_count, files.size(),
              iterations);
  return 0;
}
