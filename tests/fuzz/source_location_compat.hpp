#pragma once
// tests/fuzz/source_location_compat.hpp — std::source_location for clang 14 with libstdc++ 12.
//
// libstdc++ 12's <source_location> defines std::source_location only when the compiler has
// __builtin_source_location, which clang has from version 15 on; with clang-14 the header is
// empty and src/matbp/contract.hpp does not compile ("no type named 'source_location' in
// namespace 'std'"). The fuzz build (MATBP_FUZZ, clang < 15 only) force-includes this file into
// every translation unit (-include), so the library compiles unchanged. It has the standard
// interface, built on the __builtin_FILE/LINE/COLUMN/FUNCTION that clang 14 has; column() is
// that of the call, as with GCC. With clang ≥ 15 or GCC this file is not used.
#include <version>

#if defined(__clang__) && !defined(__cpp_lib_source_location)
#include <cstdint>

namespace std {
struct source_location {
    static consteval source_location current(const char* file = __builtin_FILE(),
                                             const char* function = __builtin_FUNCTION(),
                                             std::uint_least32_t line = __builtin_LINE(),
                                             std::uint_least32_t column = __builtin_COLUMN()) noexcept {
        source_location s;
        s.file_ = file;
        s.function_ = function;
        s.line_ = line;
        s.column_ = column;
        return s;
    }
    constexpr source_location() noexcept = default;
    constexpr std::uint_least32_t line() const noexcept { return line_; }
    constexpr std::uint_least32_t column() const noexcept { return column_; }
    constexpr const char* file_name() const noexcept { return file_; }
    constexpr const char* function_name() const noexcept { return function_; }

private:
    const char* file_ = "";
    const char* function_ = "";
    std::uint_least32_t line_ = 0;
    std::uint_least32_t column_ = 0;
};
}  // namespace std
#endif
