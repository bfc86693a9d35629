// The OpenSSL session behind a TLS connection: one SSL object reading and writing the
// socket descriptor through a small BIO of our own.
//
// Why a BIO of our own instead of BIO_s_socket: that one writes with write(2), which
// raises SIGPIPE when the peer has gone; ours uses send(2) with MSG_NOSIGNAL, so a
// client program needs no process-wide signal setting. It also keeps errno, which
// OpenSSL's SSL_ERROR_SYSCALL leaves to the caller.
#include "openssl.hpp"

#include "coronet/core/errc.hpp"

#include <asio/error.hpp>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include <sys/socket.h>

namespace coronet::tls::detail {
namespace {

using coronet::detail::tls_step;
using coronet::detail::tls_want;

// What the BIO knows: the descriptor, the errno of its last failed call, and, while
// `corked` (during the handshake), the records written but not yet sent.
//
// Why corked: OpenSSL writes a handshake flight record by record (ServerHello,
// EncryptedExtensions, Certificate, CertificateVerify, Finished; then two session
// tickets), and a BIO that sends each at once makes one send(2) per record. Kept until
// SSL_do_handshake returns, a flight leaves in one send, as it does through asio::ssl's
// memory BIO.
struct socket_link {
  int fd = -1;
  int last_errno = 0;
  bool corked = false;
  std::string unsent;
};

// Sends what was corked: 1 when all of it is gone, 0 when the socket is full (the rest
// waits for writability), -1 on an error (in last_errno).
int send_unsent(socket_link& link) {
  std::size_t sent = 0;
  int status = 1;
  while (sent < link.unsent.size()) {
    const auto n =
        ::send(link.fd, link.unsent.data() + sent, link.unsent.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      status = 0;
    } else {
      link.last_errno = errno;
      status = -1;
    }
    break;
  }
  link.unsent.erase(0, sent);
  if (link.unsent.empty()) std::string{}.swap(link.unsent);  // idle sessions hold no buffer
  return status;
}

int link_write(BIO* bio, const char* data, int size) {
  auto* link = static_cast<socket_link*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (link->corked) {
    link->unsent.append(data, static_cast<std::size_t>(size));
    return size;
  }
  for (;;) {
    const auto n = ::send(link->fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_write(bio);
    } else {
      link->last_errno = errno;
    }
    return -1;
  }
}

int link_read(BIO* bio, char* data, int size) {
  auto* link = static_cast<socket_link*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  for (;;) {
    const auto n = ::recv(link->fd, data, static_cast<std::size_t>(size), 0);
    if (n >= 0) return static_cast<int>(n);  // 0: the peer's FIN
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(bio);
    } else {
      link->last_errno = errno;
    }
    return -1;
  }
}

long link_ctrl(BIO*, int command, long, void*) {
  // OpenSSL flushes after each flight; send(2) has nothing to flush.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int link_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* link_method() {
  static BIO_METHOD* method = [] {
    auto* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "coronet socket");
    if (m == nullptr) throw std::runtime_error("coronet::tls: cannot create a BIO method");
    BIO_meth_set_write(m, link_write);
    BIO_meth_set_read(m, link_read);
    BIO_meth_set_ctrl(m, link_ctrl);
    BIO_meth_set_create(m, link_create);
    return m;
  }();
  return method;
}

class openssl_session final : public coronet::detail::tls_session {
 public:
  openssl_session(SSL* ssl, int fd, std::shared_ptr<const void> keepalive)
      : ssl_(ssl), keepalive_(std::move(keepalive)) {
    link_.fd = fd;
    BIO* bio = BIO_new(link_method());
    if (bio == nullptr) {
      SSL_free(ssl_);
      throw std::runtime_error("coronet::tls: cannot create a BIO: " + take_errors());
    }
    BIO_set_data(bio, &link_);
    SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_ from here
  }
  ~openssl_session() override { SSL_free(ssl_); }

  tls_step handshake() override {
    // A flight from the last call that the socket could not take yet goes first.
    if (const auto s = flush_handshake(); s.want != tls_want::nothing || s.error) return s;
    ERR_clear_error();
    link_.corked = true;
    const int r = SSL_do_handshake(ssl_);
    link_.corked = false;
    auto step = result(r, 0, true);
    // What this call wrote (a flight, or the alert of a failure) leaves now, in one send.
    if (!link_.unsent.empty()) {
      const auto flushed = flush_handshake();
      if (step.error) return step;  // the alert was a best effort; the failure stands
      if (flushed.error || flushed.want == tls_want::write) return flushed;
    }
    if (r == 1) established_ = true;
    return step;
  }

  tls_step read(asio::mutable_buffer into) override {
    if (into.size() == 0) return {};
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_, into.data(), into.size(), &n);
    return result(r, n, false);
  }

  tls_step write(asio::const_buffer from) override {
    if (from.size() == 0) return {};
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_write_ex(ssl_, from.data(), from.size(), &n);
    return result(r, n, false);
  }

  void send_close_notify() noexcept override {
    if (!established_ || close_notify_sent_) return;
    close_notify_sent_ = true;
    ERR_clear_error();
    SSL_shutdown(ssl_);  // one attempt: queues and sends the alert, never waits
    ERR_clear_error();
  }

  bool has_pending() const noexcept override { return SSL_has_pending(ssl_) == 1; }

  tls_info info() const override {
    tls_info i;
    i.version = SSL_get_version(ssl_);
    if (const char* c = SSL_get_cipher_name(ssl_)) i.cipher = c;
    const unsigned char* alpn = nullptr;
    unsigned int alpn_size = 0;
    SSL_get0_alpn_selected(ssl_, &alpn, &alpn_size);
    if (alpn != nullptr) i.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_size);
    if (const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name)) i.server_name = sni;
    if (X509* peer = SSL_get0_peer_certificate(ssl_)) {
      BIO* out = BIO_new(BIO_s_mem());
      if (out != nullptr) {
        X509_NAME_print_ex(out, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253);
        char* text = nullptr;
        const long size = BIO_get_mem_data(out, &text);
        if (size > 0) i.peer_subject.assign(text, static_cast<std::size_t>(size));
        BIO_free(out);
      }
    }
    return i;
  }

  std::string last_error() const override { return last_error_; }

 private:
  // Sends the corked handshake bytes: nothing left (want nothing), the socket full (want
  // write: handshake() is called again when it is writable), or the error.
  tls_step flush_handshake() {
    if (link_.unsent.empty()) return {};
    const int status = send_unsent(link_);
    if (status == 1) return {};
    if (status == 0) return {tls_want::write, 0, {}};
    std::error_code ec{std::exchange(link_.last_errno, 0), asio::error::get_system_category()};
    last_error_ = ec.message();
    return {tls_want::nothing, 0, ec};
  }

  // Turns an SSL_* return value into a step; on failure, keeps the reason in words.
  tls_step result(int r, std::size_t n, bool in_handshake) {
    if (r == 1) return {tls_want::nothing, n, {}};
    switch (SSL_get_error(ssl_, r)) {
      case SSL_ERROR_WANT_READ:
        return {tls_want::read, 0, {}};
      case SSL_ERROR_WANT_WRITE:
        return {tls_want::write, 0, {}};
      case SSL_ERROR_ZERO_RETURN:
        // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a TCP FIN without one.
        last_error_ = "the peer closed the connection";
        return {tls_want::nothing, 0, asio::error::eof};
      case SSL_ERROR_SYSCALL:
        if (link_.last_errno != 0) {
          std::error_code ec{std::exchange(link_.last_errno, 0),
                             asio::error::get_system_category()};
          last_error_ = ec.message();
          return {tls_want::nothing, 0, ec};
        }
        last_error_ = "the peer closed the connection";
        return {tls_want::nothing, 0, asio::error::eof};
      default: {
        const long verify = SSL_get_verify_result(ssl_);
        auto reasons = take_errors("protocol error");
        if (verify != X509_V_OK && in_handshake) {
          last_error_ =
              std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
        } else {
          last_error_ = std::move(reasons);
        }
        return {tls_want::nothing, 0,
                make_error_code(in_handshake ? errc::handshake_failed : errc::tls_error)};
      }
    }
  }

  SSL* ssl_;
  std::shared_ptr<const void> keepalive_;
  socket_link link_;
  std::string last_error_;
  bool established_ = false;
  bool close_notify_sent_ = false;
};

}  // namespace

std::string take_errors(std::string_view fallback) {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::array<char, 256> buffer{};
    if (reason == nullptr) {
      ERR_error_string_n(e, buffer.data(), buffer.size());
      reason = buffer.data();
    }
    if (!out.empty()) out += "; ";
    out += reason;
  }
  return out.empty() ? std::string(fallback) : out;
}

std::unique_ptr<coronet::detail::tls_session> make_session(SSL* ssl, int descriptor,
                                                           std::shared_ptr<const void> keepalive) {
  return std::make_unique<openssl_session>(ssl, descriptor, std::move(keepalive));
}

}  // namespace coronet::tls::detail
