package io.connectedregistry;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/**
 * The registry's log line, {@code 2025-01-31T12:00:00.000Z INFO  RegistryApplication message |
 * java.io.IOException: x | at a.B.c(B.java:1)}: what the registry's logback pattern (kept in
 * {@code OneLineLayoutTest.PATTERN}) gave through logback's {@code PatternLayout}, written directly. The pattern's parser, its converters and the
 * lambdas of their registry were ~150 classes loaded at every start for this one line
 * (bench/README.md, issue #13); {@code OneLineLayoutTest} holds the two to the same bytes.
 */
final class OneLineLayout extends LayoutBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern TRAILING_SPACE = Pattern.compile("\\s+$");
  /** The start of a trace (it follows the message) and each line break: one line, parts split by " | ". */
  private static final Pattern SEPARATORS = Pattern.compile("^(?=.)|[\\r\\n]+\\s*");

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(128);
    TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), line);
    line.append(' ');
    String level = event.getLevel().toString();
    line.append(level);
    for (int pad = level.length(); pad < 5; pad++) {
      line.append(' ');
    }
    line.append(' ');
    String logger = event.getLoggerName();
    line.append(logger, logger.lastIndexOf('.') + 1, logger.length());
    line.append(' ').append(event.getFormattedMessage());
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      // A collector that splits on newlines must never separate an exception from its event.
      String trace = TRAILING_SPACE.matcher(ThrowableProxyUtil.asString(thrown)).replaceAll("");
      line.append(SEPARATORS.matcher(trace).replaceAll(" | "));
    }
    return line.append(CoreConstants.LINE_SEPARATOR).toString();
  }
}
