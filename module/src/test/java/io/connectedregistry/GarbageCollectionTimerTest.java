package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.StorageConfig;
import io.connectedregistry.storage.GcReport;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-server garbage collector's timer against a real store, with the wall clock set just
 * before a cron time (midnight UTC) so a daily schedule comes within a second.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class GarbageCollectionTimerTest {
  private static final Duration DAY = Duration.ofDays(1);

  @TempDir Path data;

  private Vertx vertx;
  private LocalRegistryStorage storage;
  private GarbageCollectionTimer timer;
  private final AtomicInteger scheduledRuns = new AtomicInteger();

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    storage = LocalRegistryStorage.open(data, new LocalRegistryStorage.Options(DAY, Duration.ZERO,
        Clock.systemUTC()));
  }

  @AfterEach
  void close() throws Exception {
    if (timer != null) {
      timer.stop();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    storage.close();
  }

  /** The wall clock reads {@code millis} before the next midnight UTC, and runs on from there. */
  private static Clock beforeMidnight(long millis) {
    Instant now = Instant.now();
    Instant midnight = now.truncatedTo(java.time.temporal.ChronoUnit.DAYS).plus(DAY);
    return Clock.offset(Clock.systemUTC(), Duration.between(now, midnight.minusMillis(millis)));
  }

  private GarbageCollectionTimer timer(Callable<GcReport> collect, Clock clock) {
    timer = new GarbageCollectionTimer(vertx, collect, report -> scheduledRuns.incrementAndGet(),
        clock);
    return timer;
  }

  private static StorageConfig storage(boolean enabled, String schedule, Duration interval) {
    return new StorageConfig(DAY, interval, Duration.ZERO, 0, Duration.ofDays(7), enabled, schedule);
  }

  /** Waits up to {@code limit} for the count to reach {@code wanted}; returns the count then. */
  private int awaitRuns(int wanted, Duration limit) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (scheduledRuns.get() < wanted && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    return scheduledRuns.get();
  }

  @Test
  void a_daily_cron_schedule_runs_the_collector_once_at_its_time_and_not_before() throws Exception {
    timer(storage::collectGarbage, beforeMidnight(800)).schedule(storage(true, "0 0 * * *", null));

    Thread.sleep(300);
    assertEquals(0, scheduledRuns.get(), "ran before midnight");
    assertEquals(1, awaitRuns(1, Duration.ofSeconds(20)), "no run at midnight");
    Thread.sleep(1500);
    assertEquals(1, scheduledRuns.get(), "the next run is a day away");
  }

  @Test
  void disabled_nothing_runs_whatever_the_schedule_and_the_interval_say() throws Exception {
    timer(storage::collectGarbage, beforeMidnight(300))
        .schedule(storage(false, "0 0 * * *", Duration.ofMillis(100)));

    Thread.sleep(1500);

    assertEquals(0, scheduledRuns.get());
  }

  @Test
  void a_reconfiguration_that_disables_it_cancels_the_run_to_come() throws Exception {
    GarbageCollectionTimer t = timer(storage::collectGarbage, beforeMidnight(500));
    t.schedule(storage(true, "0 0 * * *", null));

    t.schedule(storage(false, "0 0 * * *", null));
    Thread.sleep(1500);

    assertEquals(0, scheduledRuns.get());
  }

  @Test
  void the_schedule_wins_over_the_interval_and_the_interval_alone_still_runs() throws Exception {
    // Noon: the schedule's next time is twelve hours away; the interval would run every 100 ms.
    GarbageCollectionTimer t = timer(storage::collectGarbage, beforeMidnight(12 * 3600_000L));
    t.schedule(storage(true, "0 0 * * *", Duration.ofMillis(100)));
    Thread.sleep(1000);
    assertEquals(0, scheduledRuns.get(), "the interval ran although a schedule is set");

    t.schedule(storage(true, null, Duration.ofMillis(100)));

    assertEquals(2, awaitRuns(2, Duration.ofSeconds(20)), "storage.gcInterval alone no longer runs");
  }

  @Test
  void one_run_at_a_time_a_scheduled_run_during_another_is_skipped_and_a_run_asked_for_waits()
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    AtomicInteger started = new AtomicInteger();
    GarbageCollectionTimer t = timer(() -> {
      mostAtOnce.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        if (started.incrementAndGet() == 1) {
          release.await(20, TimeUnit.SECONDS); // the first run is a long one
        }
        return storage.collectGarbage();
      } finally {
        inFlight.decrementAndGet();
      }
    }, Clock.systemUTC());
    t.schedule(storage(true, null, Duration.ofMillis(50)));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (started.get() == 0 && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertEquals(1, started.get(), "the first run did not start");
    Thread.sleep(500); // about ten interval times go by while the first run holds on
    assertEquals(1, started.get(), "a scheduled run started during another");

    var asked = vertx.executeBlocking(t::runNow, false);
    Thread.sleep(200);
    assertTrue(!asked.isComplete(), "the run asked for did not wait for the one going");
    release.countDown();
    asked.await(20, TimeUnit.SECONDS);

    assertTrue(awaitRuns(3, Duration.ofSeconds(20)) >= 3, "scheduled runs did not resume");
    assertEquals(1, mostAtOnce.get(), "two runs overlapped");
  }
}
