package io.connectedregistry.sync;

import java.time.Duration;

/**
 * How hard the caller tries before giving up on the parent.
 *
 * @param maxAttempts attempts of an idempotent call (GET/HEAD), the first included
 * @param initialBackoff wait before the first retry; doubled for each further retry
 * @param backoffJitter randomisation factor (0..1) of each wait, so that many children retrying
 *     after a parent outage do not come back in lockstep
 * @param failureRateThreshold percentage of failed calls (connection errors, timeouts, 5xx) in the
 *     window that opens the circuit
 * @param slidingWindowSize calls the failure rate is computed over
 * @param minimumCalls calls needed in the window before the rate is judged
 * @param openDuration how long an open circuit fails every call at once before letting one try through
 */
public record ParentPolicy(
    int maxAttempts,
    Duration initialBackoff,
    double backoffJitter,
    float failureRateThreshold,
    int slidingWindowSize,
    int minimumCalls,
    Duration openDuration) {

  public ParentPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (backoffJitter < 0 || backoffJitter >= 1) {
      throw new IllegalArgumentException("backoffJitter must be in [0, 1)");
    }
  }

  /**
   * Four attempts over about 3.5 s; the circuit opens when half of the last 10 calls failed, for
   * 10 s: short, because one probe of a parent that came back costs little, and sync should
   * recover within a cycle of the parent returning.
   */
  public static ParentPolicy defaults() {
    return new ParentPolicy(4, Duration.ofMillis(500), 0.5, 50f, 10, 5, Duration.ofSeconds(10));
  }
}
