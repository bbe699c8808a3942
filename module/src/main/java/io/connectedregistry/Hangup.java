package io.connectedregistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGHUP rereads the configuration file, as daemons do. {@code sun.misc.Signal} lives in the
 * {@code jdk.unsupported} module, which every JDK and JRE ships and exports for exactly this use;
 * without a handler the JVM would treat SIGHUP as a request to stop.
 */
final class Hangup {
  private static final Logger LOG = LoggerFactory.getLogger(Hangup.class);

  private Hangup() {}

  static void onSignal(Runnable reload) {
    try {
      // The JVM runs each signal's handler on a thread of its own: blocking briefly there (the
      // file read) delays nothing else.
      Signal.handle(new Signal("HUP"), signal -> {
        LOG.info("SIGHUP: rereading the configuration file");
        reload.run();
      });
    } catch (IllegalArgumentException e) {
      // No SIGHUP on this platform (Windows), or the JVM was started with -Xrs.
      LOG.info("SIGHUP not available ({}); use PUT /_connected/v1/config to change configuration",
          e.getMessage());
    }
  }
}
