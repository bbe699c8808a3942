package io.connectedregistry.sync;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.vertx.core.Vertx;
import io.vertx.core.streams.ReadStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@code sync.bandwidth} budget, in bytes per second, shared by every sync download and, in a
 * ReadWrite registry, every upload to the parent ({@link BlobBody}); 0 = unlimited.
 *
 * <p>Never blocks: a download reserves the bytes it has just received and is told how long to wait
 * before reading more. Reservations queue up, so each delay already includes the bytes reserved
 * before it, by this download or another.
 *
 * <p>Resilience4j's {@code AtomicRateLimiter} accepts a reservation larger than one period's
 * permits and returns the wait until enough periods have passed, so a large read is reserved in
 * one call. It refuses (returns -1) only a wait longer than its timeout, which is therefore set
 * beyond any reachable wait.
 */
public final class BandwidthLimiter {
  public static final BandwidthLimiter UNLIMITED = new BandwidthLimiter(0);

  /** Short periods keep the bursts small: at most a tenth of a second's worth at once. */
  private static final Duration PERIOD = Duration.ofMillis(100);
  private static final int PERIODS_PER_SECOND = 10;

  private final RateLimiter limiter;

  /** @param bytesPerSecond 0 = unlimited */
  public BandwidthLimiter(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bandwidth must not be negative: " + bytesPerSecond);
    }
    if (bytesPerSecond == 0) {
      this.limiter = null;
      return;
    }
    int bytesPerPeriod =
        (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytesPerSecond / PERIODS_PER_SECOND));
    this.limiter = RateLimiter.of("sync-bandwidth", RateLimiterConfig.custom()
        .limitForPeriod(bytesPerPeriod)
        .limitRefreshPeriod(PERIOD)
        .timeoutDuration(Duration.ofNanos(Long.MAX_VALUE))
        .build());
  }

  public boolean unlimited() {
    return limiter == null;
  }

  /**
   * Reserves {@code bytes} of the budget and returns how long, from now, the caller waits before
   * transferring more; 0 = go on.
   */
  public long delayNanos(int bytes) {
    if (limiter == null || bytes <= 0) {
      return 0;
    }
    long wait = limiter.reservePermission(bytes);
    if (wait < 0) {
      // Only a wait beyond the timeout, ~292 years, is refused.
      throw new IllegalStateException("bandwidth reservation refused for " + bytes + " bytes");
    }
    return wait;
  }

  /**
   * Reserves {@code bytes} just read from {@code stream} and, when the budget is spent, pauses the
   * stream until it is paid for. Call it from the stream's handler on the stream's context.
   */
  public void throttle(Vertx vertx, ReadStream<?> stream, int bytes) {
    long wait = delayNanos(bytes);
    if (wait <= 0) {
      return;
    }
    stream.pause();
    // Rounded up: resuming early would let the stream run ahead of the budget.
    long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999));
    vertx.setTimer(millis, id -> stream.resume());
  }
}
