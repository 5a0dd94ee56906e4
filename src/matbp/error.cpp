#include "matbp/error.hpp"

namespace matbp {

namespace {
/// Control characters written as escapes, so that a message stays one line.
std::string one_line(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            static const char* hex = "0123456789abcdef";
            out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
        } else
            out += static_cast<char>(c);
    }
    return out;
}

std::string located(const std::string& path_raw, std::size_t line, std::size_t column, const std::string& reason_raw,
                    const std::string& file_raw) {
    const std::string path = one_line(path_raw), reason = one_line(reason_raw), file = one_line(file_raw);
    std::string where = !path.empty() ? path : line > 0 ? std::to_string(line) + ":" + std::to_string(column) : "";
    if (!file.empty()) where = where.empty() ? file : file + (path.empty() ? ":" : ": ") + where;
    return where.empty() ? reason : where + ": " + reason;
}
}  // namespace

input_error::input_error(std::string path, std::size_t line, std::size_t column, std::string reason, std::string file)
        : std::runtime_error(located(path, line, column, reason, file)),
          path_(std::move(path)),
          reason_(std::move(reason)),
          file_(std::move(file)),
          line_(line),
          column_(column) {}

input_error input_error::in_file(std::string file) const {
    return input_error(path_, line_, column_, reason_, std::move(file));
}

unsupported_error::unsupported_error(feature what, std::string path, std::string reason, std::string file)
        : input_error(std::move(path), 0, 0, std::move(reason), std::move(file)), feature_(what) {}

unsupported_error unsupported_error::in_file(std::string file) const {
    return unsupported_error(feature_, path(), reason(), std::move(file));
}

resource_error::resource_error(matbp::resource which, std::string path, std::string reason, std::string file)
        : std::runtime_error(located(path, 0, 0, reason, file)),
          which_(which),
          path_(std::move(path)),
          reason_(std::move(reason)),
          file_(std::move(file)) {}

resource_error resource_error::in_file(std::string file) const {
    return resource_error(which_, path_, reason_, std::move(file));
}

}  // namespace matbp
