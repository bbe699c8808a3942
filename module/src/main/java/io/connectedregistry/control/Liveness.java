package io.connectedregistry.control;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.connectedregistry.control.ConnectedRegistryDefinition.Reported;
import io.connectedregistry.status.ConnectionState;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * Whether a connected registry has been heard from recently enough. An instance reports at least
 * every minute and after each sync cycle, so one silent for three of its schedule's intervals (at
 * least a minute each), plus its window, is shown {@code Offline} whatever it said last.
 *
 * <p>{@code CONNECTED_REGISTRY_OFFLINE_AFTER} (an ISO-8601 duration, in the root's environment)
 * replaces that threshold: a test knob, so a test need not wait three minutes.
 */
final class Liveness {

  static final String OFFLINE_AFTER_VARIABLE = "CONNECTED_REGISTRY_OFFLINE_AFTER";
  private static final CronParser CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private Liveness() {}

  static ConnectedRegistryDefinition apply(ConnectedRegistryDefinition d, Instant now) {
    Reported r = d.reported();
    if (r.connectionState() == ConnectionState.Offline) {
      return d;
    }
    if (r.lastActivityTime() == null
        || Duration.between(r.lastActivityTime(), now).compareTo(threshold(d)) > 0) {
      return d.withReported(r.withConnectionState(ConnectionState.Offline));
    }
    return d;
  }

  static Duration threshold(ConnectedRegistryDefinition d) {
    String knob = System.getenv(OFFLINE_AFTER_VARIABLE);
    if (knob != null && !knob.isBlank()) {
      try {
        return Duration.parse(knob.strip());
      } catch (RuntimeException e) {
        // a bad knob falls back to the rule
      }
    }
    Duration interval = Duration.ofMinutes(1);
    try {
      ExecutionTime times = ExecutionTime.forCron(CRON.parse(d.sync().schedule()));
      ZonedDateTime from = ZonedDateTime.now(ZoneOffset.UTC);
      Optional<ZonedDateTime> first = times.nextExecution(from);
      Optional<ZonedDateTime> second = first.flatMap(times::nextExecution);
      if (first.isPresent() && second.isPresent()) {
        Duration between = Duration.between(first.get(), second.get());
        if (between.compareTo(interval) > 0) {
          interval = between;
        }
      }
    } catch (RuntimeException e) {
      // a schedule that does not parse was refused at creation; keep the minute
    }
    Duration out = interval.multipliedBy(3);
    return d.sync().window() == null ? out : out.plus(d.sync().window());
  }
}
