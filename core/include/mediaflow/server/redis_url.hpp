// REDIS_URL: redis://[[user]:password@]host[:port][/db] (the form redis-cli and most clients
// accept). Plain C++; the connection itself is ClusterAdmission's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::server {

struct RedisUrl {
  std::string host;
  int port = 6379;
  std::string user;      // empty: AUTH with the password only (the default user)
  std::string password;  // empty: no AUTH
  int db = 0;
};

// nullopt and *why (without the password) when `url` is not of that form.
std::optional<RedisUrl> parse_redis_url(std::string_view url, std::string* why);

}  // namespace mediaflow::server
