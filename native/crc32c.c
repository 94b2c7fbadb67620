// CRC-32C (Castagnoli) with the CPU's own instructions, as a Node-API addon.
//
// Why: CRC-32C of every produced batch is a quarter of the broker's CPU under produce, and the
// prebuilt @node-rs/crc32 runs one dependent crc32 instruction after another (one 8-byte step per
// instruction latency, ~3 cycles). Two paths here, the faster one the CPU has:
//
// - Folding with carry-less multiplication (x86-64 with AVX-512 and VPCLMULQDQ), for ranges of at
//   least FOLD_MIN bytes. The CRC is the remainder of the message polynomial modulo P, and the
//   remainder of a long message can be built 16 bytes at a time: a 128-bit piece H*x^64 + L that
//   lies D bits before the end of what has been read so far is congruent to
//   H*(x^(D+64) mod P) + L*(x^D mod P), a 96-bit value that can be XORed into the piece D bits
//   further on. Sixteen such pieces (four 512-bit registers, 256 bytes) are carried at a time, each
//   folded over 2,048 bits per step, then folded into one 128-bit piece; the crc32 instruction
//   finishes that piece and the last bytes. About twice the speed of the three streams below on
//   the 2-vCPU AMD EPYC this was written on (bench/crc32c.bench.ts).
// - Three independent crc32-instruction streams over three neighbouring blocks in the same loop,
//   so that the instruction's throughput (one per cycle) is what limits; the three CRCs are joined
//   by "shifting" the first over the length of the next block with lookup tables. Used for shorter
//   ranges and on CPUs without the folding instructions (SSE4.2 is enough).
//
// The CRC register update is linear: crc(r, data) = shift_len(r) ^ crc(0, data), where shift_len
// is what feeding len zero bytes does to the register. shift_len is a 32x32 bit matrix, applied
// here as four lookup tables of 256 entries (one per byte of the register).
//
// Exports: crc32c(view: Uint8Array, start: number, end: number): number (the finished CRC of
// view[start, end), like Kafka's Crc32C), hardware: boolean (false where the CPU has no crc32
// instruction or this is not x86-64: crc32c then goes byte by byte, and the broker uses another
// implementation), folding: boolean (the carry-less multiplication path is used), and, for tests,
// software(view, start, end) (byte by byte) and streams(view, start, end) (the crc32-instruction
// path at any length, or byte by byte where the CPU lacks the instruction).

#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define POLY 0x82f63b78u
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

static uint32_t byte_table[256];
static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];
static int have_hardware = 0;
static int have_fold = 0;

static void make_byte_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
    byte_table[i] = c;
  }
}

// The register after feeding `zeros` zero bytes, starting from `reg` (software, for the tables).
static uint32_t feed_zeros(uint32_t reg, size_t zeros) {
  for (size_t i = 0; i < zeros; i++) reg = (reg >> 8) ^ byte_table[reg & 0xff];
  return reg;
}

static void make_shift_table(uint32_t table[4][256], size_t zeros) {
  uint32_t image[32];
  for (int bit = 0; bit < 32; bit++) image[bit] = feed_zeros((uint32_t)1 << bit, zeros);
  for (int part = 0; part < 4; part++) {
    for (uint32_t b = 0; b < 256; b++) {
      uint32_t v = 0;
      for (int bit = 0; bit < 8; bit++)
        if (b & (1u << bit)) v ^= image[part * 8 + bit];
      table[part][b] = v;
    }
  }
}

static inline uint32_t shift(uint32_t table[4][256], uint32_t reg) {
  return table[0][reg & 0xff] ^ table[1][(reg >> 8) & 0xff] ^ table[2][(reg >> 16) & 0xff] ^
         table[3][reg >> 24];
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <nmmintrin.h>

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// Three blocks of `block` bytes at a time, each its own dependency chain; joined by shifting.
#define THREE_WAY(block, table)                                                            \
  while (n >= 3 * (size_t)(block)) {                                                       \
    uint64_t c1 = 0, c2 = 0;                                                               \
    const uint8_t *stop = p + (block);                                                     \
    do {                                                                                   \
      c0 = _mm_crc32_u64(c0, load64(p));                                                   \
      c1 = _mm_crc32_u64(c1, load64(p + (block)));                                         \
      c2 = _mm_crc32_u64(c2, load64(p + 2 * (block)));                                     \
      p += 8;                                                                              \
    } while (p < stop);                                                                    \
    c0 = shift(table, (uint32_t)c0) ^ (uint32_t)c1;                                        \
    c0 = shift(table, (uint32_t)c0) ^ (uint32_t)c2;                                        \
    p += 2 * (size_t)(block);                                                              \
    n -= 3 * (size_t)(block);                                                              \
  }

__attribute__((target("sse4.2"))) static uint32_t crc_hardware(uint32_t reg, const uint8_t *p,
                                                               size_t n) {
  uint64_t c0 = reg;
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    n--;
  }
  THREE_WAY(LONG_BLOCK, shift_long)
  THREE_WAY(SHORT_BLOCK, shift_short)
  while (n >= 8) {
    c0 = _mm_crc32_u64(c0, load64(p));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    n--;
  }
  return (uint32_t)c0;
}

static int detect_hardware(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return (c & bit_SSE4_2) != 0;
}

#if (defined(__clang__) && __clang_major__ >= 8) || (!defined(__clang__) && __GNUC__ >= 8)
#define HAVE_FOLD_CODE 1
#include <immintrin.h>

#define FOLD_MIN 256

// x^n mod P, bit-reflected like the CRC register (bit 31 holds x^0): multiplying by x is one
// right shift, and the x^32 that falls out is replaced by P's lower terms.
static uint32_t xpow_mod(unsigned n) {
  uint32_t r = 0x80000000u;
  while (n-- > 0) r = (r & 1) ? (r >> 1) ^ POLY : r >> 1;
  return r;
}

// Constants to move a 128-bit piece D bits on: the low 64 bits of the piece (loaded little-endian:
// the first eight bytes, its high-degree half H) are multiplied by the low constant, the high 64
// bits (L) by the high one. A carry-less product of two bit-reflected operands (64 and 32 bits)
// lands 33 degrees below where a 128-bit reflected value reads it, so H*x^(D+64) takes
// x^(D+64-33) and L*x^D takes x^(D-33).
typedef struct {
  uint64_t low, high;
} fold_k;
static fold_k k128, k512, k2048;

static fold_k fold_constants(unsigned distance) {
  fold_k k = {xpow_mod(distance + 31), xpow_mod(distance - 33)};
  return k;
}

#define FOLD512(z, k, next)                                                                 \
  _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z, k, 0x00),                          \
                            _mm512_clmulepi64_epi128(z, k, 0x11), next, 0x96)
#define FOLD128(x, k, next)                                                                 \
  _mm_xor_si128(                                                                            \
      _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next)

// n >= FOLD_MIN. Unaligned loads throughout (batches start anywhere in a request).
__attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2"))) static uint32_t
crc_fold(uint32_t reg, const uint8_t *p, size_t n) {
  const __m512i far =
      _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k2048.high, (long long)k2048.low));
  const __m512i near =
      _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k512.high, (long long)k512.low));
  // The register's 32 bits are XORed into the first four bytes: crc(reg, data) = crc(0, data').
  // (inserted into zeros: a cast from 128 to 512 bits would leave the upper bits undefined)
  const __m512i first =
      _mm512_inserti32x4(_mm512_setzero_si512(), _mm_cvtsi32_si128((int)reg), 0);
  __m512i z0 = _mm512_xor_si512(_mm512_loadu_si512((const void *)p), first);
  __m512i z1 = _mm512_loadu_si512((const void *)(p + 64));
  __m512i z2 = _mm512_loadu_si512((const void *)(p + 128));
  __m512i z3 = _mm512_loadu_si512((const void *)(p + 192));
  p += 256;
  n -= 256;
  while (n >= 256) {
    z0 = FOLD512(z0, far, _mm512_loadu_si512((const void *)p));
    z1 = FOLD512(z1, far, _mm512_loadu_si512((const void *)(p + 64)));
    z2 = FOLD512(z2, far, _mm512_loadu_si512((const void *)(p + 128)));
    z3 = FOLD512(z3, far, _mm512_loadu_si512((const void *)(p + 192)));
    p += 256;
    n -= 256;
  }
  __m512i z = FOLD512(z0, near, z1);
  z = FOLD512(z, near, z2);
  z = FOLD512(z, near, z3);
  while (n >= 64) {
    z = FOLD512(z, near, _mm512_loadu_si512((const void *)p));
    p += 64;
    n -= 64;
  }
  const __m128i one = _mm_set_epi64x((long long)k128.high, (long long)k128.low);
  __m128i x = _mm512_extracti32x4_epi32(z, 0);
  x = FOLD128(x, one, _mm512_extracti32x4_epi32(z, 1));
  x = FOLD128(x, one, _mm512_extracti32x4_epi32(z, 2));
  x = FOLD128(x, one, _mm512_extracti32x4_epi32(z, 3));
  while (n >= 16) {
    x = FOLD128(x, one, _mm_loadu_si128((const __m128i *)p));
    p += 16;
    n -= 16;
  }
  // What is left of the message is the 128-bit piece (then the last < 16 bytes): its CRC from a
  // zero register is the register after everything so far.
  uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
  c = _mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(x, 1));
  return crc_hardware((uint32_t)c, p, n);
}

static uint32_t crc_fastest(uint32_t reg, const uint8_t *p, size_t n) {
  return n >= FOLD_MIN ? crc_fold(reg, p, n) : crc_hardware(reg, p, n);
}

static int detect_fold(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  // SSE4.2 (the crc32 instruction that finishes a fold) is have_hardware's, checked by the caller.
  const unsigned int pclmul = 1u << 1, osxsave = 1u << 27;
  if ((c & pclmul) == 0 || (c & osxsave) == 0) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned int avx512f = 1u << 16, avx512vl = 1u << 31, vpclmulqdq = 1u << 10;
  if ((b & avx512f) == 0 || (b & avx512vl) == 0 || (c & vpclmulqdq) == 0) return 0;
  // The OS saves the SSE, AVX and the three AVX-512 register states (XCR0 bits 1, 2, 5, 6, 7).
  unsigned int lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  (void)hi;
  return (lo & 0xe6u) == 0xe6u;
}

static void make_fold_constants(void) {
  k128 = fold_constants(128);
  k512 = fold_constants(512);
  k2048 = fold_constants(2048);
}
#endif
#else
// Never called here (have_hardware stays 0); it only gives the dispatch below a name to take.
static uint32_t crc_hardware(uint32_t reg, const uint8_t *p, size_t n) {
  (void)p;
  (void)n;
  return reg;
}
static int detect_hardware(void) { return 0; }
#endif

// Byte-at-a-time fallback, so the export is correct even where `hardware` is false.
static uint32_t crc_software(uint32_t reg, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) reg = (reg >> 8) ^ byte_table[(reg ^ p[i]) & 0xff];
  return reg;
}

typedef uint32_t (*crc_fn)(uint32_t reg, const uint8_t *p, size_t n);

static napi_value call(napi_env env, napi_callback_info info, crc_fn fn) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  bool is_typed = false;
  if (argc < 3 || napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, "crc32c(view, start, end): view must be a Uint8Array");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "crc32c(view, start, end): view must be a Uint8Array");
    return NULL;
  }
  double start, end;
  if (napi_get_value_double(env, argv[1], &start) != napi_ok ||
      napi_get_value_double(env, argv[2], &end) != napi_ok || !(start >= 0) || !(end >= start) ||
      end > (double)length || start != (double)(size_t)start || end != (double)(size_t)end) {
    napi_throw_range_error(env, NULL, "crc32c(view, start, end): 0 <= start <= end <= length");
    return NULL;
  }
  size_t n = (size_t)end - (size_t)start;
  // An empty range (data may be NULL then) has CRC 0.
  uint32_t crc = n == 0 ? 0 : ~fn(0xffffffffu, (const uint8_t *)data + (size_t)start, n);
  napi_value result;
  if (napi_create_uint32(env, crc, &result) != napi_ok) return NULL;
  return result;
}

static napi_value streams_call(napi_env env, napi_callback_info info) {
  return call(env, info, have_hardware ? crc_hardware : crc_software);
}

static napi_value crc32c_call(napi_env env, napi_callback_info info) {
#ifdef HAVE_FOLD_CODE
  if (have_fold) return call(env, info, crc_fastest);
#endif
  return streams_call(env, info);
}

static napi_value software_call(napi_env env, napi_callback_info info) {
  return call(env, info, crc_software);
}

// The tables are process-wide: made once, even when worker threads load the addon at once.
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void make_tables(void) {
  make_byte_table();
  make_shift_table(shift_long, LONG_BLOCK);
  make_shift_table(shift_short, SHORT_BLOCK);
  have_hardware = detect_hardware();
#ifdef HAVE_FOLD_CODE
  make_fold_constants();
  have_fold = have_hardware && detect_fold();
#endif
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  pthread_once(&tables_once, make_tables);
  napi_value fn, soft, streams, flag, fold;
  if (napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, crc32c_call, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "crc32c", fn) != napi_ok ||
      napi_create_function(env, "software", NAPI_AUTO_LENGTH, software_call, NULL, &soft) !=
          napi_ok ||
      napi_set_named_property(env, exports, "software", soft) != napi_ok ||
      napi_create_function(env, "streams", NAPI_AUTO_LENGTH, streams_call, NULL, &streams) !=
          napi_ok ||
      napi_set_named_property(env, exports, "streams", streams) != napi_ok ||
      napi_get_boolean(env, have_hardware != 0, &flag) != napi_ok ||
      napi_set_named_property(env, exports, "hardware", flag) != napi_ok ||
      napi_get_boolean(env, have_fold != 0, &fold) != napi_ok ||
      napi_set_named_property(env, exports, "folding", fold) != napi_ok)
    return NULL;
  return exports;
}
