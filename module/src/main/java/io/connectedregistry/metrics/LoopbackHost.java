package io.connectedregistry.metrics;

import io.vertx.core.net.HostAndPort;

/** Whether a request's {@code Host} names this machine: what a loopback listener answers. */
final class LoopbackHost {
  private LoopbackHost() {}

  static boolean named(HostAndPort authority) {
    if (authority == null) {
      return false;
    }
    String host = authority.host();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host.equalsIgnoreCase("localhost") || host.equals("::1") || host.equals("0:0:0:0:0:0:0:1")
        || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}
