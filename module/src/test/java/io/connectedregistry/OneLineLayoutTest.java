package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link OneLineLayout} writes the same bytes as logback's {@code PatternLayout} did with the
 * pattern the registry used until it, for every level, logger name and kind of exception.
 */
class OneLineLayoutTest {
  /** The registry's log line in logback's pattern language (LogConfiguration, until issue #13's ninth session). */
  static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z', UTC} %-5level %logger{0} %msg"
      + "%replace(%replace(%ex){'\\s+$', ''}){'^(?=.)|[\\r\\n]+\\s*', ' | '}%nopex%n";

  private final LoggerContext context = new LoggerContext();

  @Test
  void theSameLinesAsTheRegistrysPatternLayout() {
    PatternLayout reference = new PatternLayout();
    reference.setContext(context);
    reference.setPattern(PATTERN);
    reference.start();
    OneLineLayout layout = new OneLineLayout();
    layout.setContext(context);
    layout.start();

    List<ILoggingEvent> events = events();
    for (ILoggingEvent event : events) {
      assertEquals(reference.doLayout(event), layout.doLayout(event), event.getFormattedMessage());
    }
    String withCause = layout.doLayout(events.get(events.size() - 1));
    assertTrue(withCause.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ERROR RegistryApplication "
        + "stopped \\| java\\.io\\.UncheckedIOException: java\\.io\\.IOException: disk full \\| at .* \\| Caused by: java\\.io\\.IOException: "
        + "disk full \\| .*\\R"), withCause);
    assertEquals(1, withCause.lines().count(), "one line: " + withCause);
  }

  private List<ILoggingEvent> events() {
    List<ILoggingEvent> events = new ArrayList<>();
    long[] times = {0L, 1_733_000_000_123L, 1_733_000_000_000L, 4_102_444_799_999L};
    int t = 0;
    for (Level level : List.of(Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR)) {
      for (String name : List.of("io.connectedregistry.RegistryApplication", "Main", "io.vertx.core.impl.")) {
        LoggingEvent event = new LoggingEvent(Logger.class.getName(), context.getLogger(name), level,
            "pushed {} of {} bytes", null, new Object[] {"sha256:ab", 42});
        event.setTimeStamp(times[t++ % times.length]);
        events.add(event);
      }
    }
    Logger logger = context.getLogger("io.connectedregistry.sync.SyncCycle");
    IllegalStateException withSuppressed = new IllegalStateException("parent said 503\n  retry later\r\n");
    withSuppressed.addSuppressed(new IOException("close failed"));
    events.add(new LoggingEvent("x", logger, Level.WARN, "cycle failed", withSuppressed, null));
    events.add(new LoggingEvent("x", logger, Level.WARN, "no message", new NullPointerException(), null));
    events.add(new LoggingEvent("x", logger, Level.INFO, "", null, null));
    events.add(new LoggingEvent("x", logger, Level.INFO, "a message\nover two lines", null, null));
    events.add(new LoggingEvent("x", context.getLogger("io.connectedregistry.RegistryApplication"), Level.ERROR,
        "stopped", new UncheckedIOException(new IOException("disk full")), null));
    return events;
  }
}
