package io.connectedregistry.config;

import java.util.regex.Pattern;

/**
 * An address clients are told to use, {@code HOST[:PORT]}: a DNS name, an IPv4 address or a
 * bracketed IPv6 address, without scheme or path. Used for {@code loginServer} and for the parent
 * endpoint of a connection string. A wildcard listen address (0.0.0.0, [::]) is refused: it says
 * nothing to a client on another machine.
 */
public final class HostPort {

  private static final String LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  private static final Pattern HOST = Pattern.compile(LABEL + "(?:\\." + LABEL + ")*");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]+\\]");

  private HostPort() {}

  /**
   * @return {@code raw} as written
   * @throws ConfigException naming {@code key} and the value
   */
  public static String check(String key, String raw) {
    if (raw == null || raw.isBlank()) {
      throw new ConfigException(key + ": must not be empty");
    }
    if (raw.contains("/") || raw.contains("@")) {
      throw invalid(key, raw); // a URL, a path or credentials
    }
    String host = raw;
    String port = null;
    int close = raw.lastIndexOf(']');
    int colon = raw.lastIndexOf(':');
    if (raw.startsWith("[")) {
      if (close < 0) {
        throw invalid(key, raw);
      }
      host = raw.substring(0, close + 1);
      if (close + 1 < raw.length()) {
        if (raw.charAt(close + 1) != ':') {
          throw invalid(key, raw);
        }
        port = raw.substring(close + 2);
      }
      if (!IPV6.matcher(host).matches()) {
        throw invalid(key, raw);
      }
    } else {
      if (colon >= 0) {
        host = raw.substring(0, colon);
        port = raw.substring(colon + 1);
      }
      if (!HOST.matcher(host).matches() || host.length() > 253) {
        throw invalid(key, raw);
      }
    }
    if (host.equals("0.0.0.0") || host.equals("[::]") || host.equals("[0:0:0:0:0:0:0:0]")) {
      throw new ConfigException(key + ": '" + raw + "' is a wildcard listen address; give the"
          + " name or address clients reach this registry at");
    }
    if (port != null) {
      if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
        throw new ConfigException(key + ": '" + raw + "' has port '" + port
            + "'; the port must be 1..65535");
      }
    }
    return raw;
  }

  private static ConfigException invalid(String key, String raw) {
    return new ConfigException(key + ": '" + raw + "' is not HOST[:PORT] (e.g."
        + " registry.example.com, 10.0.0.5:5000 or [fd00::5]:5000; no scheme, no path)");
  }
}
