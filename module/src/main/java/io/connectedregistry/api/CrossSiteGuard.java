package io.connectedregistry.api;

import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Keeps the web pages of a browser on this machine from using the registry. Registry clients
 * (docker, podman, skopeo, containerd, sync) send no {@code Origin} and name the registry in
 * {@code Host}; a page differs in one of the two.
 *
 * <ul>
 *   <li>On a loopback listen address, where anonymous callers may do everything, the {@code Host}
 *       must be a loopback name ({@code localhost}, {@code 127.x.x.x}, {@code [::1]}, any port). A
 *       page reaching the registry through DNS rebinding names its own domain there. Elsewhere the
 *       registry may have any name, so Host is left alone.
 *   <li>Everywhere, a write (anything but GET, HEAD, OPTIONS) whose {@code Origin} is not the
 *       registry itself is refused: a cross-site form POST cannot read the answer, but it would
 *       still act, with whatever credentials the browser holds for the registry. Reads are not
 *       refused: without CORS headers a page cannot read them.
 * </ul>
 *
 * Both answer 403 DENIED: a code of the spec's table, which clients report as is. (421 Misdirected
 * Request would also fit a foreign Host, but HTTP clients treat it as "retry on a new connection".)
 */
final class CrossSiteGuard {
  private static final Pattern IPV4_LOOPBACK = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

  private final boolean loopbackListener;
  /** The last Host found to be loopback: clients send the same one on every request, so most skip the parsing. */
  private volatile String lastLoopbackHost;

  CrossSiteGuard(boolean loopbackListener) {
    this.loopbackListener = loopbackListener;
  }

  void handle(RoutingContext ctx) {
    String host = host(ctx.request());
    if (loopbackListener && host != null && !host.equals(lastLoopbackHost)) {
      if (isLoopbackHost(host)) {
        lastLoopbackHost = host;
      } else {
        ctx.fail(ErrorCode.DENIED.exception("this registry listens on loopback and answers only requests "
            + "addressed to localhost, 127.0.0.1 or [::1], not to '" + abbreviate(host) + "'"));
        return;
      }
    }
    String origin = ctx.request().getHeader("Origin");
    if (origin != null && isWrite(ctx.request().method()) && !isSameOrigin(origin, host, ctx.request().isSSL())) {
      ctx.fail(ErrorCode.DENIED.exception("a write from the web page at '" + abbreviate(origin)
          + "' is refused; registry clients send no Origin"));
      return;
    }
    ctx.next();
  }

  /** The Host header, or HTTP/2's :authority. */
  private static String host(HttpServerRequest request) {
    String host = request.getHeader("Host");
    if (host != null) {
      return host; // without asking for the authority, which Vert.x Web computes from forwarding headers
    }
    HostAndPort authority = request.authority();
    if (authority == null) {
      return null;
    }
    return authority.host() + (authority.port() >= 0 ? ":" + authority.port() : "");
  }

  private static boolean isWrite(HttpMethod method) {
    return method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.OPTIONS;
  }

  /** {@code localhost}, {@code 127.x.x.x} or {@code [::1]}, with or without a port. */
  static boolean isLoopbackHost(String hostHeader) {
    String host = hostOf(hostHeader.trim());
    if (host == null) {
      return false;
    }
    return host.equalsIgnoreCase("localhost") || host.equals("[::1]")
        || (IPV4_LOOPBACK.matcher(host).matches() && octetsInRange(host));
  }

  /**
   * Whether {@code origin} ({@code scheme://host[:port]}, or {@code null} from sandboxed and file
   * pages) names the same host and port as the request's {@code Host} header.
   */
  static boolean isSameOrigin(String origin, String hostHeader, boolean tls) {
    if (hostHeader == null) {
      return false;
    }
    URI uri;
    try {
      uri = new URI(origin.trim());
    } catch (URISyntaxException e) {
      return false;
    }
    String scheme = uri.getScheme();
    if (uri.getHost() == null || scheme == null || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
      return false;
    }
    int originPort = uri.getPort() >= 0 ? uri.getPort() : defaultPort(scheme);
    String host = hostOf(hostHeader.trim());
    if (host == null || originPort < 0) {
      return false;
    }
    int hostPort = portOf(hostHeader.trim(), tls ? 443 : 80);
    return host.equalsIgnoreCase(uri.getHost()) && hostPort == originPort;
  }

  /** The host part of a Host header (IPv6 literals keep their brackets), or null when malformed. */
  private static String hostOf(String hostHeader) {
    if (hostHeader.startsWith("[")) {
      int close = hostHeader.indexOf(']');
      if (close < 0 || (close + 1 < hostHeader.length() && hostHeader.charAt(close + 1) != ':')) {
        return null;
      }
      return hostHeader.substring(0, close + 1);
    }
    int colon = hostHeader.indexOf(':');
    if (colon >= 0 && hostHeader.indexOf(':', colon + 1) >= 0) {
      return null; // an IPv6 literal without brackets is not a Host
    }
    return colon < 0 ? hostHeader : hostHeader.substring(0, colon);
  }

  private static int portOf(String hostHeader, int defaultPort) {
    int close = hostHeader.startsWith("[") ? hostHeader.indexOf(']') : -1;
    int colon = hostHeader.indexOf(':', close + 1);
    if (colon < 0 || colon == hostHeader.length() - 1) {
      return defaultPort;
    }
    try {
      return Integer.parseInt(hostHeader.substring(colon + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int defaultPort(String scheme) {
    return switch (scheme.toLowerCase(Locale.ROOT)) {
      case "http" -> 80;
      case "https" -> 443;
      default -> -1;
    };
  }

  private static boolean octetsInRange(String ipv4) {
    for (String octet : ipv4.split("\\.")) {
      if (Integer.parseInt(octet) > 255) {
        return false;
      }
    }
    return true;
  }

  private static String abbreviate(String value) {
    return value.length() > 100 ? value.substring(0, 100) + "..." : value;
  }
}
