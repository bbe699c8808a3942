package io.connectedregistry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;

/**
 * A budget of failed logins per client address (a Resilience4j {@link RateLimiter} each): every
 * refused password spends one permit; once an address has none left, its logins are answered 429
 * without checking the password until the period refreshes. Successful logins spend nothing, and a
 * client whose credentials are cached never reaches this class, so a guesser on the same network
 * does not slow down the clients that know their password.
 */
public final class LoginThrottle {

  static final Duration PERIOD = Duration.ofMinutes(1);

  private final RateLimiterConfig config;
  private final Cache<String, RateLimiter> byAddress;

  public LoginThrottle(int failuresPerMinute) {
    this.config = RateLimiterConfig.custom()
        .limitForPeriod(failuresPerMinute)
        .limitRefreshPeriod(PERIOD)
        .timeoutDuration(Duration.ZERO)
        .build();
    // Bounded so a scan from many addresses cannot grow it without limit; an address forgotten
    // after a quiet period starts again with a full budget, which is fine.
    this.byAddress = Caffeine.newBuilder()
        .maximumSize(100_000)
        .expireAfterAccess(PERIOD.multipliedBy(2))
        .build();
  }

  /** True when {@code address} has spent its budget of failed logins for this period. */
  public boolean throttled(String address) {
    RateLimiter limiter = byAddress.getIfPresent(address);
    return limiter != null && limiter.getMetrics().getAvailablePermissions() <= 0;
  }

  /** Counts a refused login from {@code address}. */
  public void failed(String address) {
    byAddress.get(address, a -> RateLimiter.of("failed-logins", config)).acquirePermission();
  }

  /** How long a throttled client should wait, for {@code Retry-After}. */
  public Duration retryAfter() {
    return PERIOD;
  }
}
