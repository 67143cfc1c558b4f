// 64-bit FNV-1a: the project's one non-cryptographic hash, for the model file's integrity trailer,
// the data-parallel job check and the streamed region-id check. Header-only and without Qt or
// LibTorch, so every layer can use it. It detects accidents (damage, differing inputs); it is no
// defence against tampering.
#pragma once

#include <cstddef>
#include <cstdint>

namespace musecl {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;

// Continues `hash` over `size` bytes at `data` (start from kFnvOffset).
inline std::uint64_t fnv1a64(const void *data, std::size_t size, std::uint64_t hash = kFnvOffset) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

}  // namespace musecl
