package io.connectedregistry;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.connectedregistry.config.RegistryConfig.StorageConfig;
import io.connectedregistry.storage.GcReport;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the garbage collector inside the server when {@code storage.*} says:
 *
 * <ul>
 *   <li>{@code storage.gcEnabled: false}: never on its own (only when asked: {@link #runNow});
 *   <li>else {@code storage.gcSchedule} set: at its cron times (UTC), {@code storage.gcInterval}
 *       ignored;
 *   <li>else {@code storage.gcInterval} set: that long after the start (or the last
 *       reconfiguration), then every interval;
 *   <li>else never, as before the schedule existed.
 * </ul>
 *
 * Each run is on a worker, one at a time: a scheduled run that comes while another is going is
 * skipped (the next one comes), a run asked for waits for the one going to end. The timer wakes at
 * least every {@link #MAX_WAIT} and compares the clock with the next run's time, so a wall clock
 * set late (a device that booted without time, then NTP) moves the next run with it.
 */
final class GarbageCollectionTimer {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollectionTimer.class);
  static final Duration MAX_WAIT = Duration.ofMinutes(1);

  /** Loaded only when {@code storage.gcSchedule} is set: cron-utils is ~40 classes. */
  private static final class Cron {
    static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  }

  private final Vertx vertx;
  private final Callable<GcReport> collect;
  private final Consumer<GcReport> collected;
  private final Clock clock;
  /** Held for the whole of a run (on the worker's thread that runs it). */
  private final ReentrantLock running = new ReentrantLock();

  private Plan plan;
  private Instant due;
  private long timer = -1;

  /**
   * @param collect one run of the garbage collector; blocking
   * @param collected told of each scheduled run's report (on a worker)
   */
  GarbageCollectionTimer(Vertx vertx, Callable<GcReport> collect, Consumer<GcReport> collected,
      Clock clock) {
    this.vertx = vertx;
    this.collect = collect;
    this.collected = collected;
    this.clock = clock;
  }

  /** When runs come: after {@code after}, the next; or empty when there is no next. */
  private interface Plan {
    Optional<Instant> next(Instant after);
  }

  /** (Re)schedules from the configuration; a run in progress finishes. */
  synchronized void schedule(StorageConfig storage) {
    cancel();
    Instant now = clock.instant();
    if (!storage.gcEnabled()) {
      LOG.info("garbage collection inside the server: off (storage.gcEnabled is false)");
      return;
    }
    if (storage.gcSchedule() != null) {
      ExecutionTime times = ExecutionTime.forCron(Cron.UNIX.parse(storage.gcSchedule()));
      plan = after -> times.nextExecution(after.atZone(ZoneOffset.UTC)).map(t -> t.toInstant());
      if (storage.gcInterval() != null) {
        LOG.info("storage.gcInterval {} is not used: storage.gcSchedule is set", storage.gcInterval());
      }
    } else if (storage.gcInterval() != null) {
      Duration interval = storage.gcInterval();
      plan = after -> Optional.of(after.plus(interval));
    } else {
      return;
    }
    Optional<Instant> first = plan.next(now);
    if (first.isEmpty()) {
      LOG.warn("storage.gcSchedule '{}' never comes: no garbage collection inside the server",
          storage.gcSchedule());
      plan = null;
      return;
    }
    due = first.get();
    LOG.info("garbage collection inside the server: {}, next at {}", storage.gcSchedule() != null
        ? "at '" + storage.gcSchedule() + "' (cron, UTC)" : "every " + storage.gcInterval(), due);
    arm(now);
  }

  synchronized void stop() {
    cancel();
  }

  /**
   * One run now, for a caller that asked (the module's method); waits for a scheduled run in
   * progress to end first. Blocking: call it on a worker.
   */
  GcReport runNow() throws Exception {
    running.lock();
    try {
      return collect.call();
    } finally {
      running.unlock();
    }
  }

  private void cancel() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    plan = null;
    due = null;
  }

  private void arm(Instant now) {
    long wait = Math.max(1, Math.min(MAX_WAIT.toMillis(), Duration.between(now, due).toMillis() + 1));
    timer = vertx.setTimer(wait, this::wake);
  }

  private synchronized void wake(long id) {
    if (id != timer || plan == null) {
      return; // rescheduled or stopped meanwhile
    }
    Instant now = clock.instant();
    if (now.isBefore(due)) {
      arm(now);
      return;
    }
    vertx.executeBlocking(this::runScheduled, false)
        .onFailure(e -> LOG.error("scheduled garbage collection failed", e));
    // From the later of the two: a clock set forward by days runs once, not once per missed time.
    Optional<Instant> next = plan.next(now.isAfter(due) ? now : due);
    if (next.isEmpty()) {
      timer = -1;
      plan = null;
      due = null;
      return;
    }
    due = next.get();
    arm(now);
  }

  private GcReport runScheduled() throws Exception {
    if (!running.tryLock()) {
      LOG.info("scheduled garbage collection skipped: the previous run is still going");
      return null;
    }
    try {
      GcReport report = collect.call();
      LOG.info("{} (scheduled)", report);
      collected.accept(report);
      return report;
    } finally {
      running.unlock();
    }
  }
}
