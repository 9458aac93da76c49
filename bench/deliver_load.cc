// SMTP delivery throughput: composes (and DKIM-signs) N campaign emails and sends
// them through SmtpSender to Postfix's smtp-sink on a loopback port, then reports
// messages per second, connections used and peak resident memory.
//
//   deliver_load [--messages N] [--connections C] [--dkim none|ed25519|rsa]
//                [--smtp-sink /usr/sbin/smtp-sink] [--port P (an already running server)]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "deliver/deliver.h"

using namespace patron;
using namespace patron::deliver;

namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool CanConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string RsaPem() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

}  // namespace

int main(int argc, char** argv) {
  int messages = 20000;
  int connections = 8;
  std::string dkim = "ed25519";
  std::string sink_binary = "/usr/sbin/smtp-sink";
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--messages")
      messages = std::atoi(argv[i + 1]);
    else if (flag == "--connections")
      connections = std::atoi(argv[i + 1]);
    else if (flag == "--dkim")
      dkim = argv[i + 1];
    else if (flag == "--smtp-sink")
      sink_binary = argv[i + 1];
    else if (flag == "--port")
      port = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }

  pid_t sink = -1;
  if (port == 0) {
    port = FreePort();
    std::string listen = "127.0.0.1:" + std::to_string(port);
    sink = ::fork();
    if (sink == 0) {
      // smtp-sink accepts every message and throws it away; as root it needs -u.
      if (::geteuid() == 0) {
        ::execl(sink_binary.c_str(), "smtp-sink", "-u", "nobody", listen.c_str(), "256", nullptr);
      } else {
        ::execl(sink_binary.c_str(), "smtp-sink", listen.c_str(), "256", nullptr);
      }
      std::perror("smtp-sink");
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !CanConnect(port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!CanConnect(port)) {
      std::fprintf(stderr, "smtp-sink did not start (install Debian's postfix)\n");
      return 1;
    }
  }

  std::optional<DkimSigner> signer;
  if (dkim != "none") {
    DkimKey key;
    key.domain = "shop.example.com";
    key.selector = "bench";
    if (dkim == "rsa") {
      key.algorithm = DkimAlgorithm::kRsaSha256;
      key.private_key = RsaPem();
    } else {
      key.algorithm = DkimAlgorithm::kEd25519Sha256;
      key.private_key = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";
    }
    auto s = DkimSigner::Create(key);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
      return 1;
    }
    signer = std::move(*s);
  }

  SmtpServerConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.tls = SmtpTls::kNone;
  config.max_connections = connections;
  config.helo_name = "patron.bench";
  auto sender = SmtpSender::Create(config);
  if (!sender.ok()) {
    std::fprintf(stderr, "%s\n", sender.status().ToString().c_str());
    return 1;
  }

  // A realistic campaign email: Persian and English text and HTML, ~4 KB.
  std::string text;
  std::string html = "<!doctype html><html lang=\"fa\" dir=\"rtl\"><body>";
  for (int i = 0; i < 12; ++i) {
    text +=
        "سلام، به مناسبت نوروز ۲۰٪ تخفیف روی همهٔ گوشی‌ها داریم. Spring offers on every "
        "phone.\n";
    html +=
        "<p>سلام، به مناسبت نوروز <b>۲۰٪</b> تخفیف روی همهٔ گوشی‌ها "
        "داریم.</p>";
  }
  html += "</body></html>";
  ComposeOptions options;
  options.dkim = signer ? &*signer : nullptr;

  std::atomic<int> next{0};
  std::atomic<int> accepted{0};
  std::atomic<int> failed{0};
  std::atomic<int> compose_errors{0};
  auto started = std::chrono::steady_clock::now();
  (*sender)->SendAll(
      [&]() -> std::optional<OutgoingMail> {
        while (true) {
          int i = next++;
          if (i >= messages) return std::nullopt;
          EmailMessage m;
          m.from = {"news@shop.example.com", "فروشگاه نمونه"};
          m.to = {"customer" + std::to_string(i) + "@example.org", "مشتری " + std::to_string(i)};
          m.subject = "پیشنهاد ویژهٔ نوروز برای شما";
          m.text_body = text;
          m.html_body = html;
          m.list_unsubscribe_url = "https://shop.example.com/u/" + std::to_string(i);
          m.list_unsubscribe_mailto = "unsubscribe@shop.example.com";
          m.extra_headers = {{"X-Patron-Campaign", "1"}};
          auto composed = ComposeEmail(m, options);
          if (!composed.ok()) {
            ++compose_errors;
            continue;
          }
          return OutgoingMail{"bounces@shop.example.com", m.to.address, std::move(composed->data),
                              static_cast<uint64_t>(i)};
        }
      },
      [&](const OutgoingMail&, const DeliveryOutcome& o) { o.accepted() ? ++accepted : ++failed; });
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf("messages %d  accepted %d  failed %d  compose_errors %d\n", messages, accepted.load(),
              failed.load(), compose_errors.load());
  std::printf("connections %d (opened %lld)  dkim %s\n", connections,
              static_cast<long long>((*sender)->connections_opened()), dkim.c_str());
  std::printf("time %.2f s  throughput %.0f msgs/s  peak RSS %.1f MiB\n", seconds,
              messages / seconds, usage.ru_maxrss / 1024.0);
  if (sink > 0) {
    ::kill(sink, SIGTERM);
    ::waitpid(sink, nullptr, 0);
  }
  return accepted.load() == messages ? 0 : 1;
}
