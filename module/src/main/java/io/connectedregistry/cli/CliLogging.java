package io.connectedregistry.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * The commands print JSON (or a table) on stdout for scripts to read, so their log lines (a schema
 * upgrade the first time a command opens an older {@code auth.db}) go to stderr. The server keeps
 * logging to stdout.
 */
final class CliLogging {

  private CliLogging() {}

  static void toStderr() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Appender<ILoggingEvent> appender =
        context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
    if (appender instanceof ConsoleAppender<ILoggingEvent> console
        && !"System.err".equals(console.getTarget())) {
      console.stop();
      console.setTarget("System.err");
      console.start();
    }
  }
}
