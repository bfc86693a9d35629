// detail::address_range: an address block in CIDR notation ("10.0.0.0/8", "::1/128", or
// a bare address), for server_options::proxy.trusted.
#pragma once

#include <asio/ip/address.hpp>

#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coronet::detail {

class address_range {
 public:
  // Throws std::invalid_argument for text that is not an address or a CIDR block.
  explicit address_range(std::string_view text) {
    const auto slash = text.find('/');
    std::error_code ec;
    network_ = asio::ip::make_address(std::string(text.substr(0, slash)), ec);
    if (ec) throw std::invalid_argument("not an address or CIDR block: " + std::string(text));
    network_ = plain(network_);
    const unsigned bits = network_.is_v4() ? 32 : 128;
    prefix_ = bits;
    if (slash != std::string_view::npos) {
      const auto digits = text.substr(slash + 1);
      auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix_);
      if (digits.empty() || err != std::errc{} || end != digits.data() + digits.size() ||
          prefix_ > bits)
        throw std::invalid_argument("bad prefix length in " + std::string(text));
    }
  }

  bool contains(const asio::ip::address& a) const noexcept {
    const auto address = plain(a);
    if (address.is_v4() != network_.is_v4()) return false;
    if (address.is_v4()) return matches(address.to_v4().to_bytes(), network_.to_v4().to_bytes());
    return matches(address.to_v6().to_bytes(), network_.to_v6().to_bytes());
  }

 private:
  // An IPv4 peer on an IPv6 socket (::ffff:10.0.0.1) is the IPv4 address it carries.
  static asio::ip::address plain(const asio::ip::address& a) noexcept {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
      return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return a;
  }

  template <typename Bytes>
  bool matches(const Bytes& a, const Bytes& net) const noexcept {
    unsigned left = prefix_;
    for (std::size_t i = 0; i < a.size() && left > 0; ++i) {
      const unsigned take = left >= 8 ? 8 : left;
      const auto mask = static_cast<unsigned char>(0xFF00U >> take);
      if ((a[i] & mask) != (net[i] & mask)) return false;
      left -= take;
    }
    return true;
  }

  asio::ip::address network_;
  unsigned prefix_ = 0;
};

}  // namespace coronet::detail
