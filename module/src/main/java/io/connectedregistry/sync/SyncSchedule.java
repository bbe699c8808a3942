package io.connectedregistry.sync;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.connectedregistry.config.RegistryConfig.SyncConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * When sync cycles run, from {@code sync.schedule} (five-field UNIX cron, read in UTC) and the
 * optional {@code sync.window}.
 *
 * <ul>
 *   <li>Without a window, sync is always allowed and each trigger asks for one cycle. A trigger
 *       that fires while a cycle runs is not lost: the next cycle starts as soon as that one ends,
 *       because the running cycle may have listed the parent's tags before the trigger. The
 *       default {@code * * * * *} therefore means continuous sync, a cycle at least every minute.
 *   <li>With a window, each trigger opens the window [trigger, trigger + window). While it is
 *       open, sync is continuous as with the default schedule. A transfer still running when the
 *       window closes stops at a safe point (the {@link Decision#deadline()}) and resumes in the
 *       next window. Windows that overlap or touch (a window longer than the cron period) are one
 *       window.
 * </ul>
 *
 * <p>Pure logic: the scheduler asks {@link #next} and sets its own timer.
 */
public final class SyncSchedule {
  /**
   * Merging windows stops this far from the trigger, so that a schedule which never closes (every
   * minute with a one-hour window) still has a deadline; the next cycle starts right after it.
   */
  static final Duration MAX_MERGED_WINDOW = Duration.ofDays(31);

  private static final CronParser UNIX_CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final ExecutionTime triggers;
  private final Duration window;
  private final Clock clock;

  /**
   * What the scheduler does now.
   *
   * @param runNow start a cycle now
   * @param wakeAt when not running now, ask again at this instant; null when running now
   * @param deadline when running now inside a window, stop transfers at a safe point at this
   *     instant; null without a window
   */
  public record Decision(boolean runNow, Instant wakeAt, Instant deadline) {
    static Decision run(Instant deadline) {
      return new Decision(true, null, deadline);
    }

    static Decision sleepUntil(Instant wakeAt) {
      return new Decision(false, wakeAt, null);
    }
  }

  /**
   * @param cron five-field UNIX cron expression
   * @param window how long each trigger lets sync run; null = no window
   */
  public SyncSchedule(String cron, Duration window, Clock clock) {
    if (window != null && (window.isZero() || window.isNegative())) {
      throw new IllegalArgumentException("sync window must be positive: " + window);
    }
    this.triggers = ExecutionTime.forCron(UNIX_CRON.parse(cron).validate());
    this.window = window;
    this.clock = clock;
    // Validation accepts dates that never come, such as 30 February; fail here, not in the loop.
    if (triggers.nextExecution(utc(clock.instant())).isEmpty()) {
      throw new IllegalArgumentException("sync schedule '" + cron + "' never triggers");
    }
  }

  public static SyncSchedule of(SyncConfig config, Clock clock) {
    return new SyncSchedule(config.schedule(), config.window(), clock);
  }

  /** The first trigger strictly after {@code after}. */
  public Instant nextTrigger(Instant after) {
    return triggers.nextExecution(utc(after)).orElseThrow().toInstant();
  }

  /**
   * When the window opened by {@code trigger} closes, after merging the windows of the triggers
   * that fire before it closes; empty without a window.
   */
  public Optional<Instant> windowEnd(Instant trigger) {
    if (window == null) {
      return Optional.empty();
    }
    Instant limit = trigger.plus(MAX_MERGED_WINDOW);
    Instant end = trigger.plus(window);
    while (end.isBefore(limit)) {
      // A trigger exactly at the end reopens the window at once, so it merges as well.
      Instant extended = latestTrigger(end).plus(window);
      if (!extended.isAfter(end)) {
        return Optional.of(end);
      }
      end = extended;
    }
    return Optional.of(limit);
  }

  /** Whether sync may transfer at {@code now}; always true without a window. */
  public boolean isOpen(Instant now) {
    // Every window has the same length, so the latest trigger's window reaches furthest.
    return window == null || now.isBefore(latestTrigger(now).plus(window));
  }

  public boolean isOpen() {
    return isOpen(clock.instant());
  }

  /**
   * For status: when the next window opens. Inside a window, the opening after this window closes;
   * without a window, the next trigger.
   */
  public Instant nextWindowOpen(Instant now) {
    if (window != null && isOpen(now)) {
      return nextTrigger(windowEnd(latestTrigger(now)).orElseThrow());
    }
    return nextTrigger(now);
  }

  /**
   * Whether to start a cycle at {@code now}.
   *
   * @param lastCycleStart when the last cycle started; null = none since the process started, in
   *     which case a cycle runs at once if sync is allowed
   */
  public Decision next(Instant now, Instant lastCycleStart) {
    if (window == null) {
      if (lastCycleStart == null) {
        return Decision.run(null);
      }
      Instant due = nextTrigger(lastCycleStart);
      return due.isAfter(now) ? Decision.sleepUntil(due) : Decision.run(null);
    }
    if (!isOpen(now)) {
      return Decision.sleepUntil(nextTrigger(now));
    }
    Instant deadline = windowEnd(latestTrigger(now)).orElseThrow();
    // Inside a window sync is continuous: a cycle at least every minute, as `* * * * *`.
    if (lastCycleStart == null || lastCycleStart.isBefore(now.truncatedTo(ChronoUnit.MINUTES))) {
      return Decision.run(deadline);
    }
    Instant nextMinute = lastCycleStart.truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
    return nextMinute.isBefore(deadline)
        ? Decision.sleepUntil(nextMinute)
        : Decision.sleepUntil(nextTrigger(deadline));
  }

  public Decision next(Instant lastCycleStart) {
    return next(clock.instant(), lastCycleStart);
  }

  /** The latest trigger at or before {@code now}. */
  private Instant latestTrigger(Instant now) {
    // cron-utils' lastExecution is strictly before its argument; a trigger at `now` counts here.
    Instant candidate = triggers.nextExecution(utc(now.minusNanos(1))).orElseThrow().toInstant();
    if (!candidate.isAfter(now)) {
      return candidate;
    }
    return triggers.lastExecution(utc(now)).orElseThrow().toInstant();
  }

  private static ZonedDateTime utc(Instant instant) {
    return instant.atZone(ZoneOffset.UTC);
  }
}
