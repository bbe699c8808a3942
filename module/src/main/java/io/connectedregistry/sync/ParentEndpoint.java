package io.connectedregistry.sync;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where the parent registry is and how to reach it. The {@code config} package builds one of these
 * from {@code parent.endpoint} and the sync token; this package never reads configuration itself.
 *
 * @param scheme {@code http} or {@code https}
 * @param username null for anonymous access
 * @param password null for anonymous access; never logged ({@link #toString()} hides it)
 * @param caBundle PEM file of the CAs to trust for https; null = the JDK's default trust store
 * @param connectTimeout how long to wait for a TCP (and TLS) connection
 * @param idleTimeout how long a request or response may go without a byte before it is failed
 * @param tokenRealms token services other than the parent itself that may receive the credentials
 *     when a Bearer challenge names them, as lowercase {@code host:port}, https only
 *     ({@code parent.tokenRealms}); never null
 */
public record ParentEndpoint(
    String scheme,
    String host,
    int port,
    String username,
    String password,
    Path caBundle,
    Duration connectTimeout,
    Duration idleTimeout,
    List<String> tokenRealms) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  public ParentEndpoint {
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException("parent scheme must be http or https, not " + scheme);
    }
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("parent port out of range: " + port);
    }
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("parent username and password go together");
    }
    connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
    idleTimeout = idleTimeout == null ? DEFAULT_IDLE_TIMEOUT : idleTimeout;
    tokenRealms = tokenRealms == null ? List.of()
        : tokenRealms.stream().map(r -> r.toLowerCase(Locale.ROOT)).toList();
  }

  /** Anonymous, default timeouts, JDK trust: {@code http://127.0.0.1:5000}. */
  public static ParentEndpoint of(String url) {
    URI uri = URI.create(url);
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    return new ParentEndpoint(uri.getScheme(), uri.getHost(), port, null, null, null, null, null, null);
  }

  public ParentEndpoint withCredentials(String username, String password) {
    return new ParentEndpoint(scheme, host, port, username, password, caBundle, connectTimeout, idleTimeout, tokenRealms);
  }

  public ParentEndpoint withCaBundle(Path caBundle) {
    return new ParentEndpoint(scheme, host, port, username, password, caBundle, connectTimeout, idleTimeout, tokenRealms);
  }

  public ParentEndpoint withTimeouts(Duration connectTimeout, Duration idleTimeout) {
    return new ParentEndpoint(scheme, host, port, username, password, caBundle, connectTimeout, idleTimeout, tokenRealms);
  }

  public ParentEndpoint withTokenRealms(List<String> tokenRealms) {
    return new ParentEndpoint(scheme, host, port, username, password, caBundle, connectTimeout, idleTimeout, tokenRealms);
  }

  /**
   * Whether the sync credentials may go to the Bearer token service at {@code realm}: the parent
   * itself (same scheme, host and port), or a host of {@code parent.tokenRealms} over https. Any
   * other realm is named by whoever answered the challenge, possibly not the parent at all (a
   * proxy, a spoofed answer over http), and must not learn the sync token.
   */
  public boolean mayReceiveCredentials(URI realm) {
    String scheme = realm.getScheme() == null ? null : realm.getScheme().toLowerCase(Locale.ROOT);
    if (realm.getHost() == null || scheme == null) {
      return false;
    }
    String authority = authorityOf(realm);
    if (scheme.equals(this.scheme) && isParent(realm)) {
      return true;
    }
    return "https".equals(scheme) && tokenRealms.contains(authority);
  }

  /** Whether {@code url} is on this parent's host and port (any scheme). */
  public boolean isParent(URI url) {
    return authority().equalsIgnoreCase(authorityOf(url));
  }

  /** {@code host:port} of a URL, lowercase, the port made explicit: how URLs are compared with the parent's. */
  static String authorityOf(URI uri) {
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    String host = uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
    return (host != null && host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
  }

  public boolean tls() {
    return "https".equals(scheme);
  }

  public boolean hasCredentials() {
    return username != null;
  }

  /** {@code scheme://host:port}, without credentials. */
  public String baseUrl() {
    return scheme + "://" + authority();
  }

  /** {@code host:port}, the way URLs and redirects name this parent. */
  public String authority() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return baseUrl() + (username == null ? "" : " as " + username);
  }
}
