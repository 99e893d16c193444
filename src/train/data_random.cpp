// numpy's generators as ms-swift's data pipeline uses them, reproduced bit for bit so that
// splits and shuffles equal the Python run for the same --data_seed:
//   - RandomState(seed): MT19937 with the legacy init_genrand seeding (= std::mt19937), legacy
//     masked-rejection randint and random_interval shuffles (#N sampling, get_seed);
//   - default_rng(seed): SeedSequence's hash mixing -> PCG64 (128-bit LCG, XSL-RR output,
//     32-bit draws buffered from 64-bit ones) -> Generator.permutation (Fisher-Yates from the
//     end with random_interval), which Hugging Face datasets' shuffle / train_test_split call;
//   - torch.randperm on a CPU generator (MT19937 again), which ms-swift's batch sampler uses.
#include <numeric>

#include "core/error.h"
#include "train/data.h"

namespace swift::train::np {

namespace {

std::uint64_t mask_for(std::uint64_t max) {
  std::uint64_t m = max;
  m |= m >> 1;
  m |= m >> 2;
  m |= m >> 4;
  m |= m >> 8;
  m |= m >> 16;
  m |= m >> 32;
  return m;
}

// numpy/random/bit_generator.pyx (SeedSequence), all arithmetic mod 2^32.
constexpr std::uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875;
constexpr std::uint32_t kInitB = 0x8b51f9dd, kMultB = 0x58f38ded;
constexpr std::uint32_t kMixMultL = 0xca01f9dd, kMixMultR = 0x4973f715;
constexpr int kXShift = 16;
constexpr std::size_t kPoolSize = 4;

std::uint32_t hashmix(std::uint32_t value, std::uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

std::uint32_t mix(std::uint32_t x, std::uint32_t y) {
  std::uint32_t r = kMixMultL * x - kMixMultR * y;
  r ^= r >> kXShift;
  return r;
}

// SeedSequence(seed).generate_state(n_words, uint32).
std::vector<std::uint32_t> seed_sequence_state(std::uint64_t seed, std::size_t n_words) {
  std::vector<std::uint32_t> entropy;  // _coerce_to_uint32_array: 32-bit words, low first
  do {
    entropy.push_back(static_cast<std::uint32_t>(seed & 0xffffffffu));
    seed >>= 32;
  } while (seed != 0);
  std::uint32_t pool[kPoolSize];
  std::uint32_t hc = kInitA;
  for (std::size_t i = 0; i < kPoolSize; ++i)
    pool[i] = hashmix(i < entropy.size() ? entropy[i] : 0u, hc);
  for (std::size_t src = 0; src < kPoolSize; ++src)
    for (std::size_t dst = 0; dst < kPoolSize; ++dst)
      if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src], hc));
  for (std::size_t src = kPoolSize; src < entropy.size(); ++src)
    for (std::size_t dst = 0; dst < kPoolSize; ++dst)
      pool[dst] = mix(pool[dst], hashmix(entropy[src], hc));
  std::vector<std::uint32_t> out(n_words);
  std::uint32_t hb = kInitB;
  for (std::size_t i = 0; i < n_words; ++i) {
    std::uint32_t v = pool[i % kPoolSize];
    v ^= hb;
    hb *= kMultB;
    v *= hb;
    v ^= v >> kXShift;
    out[i] = v;
  }
  return out;
}

using u128 = unsigned __int128;

// numpy's pcg64 (pcg_setseq_128_xsl_rr_64).
class Pcg64 {
 public:
  explicit Pcg64(std::uint64_t seed) {
    auto w = seed_sequence_state(seed, 8);  // generate_state(4, uint64), little-endian pairs
    auto word = [&](int k) {
      return static_cast<std::uint64_t>(w[2 * k]) |
             (static_cast<std::uint64_t>(w[2 * k + 1]) << 32);
    };
    u128 s = (static_cast<u128>(word(0)) << 64) | word(1);
    u128 i = (static_cast<u128>(word(2)) << 64) | word(3);
    state_ = 0;
    inc_ = (i << 1) | 1;
    step();
    state_ += s;
    step();
  }
  std::uint64_t next64() {
    step();
    auto hi = static_cast<std::uint64_t>(state_ >> 64);
    auto lo = static_cast<std::uint64_t>(state_);
    unsigned rot = static_cast<unsigned>(state_ >> 122);
    std::uint64_t x = hi ^ lo;
    return (x >> rot) | (x << ((64 - rot) & 63));
  }
  std::uint32_t next32() {
    if (has32_) {
      has32_ = false;
      return buf32_;
    }
    std::uint64_t n = next64();
    has32_ = true;
    buf32_ = static_cast<std::uint32_t>(n >> 32);
    return static_cast<std::uint32_t>(n & 0xffffffffu);
  }

 private:
  void step() {
    static const u128 kMult = (static_cast<u128>(2549297995355413924ull) << 64) |
                              static_cast<u128>(4865540595714422341ull);
    state_ = state_ * kMult + inc_;
  }
  u128 state_ = 0, inc_ = 0;
  bool has32_ = false;
  std::uint32_t buf32_ = 0;
};

template <typename Next32, typename Next64>
std::uint64_t random_interval(std::uint64_t max, Next32 next32, Next64 next64) {
  if (max == 0) return 0;
  const std::uint64_t mask = mask_for(max);
  std::uint64_t v;
  if (max <= 0xffffffffull) {
    while ((v = (next32() & mask)) > max) {
    }
  } else {
    while ((v = (next64() & mask)) > max) {
    }
  }
  return v;
}

}  // namespace

RandomState::RandomState(std::uint32_t seed) {
  // init_genrand, as numpy's mt19937_seed.
  mt_[0] = seed;
  for (int i = 1; i < 624; ++i)
    mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
  pos_ = 624;
}

std::uint32_t RandomState::next_uint32() {
  constexpr std::uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
  if (pos_ >= 624) {
    for (int i = 0; i < 624; ++i) {
      std::uint32_t y = (mt_[i] & kUpper) | (mt_[(i + 1) % 624] & kLower);
      mt_[i] = mt_[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
    }
    pos_ = 0;
  }
  std::uint32_t y = mt_[pos_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

std::uint64_t RandomState::interval(std::uint64_t max) {
  return random_interval(
      max, [&] { return static_cast<std::uint64_t>(next_uint32()); },
      [&] {
        std::uint64_t hi = next_uint32();
        return (hi << 32) | next_uint32();
      });
}

std::int64_t RandomState::randint(std::int64_t high) {
  SWIFT_ASSERT(high > 0 && high <= (std::int64_t{1} << 32));
  // _bounded_integers: rng = high - 1; masked rejection on 32-bit draws.
  const std::uint64_t rng = static_cast<std::uint64_t>(high - 1);
  if (rng == 0) return 0;
  if (rng == 0xffffffffull) return next_uint32();
  const std::uint64_t mask = mask_for(rng);
  std::uint64_t v;
  while ((v = (next_uint32() & mask)) > rng) {
  }
  return static_cast<std::int64_t>(v);
}

std::vector<std::int64_t> RandomState::permutation(std::int64_t n) {
  std::vector<std::int64_t> a(static_cast<std::size_t>(n));
  std::iota(a.begin(), a.end(), 0);
  for (std::int64_t i = n - 1; i >= 1; --i)
    std::swap(a[static_cast<std::size_t>(i)],
              a[static_cast<std::size_t>(interval(static_cast<std::uint64_t>(i)))]);
  return a;
}

std::uint32_t get_seed(RandomState& rs) {
  return static_cast<std::uint32_t>(rs.randint(2147483647));
}

std::vector<std::int64_t> default_rng_permutation(std::uint64_t seed, std::int64_t n) {
  Pcg64 g(seed);
  std::vector<std::int64_t> a(static_cast<std::size_t>(n));
  std::iota(a.begin(), a.end(), 0);
  for (std::int64_t i = n - 1; i >= 1; --i) {
    auto j = random_interval(
        static_cast<std::uint64_t>(i), [&] { return static_cast<std::uint64_t>(g.next32()); },
        [&] { return g.next64(); });
    std::swap(a[static_cast<std::size_t>(i)], a[static_cast<std::size_t>(j)]);
  }
  return a;
}

}  // namespace swift::train::np

namespace swift::train {

std::vector<std::int64_t> torch_randperm(std::int64_t n, std::uint64_t seed) {
  SWIFT_CHECK(n >= 0 && n < static_cast<std::int64_t>(0xffffffffu / 20),
              "[data] {} samples are too many to shuffle", n);
  // at::mt19937(seed) keeps the low 32 bits, as init_genrand; random() is one 32-bit draw.
  np::RandomState mt(static_cast<std::uint32_t>(seed & 0xffffffffu));
  std::vector<std::int64_t> r(static_cast<std::size_t>(n));
  std::iota(r.begin(), r.end(), 0);
  for (std::int64_t i = 0; i + 1 < n; ++i) {
    const auto z = static_cast<std::int64_t>(mt.next_uint32() % static_cast<std::uint64_t>(n - i));
    std::swap(r[static_cast<std::size_t>(i)], r[static_cast<std::size_t>(z + i)]);
  }
  return r;
}

}  // namespace swift::train
