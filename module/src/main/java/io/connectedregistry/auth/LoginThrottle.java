package io.connectedregistry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.netty.util.NetUtil;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Budgets of failed logins (Resilience4j {@link RateLimiter}s): every refused password spends one
 * permit of its client's budget and one of the global budget; once either is spent, logins are
 * answered 429 without checking the password until the period refreshes. Successful logins spend
 * nothing, and a client whose credentials are cached never reaches this class, so guessers do not
 * slow down the clients that know their password.
 *
 * <p>The global budget, {@value #GLOBAL_FACTOR} times the per-client one, bounds guessing from
 * many addresses (a botnet, or forged {@code X-Forwarded-For} through a proxy): a few clients with
 * a stale password stay well below it (each is held to its own budget), while an attack from many
 * addresses gets at most that many guesses a minute, and at most that many PBKDF2 runs. While it
 * is spent, clients logging in for the first time wait with the attacker; cached ones do not.
 *
 * <p>An IPv6 client is its /64: one host usually holds a whole /64, and must not get a fresh
 * budget per address.
 */
public final class LoginThrottle {

  static final Duration PERIOD = Duration.ofMinutes(1);
  static final int GLOBAL_FACTOR = 10;

  private final int failuresPerMinute;
  private final RateLimiterConfig config;
  private final RateLimiter global;
  private final Cache<String, RateLimiter> byClient;

  public LoginThrottle(int failuresPerMinute) {
    this.failuresPerMinute = failuresPerMinute;
    this.config = limit(failuresPerMinute);
    this.global = RateLimiter.of("failed-logins", limit(failuresPerMinute * GLOBAL_FACTOR));
    // Bounded so a scan from many addresses cannot grow it without limit; an address forgotten
    // after a quiet period starts again with a full budget, which is fine.
    this.byClient = Caffeine.newBuilder()
        .maximumSize(100_000)
        .expireAfterAccess(PERIOD.multipliedBy(2))
        .build();
  }

  public int failuresPerMinute() {
    return failuresPerMinute;
  }

  private static RateLimiterConfig limit(int perPeriod) {
    return RateLimiterConfig.custom()
        .limitForPeriod(perPeriod)
        .limitRefreshPeriod(PERIOD)
        .timeoutDuration(Duration.ZERO)
        .build();
  }

  /** True when failed logins have spent {@code address}'s budget, or the global one. */
  public boolean throttled(String address) {
    if (global.getMetrics().getAvailablePermissions() <= 0) {
      return true;
    }
    RateLimiter limiter = byClient.getIfPresent(client(address));
    return limiter != null && limiter.getMetrics().getAvailablePermissions() <= 0;
  }

  /** Counts a refused login from {@code address}. */
  public void failed(String address) {
    global.acquirePermission();
    byClient.get(client(address), a -> RateLimiter.of("failed-logins", config)).acquirePermission();
  }

  /**
   * Addresses (IPv6: /64s) whose budget is spent now. Walks the bounded table (at most 100,000
   * entries): for the metrics, not for requests.
   */
  public long throttledClients() {
    return byClient.asMap().values().stream()
        .filter(limiter -> limiter.getMetrics().getAvailablePermissions() <= 0).count();
  }

  /** How long a throttled client should wait, for {@code Retry-After}. */
  public Duration retryAfter() {
    return PERIOD;
  }

  /** The budget's key: the address, or for IPv6 its /64. */
  private static String client(String address) {
    byte[] bytes = address.indexOf(':') < 0 ? null : NetUtil.createByteArrayFromIpAddressString(address);
    if (bytes == null || bytes.length != 16) {
      return address;
    }
    return HexFormat.of().formatHex(bytes, 0, 8) + "::/64";
  }
}
