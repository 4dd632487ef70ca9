// REDIS_URL as operators write it (server/redis_url.hpp).
#include <mediaflow/server/redis_url.hpp>

#include <gtest/gtest.h>

namespace mediaflow::server {
namespace {

TEST(RedisUrl, ReadsHostPortUserPasswordAndDatabase) {
  std::string why;
  auto r = parse_redis_url("redis://ops:s3cret@redis.internal:6380/2", &why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->host, "redis.internal");
  EXPECT_EQ(r->port, 6380);
  EXPECT_EQ(r->user, "ops");
  EXPECT_EQ(r->password, "s3cret");
  EXPECT_EQ(r->db, 2);
}

TEST(RedisUrl, DefaultsAndThePasswordOnlyForm) {
  std::string why;
  auto plain = parse_redis_url("redis://127.0.0.1", &why);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());
  auto pw = parse_redis_url("redis://:only-pw@h:1", &why);
  ASSERT_TRUE(pw);
  EXPECT_TRUE(pw->user.empty());
  EXPECT_EQ(pw->password, "only-pw");
  auto v6 = parse_redis_url("redis://[::1]:7000", &why);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
}

TEST(RedisUrl, RefusesWhatIsNotARedisUrlWithoutEchoingThePassword) {
  for (const char* bad : {"http://h:1", "redis://", "redis://h:0", "redis://h:99999", "redis://h:x",
                          "redis://h/db", "redis://user:hunter2@:1"}) {
    std::string why;
    EXPECT_FALSE(parse_redis_url(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
    EXPECT_EQ(why.find("hunter2"), std::string::npos);
  }
}

}  // namespace
}  // namespace mediaflow::server
