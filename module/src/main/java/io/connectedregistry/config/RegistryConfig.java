package io.connectedregistry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The one immutable configuration of a registry, after layering defaults &lt; file &lt; environment
 * &lt; command line (and, later, the module twin). Built and validated by {@link ConfigLoader};
 * every other package only reads it.
 */
public record RegistryConfig(
    ListenAddress listen,
    Path data,
    Mode mode,
    ParentConfig parent,
    SyncConfig sync,
    LogLevel logLevel,
    TlsConfig tls,
    StorageConfig storage) {

  public enum Mode { ReadOnly, ReadWrite }

  public enum LogLevel { Debug, Information, Warning, Error, None }

  public record ListenAddress(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /** Absent (null) for a root registry. */
  public record ParentConfig(String endpoint, String protocol) {}

  public record SyncConfig(
      List<String> repositories,
      String schedule,
      Duration window,
      Duration messageTtl,
      boolean onDemand) {}

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
   */
  public record StorageConfig(Duration uploadExpiry, Duration gcInterval, Duration gcGrace) {}
}
