// CRC-32C (Castagnoli) with the CPU's crc32 instruction, as a Node-API addon.
//
// Why: CRC-32C of every produced batch is a quarter of the broker's CPU under produce, and the
// prebuilt @node-rs/crc32 runs one dependent crc32 instruction after another (one 8-byte step per
// instruction latency, ~3 cycles). Here three independent streams over three neighbouring blocks
// run in the same loop, so the instruction's throughput (one per cycle) is what limits; the three
// CRCs are joined by "shifting" the first over the length of the next block with lookup tables.
//
// The CRC register update is linear: crc(r, data) = shift_len(r) ^ crc(0, data), where shift_len
// is what feeding len zero bytes does to the register. shift_len is a 32x32 bit matrix, applied
// here as four lookup tables of 256 entries (one per byte of the register).
//
// Exports: crc32c(view: Uint8Array, start: number, end: number): number (the finished CRC of
// view[start, end), like Kafka's Crc32C), hardware: boolean (false where the CPU has no crc32
// instruction or this is not x86-64: crc32c then goes byte by byte, and the broker uses another
// implementation) and software(view, start, end), the byte-by-byte path, for tests.

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

static napi_value crc32c_call(napi_env env, napi_callback_info info) {
  return call(env, info, have_hardware ? crc_hardware : crc_software);
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
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  pthread_once(&tables_once, make_tables);
  napi_value fn, soft, flag;
  if (napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, crc32c_call, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "crc32c", fn) != napi_ok ||
      napi_create_function(env, "software", NAPI_AUTO_LENGTH, software_call, NULL, &soft) !=
          napi_ok ||
      napi_set_named_property(env, exports, "software", soft) != napi_ok ||
      napi_get_boolean(env, have_hardware != 0, &flag) != napi_ok ||
      napi_set_named_property(env, exports, "hardware", flag) != napi_ok)
    return NULL;
  return exports;
}
