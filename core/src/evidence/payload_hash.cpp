#include <mediaflow/evidence/payload_hash.hpp>

#include <glib.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace mediaflow::evidence {
namespace {

std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(hex[d[i] >> 4]);
    out.push_back(hex[d[i] & 15]);
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_sha256(), nullptr);
  return to_hex(d, n);
}

std::optional<std::string> sha256_hex_of_range(const std::string& path, std::uint64_t offset, std::uint64_t length) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  if (fseeko(f, static_cast<off_t>(offset), SEEK_SET) != 0) {
    std::fclose(f);
    return std::nullopt;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  std::uint64_t left = length;
  bool ok = true;
  while (left > 0) {
    const size_t got = std::fread(buf.data(), 1, static_cast<size_t>(std::min<std::uint64_t>(left, buf.size())), f);
    if (got == 0) {
      ok = false;
      break;
    }
    EVP_DigestUpdate(ctx, buf.data(), got);
    left -= got;
  }
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(ctx, d, &n);
  EVP_MD_CTX_free(ctx);
  std::fclose(f);
  if (!ok) return std::nullopt;
  return to_hex(d, n);
}

std::string hex_to_base64(const std::string& hex) {
  std::vector<guchar> raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) raw.push_back(static_cast<guchar>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  gchar* b64 = g_base64_encode(raw.data(), raw.size());
  std::string out(b64);
  g_free(b64);
  return out;
}

}  // namespace mediaflow::evidence
