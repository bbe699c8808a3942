package io.connectedregistry.edge;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reported properties on their way to the twin. Every top-level property offered is kept until
 * sent, the newest value winning, and sent as one patch: status changes are coalesced to at most
 * one patch per {@code interval}; acknowledgements go at once. A send that fails or whose answer
 * is lost (the SDK waits out its timeout, Azure/azure-iot-sdk-java#1803) is repeated after {@code
 * retry}: every value is whole, so sending one twice is harmless. Nothing is sent while
 * disconnected; what waits goes on the next connection.
 *
 * <p>Thread safe; sends run on {@code executor} (the module's one thread).
 */
final class ReportedPatches {
  private static final Logger LOG = LoggerFactory.getLogger(ReportedPatches.class);

  /** Sends one patch to the twin; throws when it was not acknowledged in time. */
  @FunctionalInterface
  interface Sender {
    void send(Map<String, Object> patch) throws Exception;
  }

  private final ScheduledExecutorService executor;
  private final Sender sender;
  private final long intervalNanos;
  private final long retryNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Object> pending = new LinkedHashMap<>();
  /** What the hub acknowledged last, per property: an equal status is not sent again. */
  private final Map<String, Object> acknowledged = new java.util.HashMap<>();
  private boolean connected;
  private boolean scheduled;
  /** Whether something waiting may skip the interval (an acknowledgement). */
  private boolean urgent;
  private long lastSent;
  private boolean sentOnce;

  ReportedPatches(ScheduledExecutorService executor, Sender sender, Duration interval, Duration retry,
      LongSupplier nanoTime) {
    this.executor = executor;
    this.sender = sender;
    this.intervalNanos = interval.toNanos();
    this.retryNanos = retry.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * Sends with the status: within the interval, and only when it differs from what the hub has
   * (sync publishes every few seconds, mostly figures the twin does not carry).
   */
  synchronized void offer(String property, Object value) {
    if (!pending.containsKey(property) && acknowledged.containsKey(property)
        && java.util.Objects.equals(acknowledged.get(property), value)) {
      return;
    }
    pending.put(property, value);
    schedule();
  }

  /** Sends at once (acknowledgements: the operator is waiting for them). */
  synchronized void offerNow(Map<String, Object> properties) {
    if (properties.isEmpty()) {
      return;
    }
    pending.putAll(properties);
    urgent = true;
    schedule();
  }

  synchronized void connected(boolean value) {
    connected = value;
    schedule();
  }

  /**
   * On shutdown: sends what waits now, ignoring the interval, and waits at most {@code timeout}
   * for it (the twin then shows the registry Inactive rather than its last running status).
   */
  void drain(Duration timeout) {
    synchronized (this) {
      if (!connected || pending.isEmpty() || executor.isShutdown()) {
        return;
      }
    }
    try {
      executor.submit(this::flush).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.debug("last reported properties not sent: {}", e.toString());
    }
  }

  /** Properties not yet acknowledged by the hub (for tests and the log). */
  synchronized Map<String, Object> pending() {
    return new LinkedHashMap<>(pending);
  }

  private void schedule() {
    if (!connected || scheduled || pending.isEmpty() || executor.isShutdown()) {
      return;
    }
    long wait = urgent || !sentOnce ? 0 : Math.max(0, lastSent + intervalNanos - nanoTime.getAsLong());
    scheduled = true;
    executor.schedule(this::flush, wait, TimeUnit.NANOSECONDS);
  }

  private void flush() {
    Map<String, Object> patch;
    synchronized (this) {
      scheduled = false;
      if (!connected || pending.isEmpty()) {
        return;
      }
      patch = new LinkedHashMap<>(pending);
      pending.clear();
      urgent = false;
    }
    boolean sent;
    try {
      sender.send(patch);
      sent = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sent = false;
    } catch (Exception e) {
      LOG.warn("reported properties {} not acknowledged, sending again: {}", patch.keySet(), e.toString());
      sent = false;
    }
    synchronized (this) {
      lastSent = nanoTime.getAsLong();
      sentOnce = true;
      if (sent) {
        acknowledged.putAll(patch);
      } else {
        // Newer values offered meanwhile win; the rest goes again.
        patch.forEach((k, v) -> {
          if (!pending.containsKey(k)) {
            pending.put(k, v);
          }
        });
        urgent = true;
        if (connected && !scheduled && !executor.isShutdown()) {
          scheduled = true;
          executor.schedule(this::flush, retryNanos, TimeUnit.NANOSECONDS);
        }
        return;
      }
      schedule();
    }
  }
}
