package io.connectedregistry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The one immutable configuration of a registry, after layering defaults &lt; file &lt; environment
 * &lt; command line (and, later, the module twin). Built and validated by {@link ConfigLoader};
 * every other package only reads it.
 */
/*
 * loginServer: HOST[:PORT] clients and children reach this registry at (it may listen on 0.0.0.0,
 * which says nothing); the default parent endpoint of its connected registries' connection
 * strings. Null = not set.
 *
 * configWatchInterval: how often the configuration file (by its real path, through symlinks) is
 * read to see whether its content changed, which then applies as SIGHUP does; what a ConfigMap
 * mounted in Kubernetes needs, since nothing sends a signal there. Zero = not watched (SIGHUP
 * still works). Unused without a configuration file.
 */
public record RegistryConfig(
    ListenAddress listen,
    Path data,
    Mode mode,
    ParentConfig parent,
    SyncConfig sync,
    LogLevel logLevel,
    TlsConfig tls,
    StorageConfig storage,
    AuthConfig auth,
    HttpConfig http,
    String loginServer,
    Duration configWatchInterval, MetricsConfig metrics) {

  public enum Mode { ReadOnly, ReadWrite }

  public enum LogLevel { Debug, Information, Warning, Error, None }

  public record ListenAddress(String host, int port) {
    /** Only a literal loopback address or "localhost": nothing else is reachable from this host alone. */
    public boolean isLoopback() {
      String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
      return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
          || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /**
   * Absent (null) for a root registry.
   *
   * @param endpoint HOST[:PORT] or an http(s) URL
   * @param protocol http or https (the URL's scheme when the endpoint is a URL)
   * @param username the sync token's name; null for an anonymous parent
   * @param password the sync token's password; never logged ({@link #toString()} hides it)
   * @param caBundle PEM CAs to trust for an https parent; null = the JDK's trust store
   * @param registryName this connected registry's name (from the connection string), or null
   * @param tokenRealms token services other than the parent's own host:port that may receive the
   *     sync token's credentials when a Bearer challenge names them, as {@code host:port} (https
   *     only; Docker Hub's token service lives on another host). Never null
   */
  public record ParentConfig(String endpoint, String protocol, String username, String password,
      Path caBundle, String registryName, List<String> tokenRealms) {

    public ParentConfig {
      tokenRealms = tokenRealms == null ? List.of() : List.copyOf(tokenRealms);
    }

    public ParentConfig(String endpoint, String protocol, String username, String password,
        Path caBundle, String registryName) {
      this(endpoint, protocol, username, password, caBundle, registryName, List.of());
    }

    public ParentConfig(String endpoint, String protocol) {
      this(endpoint, protocol, null, null, null, null, List.of());
    }

    @Override
    public String toString() {
      return "ParentConfig[endpoint=" + endpoint + ", protocol=" + protocol + ", username="
          + username + ", password=" + (password == null ? "none" : "***") + ", caBundle="
          + caBundle + ", registryName=" + registryName + ", tokenRealms=" + tokenRealms + "]";
    }
  }

  /**
   * @param tags which of a repository's tags are synchronised
   * @param bandwidth bytes per second for sync transfers; 0 = unlimited
   */
  public record SyncConfig(
      List<String> repositories,
      String schedule,
      Duration window,
      Duration messageTtl,
      boolean onDemand,
      TagFilterConfig tags,
      long bandwidth) {}

  /**
   * All optional (null): a tag is synchronised when it matches {@code include} (whole tag), does
   * not match {@code exclude}, and, with {@code semver}, is a version in that range.
   */
  public record TagFilterConfig(String include, String exclude, String semver) {
    public static final TagFilterConfig ALL = new TagFilterConfig(null, null, null);
  }

  /**
   * Absent (null) means plain HTTP.
   *
   * @param certificate PEM certificate chain served to clients
   * @param key PEM private key of that certificate
   * @param clientCa PEM CA bundle; when set, clients must present a certificate it signed. Null =
   *     no client certificates asked for
   */
  public record TlsConfig(Path certificate, Path key, Path clientCa) {}

  /**
   * @param uploadExpiry an upload untouched this long is deleted (default 24 h)
   * @param gcInterval how often the garbage collector runs inside the server; null = never
   * @param gcGrace blobs and links younger than this are never collected, so an image being pushed
   *     (layers first, manifest last) is safe
   * @param minFreeBytes below this much free space on the data folder's file system new uploads
   *     are refused and sync pauses; pulls go on
   * @param uploadMaxAge an upload older than this is deleted however recently it grew, so a
   *     trickling upload cannot hold space (and garbage collection) for ever
   * @param gcEnabled false = the garbage collector never runs inside the server on its own,
   *     whatever {@code gcSchedule} and {@code gcInterval} say (it still runs when asked: the
   *     {@code gc} command, the module's {@code garbageCollect} method). A parent's definition
   *     sets it ({@code garbageCollection.enabled})
   * @param gcSchedule when the garbage collector runs inside the server, a five-field UNIX cron
   *     read in UTC; when set it wins over {@code gcInterval}; null = not set (then
   *     {@code gcInterval} decides). A parent's definition sets it
   *     ({@code garbageCollection.schedule})
   */
  public record StorageConfig(Duration uploadExpiry, Duration gcInterval, Duration gcGrace,
      long minFreeBytes, Duration uploadMaxAge, boolean gcEnabled, String gcSchedule) {

    /** Garbage collection on, on {@code gcInterval} alone (no cron schedule). */
    public StorageConfig(Duration uploadExpiry, Duration gcInterval, Duration gcGrace,
        long minFreeBytes, Duration uploadMaxAge) {
      this(uploadExpiry, gcInterval, gcGrace, minFreeBytes, uploadMaxAge, true, null);
    }
  }

  /**
   * Limits of the HTTP server, sized for small devices by default.
   *
   * @param maxConnections open connections at most; more are closed at once. An open connection
   *     costs about 8 KiB of heap (15 KiB with TLS): 256 of them fit a 24 MiB heap
   * @param headerTimeout time a new connection has to deliver its first request's headers (on a
   *     kept-alive connection the idle timeout bounds the next request's headers); also the TLS
   *     handshake timeout
   * @param idleTimeout an authenticated connection with no traffic this long is closed (also
   *     within a request: no byte either way)
   * @param unauthenticatedIdleTimeout a connection none of whose requests carried valid
   *     credentials is closed after this long without a request; a body such a client sends into
   *     memory (a token form) must arrive within it
   * @param maxBodyMemory bytes of request bodies held in memory at once, all requests together
   *     (manifests, token and admin requests), counted as bytes arrive (a manifest's six times,
   *     for what parsing it costs); over it a request is answered 503 with Retry-After, and a
   *     manifest larger than a sixth of it 413. 0 = a third of the heap, at least 4 MiB
   * @param trustedProxies addresses or CIDR ranges of reverse proxies whose
   *     {@code X-Forwarded-For} is believed (the IoT Edge API proxy); empty = none
   */
  public record HttpConfig(int maxConnections, Duration headerTimeout, Duration idleTimeout,
      Duration unauthenticatedIdleTimeout, long maxBodyMemory, List<String> trustedProxies) {

    public static final HttpConfig DEFAULTS = new HttpConfig(256, Duration.ofSeconds(10),
        Duration.ofSeconds(60), Duration.ofSeconds(10), 0, List.of());

    public HttpConfig {
      trustedProxies = List.copyOf(trustedProxies);
    }
  }

  /**
   * @param enabled serve {@code /metrics} (Prometheus text format): on the main listener to admin
   *     tokens, and on {@code listen} when set; false = no {@code /metrics} anywhere and nothing
   *     measured
   * @param listen a second listener that serves only {@code /metrics}, without credentials (meant
   *     for a loopback or cluster-internal address); null = none
   */
  public record MetricsConfig(boolean enabled, ListenAddress listen) {
    public static final MetricsConfig DEFAULTS = new MetricsConfig(true, null);
  }

  /**
   * @param anonymousPull null = decided by the listen address (anonymous clients may do anything
   *     the mode allows while listening on loopback, nothing elsewhere); true = anonymous clients
   *     may pull on any address; false = every request needs a token, even on loopback
   * @param adminTokens names of the tokens allowed to use the admin API
   * @param tokenLifetime how long a Bearer token from {@code /oauth2/token} is valid
   * @param failedLoginsPerMinute failed logins one address may make per minute before it is
   *     answered 429
   * @param maxClientTokens tokens a connected registry (one with a parent) may hold, at most 20
   */
  public record AuthConfig(
      Boolean anonymousPull,
      List<String> adminTokens,
      Duration tokenLifetime,
      int failedLoginsPerMinute,
      int maxTokens,
      int maxScopeMaps,
      int maxRulesPerScopeMap,
      int maxClientTokens) {

    /** What anonymous clients may do, once the listen address is known. */
    public enum Anonymous { FULL, PULL, NONE }

    public Anonymous anonymous(ListenAddress listen) {
      if (anonymousPull != null) {
        return anonymousPull ? Anonymous.PULL : Anonymous.NONE;
      }
      return listen.isLoopback() ? Anonymous.FULL : Anonymous.NONE;
    }
  }
}
