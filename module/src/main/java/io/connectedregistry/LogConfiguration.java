package io.connectedregistry;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import io.connectedregistry.config.RegistryConfig.LogLevel;

/**
 * Logging set up in code (found by logback through {@code META-INF/services}) rather than from
 * {@code logback.xml}: parsing the XML configuration cost about 0.3 s of every start.
 *
 * <p>One line per event on stdout, for {@code docker logs}, journald and IoT Edge log upload alike:
 * {@code 2025-01-31T12:00:00.000Z INFO  RegistryApplication listening on 127.0.0.1:5000}.
 * Timestamps are UTC so lines from registries in different time zones sort together; no colours;
 * a stack trace is folded onto its event's line ({@code ... | at a.B.c(B.java:1) | ...}) so a
 * collector that splits on newlines never separates an exception from its message ({@link
 * OneLineLayout}). The root
 * level is set at runtime from {@code logLevel} (see {@link Main}); framework internals stay at
 * WARN, so Debug means "our debug", not thousands of lines of Netty. No logback shutdown hook: it
 * would race the registry's own, which still logs while it drains.
 */
public final class LogConfiguration extends ContextAwareBase implements Configurator {
  static final String IOT_SDK = "com.microsoft.azure.sdk.iot";
  static final String IOT_SDK_WORKLOAD = "com.microsoft.azure.sdk.iot.device.hsm";

  /** Sets the root level from {@code logLevel}; safe at any time (logback reads it per event). */
  static void setLevel(LogLevel level) {
    Level logback =
        switch (level) {
          case Debug -> Level.DEBUG;
          case Information -> Level.INFO;
          case Warning -> Level.WARN;
          case Error -> Level.ERROR;
          case None -> Level.OFF;
        };
    ((Logger) org.slf4j.LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(logback);
    // The IoT SDK logs every reconnect attempt at INFO: WARN unless Debug was asked for. Its
    // workload API client logs the signed tokens at DEBUG, so that package never goes below INFO.
    Level sdk = logback.isGreaterOrEqual(Level.WARN) ? logback : level == LogLevel.Debug ? Level.DEBUG : Level.WARN;
    ((Logger) org.slf4j.LoggerFactory.getLogger(IOT_SDK)).setLevel(sdk);
    ((Logger) org.slf4j.LoggerFactory.getLogger(IOT_SDK_WORKLOAD))
        .setLevel(sdk.isGreaterOrEqual(Level.INFO) ? sdk : Level.INFO);
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    OneLineLayout layout = new OneLineLayout();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stdout = new ConsoleAppender<>();
    stdout.setContext(context);
    stdout.setName("STDOUT");
    stdout.setEncoder(encoder);
    stdout.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stdout);
    for (String framework : new String[] {"io.netty", "io.vertx", "org.sqlite", "io.github.resilience4j",
        "com.nimbusds", "com.cronutils", "org.semver4j", IOT_SDK}) {
      context.getLogger(framework).setLevel(Level.WARN);
    }
    context.getLogger(IOT_SDK_WORKLOAD).setLevel(Level.WARN);
    // Vert.x registers its connection gauge once per HTTP server instance (one per core, all on one
    // port, sharing one counter): Micrometer's warning about the second registration is expected.
    context.getLogger("io.micrometer.core.instrument.MeterRegistry").setLevel(Level.ERROR);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
