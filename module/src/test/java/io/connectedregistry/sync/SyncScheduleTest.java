package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.SyncConfig;
import io.connectedregistry.config.RegistryConfig.TagFilterConfig;
import io.connectedregistry.sync.SyncSchedule.Decision;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

class SyncScheduleTest {
  private static final Clock CLOCK = Clock.fixed(at("2026-03-10T12:00:00Z"), ZoneOffset.UTC);

  private static Instant at(String instant) {
    return Instant.parse(instant);
  }

  private static SyncSchedule schedule(String cron, Duration window) {
    return new SyncSchedule(cron, window, CLOCK);
  }

  // Every minute, no window: the default.

  @Test
  void defaultScheduleIsAlwaysOpenAndTriggersEveryMinute() {
    SyncSchedule s = schedule("* * * * *", null);
    assertTrue(s.isOpen(at("2026-03-10T03:17:42Z")));
    assertEquals(at("2026-03-10T03:18:00Z"), s.nextTrigger(at("2026-03-10T03:17:42Z")));
    assertEquals(at("2026-03-10T03:19:00Z"), s.nextTrigger(at("2026-03-10T03:18:00Z")));
    assertEquals(Optional.empty(), s.windowEnd(at("2026-03-10T03:18:00Z")));
  }

  @Test
  void defaultScheduleRunsAtStartupWithoutDeadline() {
    Decision d = schedule("* * * * *", null).next(null);
    assertTrue(d.runNow());
    assertNull(d.deadline());
    assertNull(d.wakeAt());
  }

  @Test
  void defaultScheduleWaitsForTheMinuteAfterAShortCycle() {
    Decision d = schedule("* * * * *", null)
        .next(at("2026-03-10T12:00:30Z"), at("2026-03-10T12:00:05Z"));
    assertFalse(d.runNow());
    assertEquals(at("2026-03-10T12:01:00Z"), d.wakeAt());
  }

  @Test
  void triggerDuringALongCycleRunsTheNextCycleAtOnce() {
    // Started 12:00:05, ended 12:01:20: the 12:01 trigger fired during it.
    Decision d = schedule("* * * * *", null)
        .next(at("2026-03-10T12:01:20Z"), at("2026-03-10T12:00:05Z"));
    assertTrue(d.runNow());
  }

  @Test
  void cycleStartedExactlyAtATriggerWaitsForTheNextOne() {
    Decision d = schedule("* * * * *", null)
        .next(at("2026-03-10T12:00:40Z"), at("2026-03-10T12:00:00Z"));
    assertEquals(Decision.sleepUntil(at("2026-03-10T12:01:00Z")), d);
  }

  @Test
  void dailyScheduleWithoutWindowRunsOncePerTrigger() {
    SyncSchedule s = schedule("0 2 * * *", null);
    assertTrue(s.isOpen(at("2026-03-10T14:00:00Z")));
    assertEquals(Decision.sleepUntil(at("2026-03-11T02:00:00Z")),
        s.next(at("2026-03-10T14:00:00Z"), at("2026-03-10T02:00:00Z")));
    assertEquals(Decision.run(null),
        s.next(at("2026-03-11T02:00:00Z"), at("2026-03-10T02:00:00Z")));
  }

  // 02:00 daily with a four-hour window.

  @Test
  void nightlyWindowIsOpenFromTwoUntilSix() {
    SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
    assertFalse(s.isOpen(at("2026-03-10T01:59:59Z")));
    assertTrue(s.isOpen(at("2026-03-10T02:00:00Z")));
    assertTrue(s.isOpen(at("2026-03-10T05:59:59.999Z")));
    assertFalse(s.isOpen(at("2026-03-10T06:00:00Z")));
    assertFalse(s.isOpen(at("2026-03-10T23:00:00Z")));
    assertEquals(Optional.of(at("2026-03-10T06:00:00Z")), s.windowEnd(at("2026-03-10T02:00:00Z")));
  }

  @Test
  void nightlyWindowNextOpensTheNextDayAtTwo() {
    SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
    assertEquals(at("2026-03-11T02:00:00Z"), s.nextWindowOpen(at("2026-03-10T06:00:00Z")));
    assertEquals(at("2026-03-11T02:00:00Z"), s.nextWindowOpen(at("2026-03-10T03:00:00Z")));
    assertEquals(at("2026-03-10T02:00:00Z"), s.nextWindowOpen(at("2026-03-10T01:00:00Z")));
  }

  @Test
  void closedWindowSleepsUntilItOpens() {
    SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
    assertEquals(Decision.sleepUntil(at("2026-03-11T02:00:00Z")),
        s.next(at("2026-03-10T06:00:00Z"), at("2026-03-10T05:59:10Z")));
    // Never ran, but the window is closed: no cycle at startup.
    assertEquals(Decision.sleepUntil(at("2026-03-11T02:00:00Z")), s.next(null));
  }

  @Test
  void windowOpeningRunsACycleWithTheWindowEndAsDeadline() {
    SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
    assertEquals(Decision.run(at("2026-03-10T06:00:00Z")),
        s.next(at("2026-03-10T02:00:00Z"), at("2026-03-09T05:59:00Z")));
    assertEquals(Decision.run(at("2026-03-10T06:00:00Z")),
        s.next(at("2026-03-10T04:30:00Z"), null));
  }

  @Test
  void openWindowSyncsContinuouslyAtLeastEveryMinute() {
    SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
    assertEquals(Decision.sleepUntil(at("2026-03-10T03:01:00Z")),
        s.next(at("2026-03-10T03:00:20Z"), at("2026-03-10T03:00:05Z")));
    assertEquals(Decision.run(at("2026-03-10T06:00:00Z")),
        s.next(at("2026-03-10T03:01:00Z"), at("2026-03-10T03:00:05Z")));
  }

  @Test
  void pacingThatWouldPassTheWindowEndSleepsUntilTheNextWindow() {
    SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
    assertEquals(Decision.sleepUntil(at("2026-03-11T02:00:00Z")),
        s.next(at("2026-03-10T05:59:30Z"), at("2026-03-10T05:59:10Z")));
  }

  // Windows longer than the cron period.

  @Test
  void overlappingWindowsMergeIntoOne() {
    // Every six hours, seven-hour window: open all the time, each trigger extends the window.
    SyncSchedule s = schedule("0 */6 * * *", Duration.ofHours(7));
    assertTrue(s.isOpen(at("2026-03-10T06:30:00Z")));
    assertTrue(s.isOpen(at("2026-03-10T00:00:00Z")));
    Instant end = s.windowEnd(at("2026-03-10T00:00:00Z")).orElseThrow();
    assertEquals(at("2026-03-10T00:00:00Z").plus(SyncSchedule.MAX_MERGED_WINDOW), end);
  }

  @Test
  void windowsOverlappingOnlyInTheEveningMergeUntilTheLastOneCloses() {
    // 18:00, 19:00 and 20:00 with a 90-minute window: one window 18:00-21:30.
    SyncSchedule s = schedule("0 18-20 * * *", Duration.ofMinutes(90));
    assertEquals(Optional.of(at("2026-03-10T21:30:00Z")), s.windowEnd(at("2026-03-10T18:00:00Z")));
    assertEquals(Optional.of(at("2026-03-10T21:30:00Z")), s.windowEnd(at("2026-03-10T19:00:00Z")));
    assertTrue(s.isOpen(at("2026-03-10T21:29:00Z")));
    assertFalse(s.isOpen(at("2026-03-10T21:30:00Z")));
    assertEquals(Decision.run(at("2026-03-10T21:30:00Z")),
        s.next(at("2026-03-10T18:45:00Z"), null));
    assertEquals(at("2026-03-11T18:00:00Z"), s.nextWindowOpen(at("2026-03-10T18:45:00Z")));
  }

  @Test
  void touchingWindowsMerge() {
    // 00:00 and 12:00 with a twelve-hour window: never closed, no gap at noon.
    SyncSchedule s = schedule("0 0,12 * * *", Duration.ofHours(12));
    assertTrue(s.isOpen(at("2026-03-10T11:59:59Z")));
    assertTrue(s.isOpen(at("2026-03-10T12:00:00Z")));
    assertTrue(s.windowEnd(at("2026-03-10T00:00:00Z")).orElseThrow()
        .isAfter(at("2026-03-11T00:00:00Z")));
  }

  @Test
  void windowShorterThanThePeriodDoesNotMerge() {
    SyncSchedule s = schedule("0 */6 * * *", Duration.ofHours(5));
    assertEquals(Optional.of(at("2026-03-10T11:00:00Z")), s.windowEnd(at("2026-03-10T06:00:00Z")));
    assertFalse(s.isOpen(at("2026-03-10T11:30:00Z")));
    assertEquals(at("2026-03-10T12:00:00Z"), s.nextWindowOpen(at("2026-03-10T11:30:00Z")));
  }

  // UTC, never local time.

  @Test
  void triggersAreInUtcWhateverTheDefaultTimeZone() {
    // On 29 March 2026 Berlin skips 02:00-03:00 local time; in UTC, 02:00 comes as every day.
    TimeZone saved = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
    try {
      SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
      assertEquals(at("2026-03-29T02:00:00Z"), s.nextTrigger(at("2026-03-28T02:00:00Z")));
      assertEquals(at("2026-03-30T02:00:00Z"), s.nextTrigger(at("2026-03-29T02:00:00Z")));
      assertEquals(Optional.of(at("2026-03-29T06:00:00Z")),
          s.windowEnd(at("2026-03-29T02:00:00Z")));
      assertTrue(s.isOpen(at("2026-03-29T05:30:00Z")));
    } finally {
      TimeZone.setDefault(saved);
    }
  }

  // Construction.

  @Test
  void clockGivesNowForTheShortForms() {
    // CLOCK says 12:00 on 10 March.
    SyncSchedule s = schedule("0 2 * * *", Duration.ofHours(4));
    assertFalse(s.isOpen());
    assertEquals(Decision.sleepUntil(at("2026-03-11T02:00:00Z")), s.next(null));
    assertTrue(schedule("0 12 * * *", Duration.ofHours(1)).isOpen());
  }

  @Test
  void builtFromSyncConfig() {
    SyncConfig config = new SyncConfig(List.of("a"), "30 1 * * *", Duration.ofHours(2),
        Duration.ofDays(7), false, TagFilterConfig.ALL, 0);
    SyncSchedule s = SyncSchedule.of(config, CLOCK);
    assertEquals(at("2026-03-11T01:30:00Z"), s.nextTrigger(at("2026-03-10T12:00:00Z")));
    assertEquals(Optional.of(at("2026-03-11T03:30:00Z")), s.windowEnd(at("2026-03-11T01:30:00Z")));
  }

  @Test
  void scheduleThatNeverTriggersIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> schedule("0 0 30 2 *", null));
  }

  @Test
  void emptyOrNegativeWindowIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> schedule("* * * * *", Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> schedule("* * * * *", Duration.ofHours(-1)));
  }
}
