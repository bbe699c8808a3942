package io.connectedregistry.config;

import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.config.RegistryConfig.TlsConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the one validated {@link RegistryConfig} by layering, lowest first:
 *
 * <ol>
 *   <li>embedded defaults;
 *   <li>the configuration file (YAML or JSON) named by {@code --config} or {@code REGISTRY_CONFIG};
 *   <li>environment variables {@code REGISTRY_LISTEN}, {@code REGISTRY_DATA}, {@code
 *       REGISTRY_MODE}, {@code REGISTRY_LOG_LEVEL}, {@code REGISTRY_TLS_CERTIFICATE}, {@code
 *       REGISTRY_TLS_KEY}, {@code REGISTRY_TLS_CLIENT_CA}, {@code REGISTRY_AUTH_ANONYMOUS_PULL};
 *   <li>command-line flags {@code --listen}, {@code --data}, {@code --mode}, {@code --log-level}
 *       (and {@code --grace} for {@code gc}).
 * </ol>
 *
 * Above them, the managed layer (module twin, parent's definition, config API): see {@link
 * ConfigLayers}, which runs these layers and keeps them for a reload.
 *
 * <p>Every value is validated in the layer that sets it, so an error names the key as the user wrote
 * it there; a bad key does not stop the check, so one error lists every bad key of every layer. Relative paths are relative to the working directory, not to the file. Blank
 * environment variables count as unset, since {@code REGISTRY_MODE=} in a compose file usually
 * means "not set" rather than "empty".
 */
public final class ConfigLoader {

  /** ACR's connection string of a connected registry: its name, sync token and parent. */
  public static final String CONNECTION_STRING = "ACR_REGISTRY_CONNECTION_STRING";

  /** The parent IoT Edge device's host name, which {@code $upstream} in {@code parent.endpoint} names. */
  public static final String PARENT_HOSTNAME = "IOTEDGE_PARENTHOSTNAME";

  /** The edge CA's certificates as a file (IoT Edge, connection-string form). */
  public static final String EDGE_CA_FILE = "EdgeModuleCACertificateFile";

  private static final java.util.regex.Pattern UPSTREAM =
      java.util.regex.Pattern.compile("^(https?://)?\\$upstream(:\\d+)?(/.*)?$");

  private final Map<String, String> environment;
  /** The edge CA's certificates, fetched from the IoT Edge workload API; null outside IoT Edge. */
  private final Path upstreamCa;

  /** @param environment the process environment; injectable so tests never touch the real one */
  public ConfigLoader(Map<String, String> environment) {
    this(environment, null);
  }

  private ConfigLoader(Map<String, String> environment, Path upstreamCa) {
    this.environment = Map.copyOf(environment);
    this.upstreamCa = upstreamCa;
  }

  /**
   * The same loader, trusting {@code caBundle} (PEM) for a parent at {@code $upstream} that names
   * no CA bundle of its own: the IoT Edge module hands over the workload API's trust bundle here.
   */
  public ConfigLoader withUpstreamCa(Path caBundle) {
    return new ConfigLoader(environment, caBundle);
  }

  /**
   * Nested IoT Edge: {@code $upstream[:port]} in {@code parent.endpoint} is the parent device
   * ({@code IOTEDGE_PARENTHOSTNAME}), whose certificate the edge CA signed; without a CA bundle of
   * its own the parent is trusted through the workload API's trust bundle or {@code
   * EdgeModuleCACertificateFile}. Runs after every layer, so a twin's {@code $upstream} resolves too.
   */
  void resolveUpstream(ConfigDraft draft) {
    RegistryConfig.ParentConfig parent = draft.parent;
    if (parent == null) {
      return;
    }
    java.util.regex.Matcher m = UPSTREAM.matcher(parent.endpoint());
    if (!m.matches()) {
      return;
    }
    Optional<String> host = env(PARENT_HOSTNAME);
    if (host.isEmpty()) {
      draft.problems.add("parent.endpoint: '" + parent.endpoint() + "' names the parent IoT Edge"
          + " device, but " + PARENT_HOSTNAME + " is not set (it is, inside a nested IoT Edge module)");
      return;
    }
    String endpoint = (m.group(1) == null ? "" : m.group(1)) + host.get()
        + (m.group(2) == null ? "" : m.group(2)) + (m.group(3) == null ? "" : m.group(3));
    Path ca = parent.caBundle() != null ? parent.caBundle()
        : upstreamCa != null ? upstreamCa
        : env(EDGE_CA_FILE).map(Path::of).orElse(null);
    draft.parent = new RegistryConfig.ParentConfig(endpoint, parent.protocol(), parent.username(),
        parent.password(), ca, parent.registryName(), parent.tokenRealms());
  }

  public static ConfigLoader fromSystemEnvironment() {
    return new ConfigLoader(System.getenv());
  }

  /** The embedded defaults alone: a root registry on 127.0.0.1:5000 storing under ./data. */
  public static RegistryConfig defaults() {
    return new ConfigDraft().build();
  }

  /** @throws ConfigException naming every bad key, with a message fit to print as-is */
  public RegistryConfig load(Flags flags) {
    return new ConfigLayers(this, flags).build().config();
  }

  /** The file layer; returns the file's tree (null without a file) so its keys can be traced. */
  com.fasterxml.jackson.databind.JsonNode applyFile(Flags flags, ConfigDraft draft) {
    // The flag names the file over the environment, like every other setting.
    String origin = flags.config() != null ? "--config" : "REGISTRY_CONFIG";
    Optional<String> named = flags.config() != null ? Optional.of(flags.config()) : env("REGISTRY_CONFIG");
    if (named.isEmpty()) {
      return null;
    }
    com.fasterxml.jackson.databind.JsonNode[] tree = {null};
    draft.check(() -> tree[0] = ConfigFile.apply(ConfigValues.path(origin, named.get()), origin, draft));
    return tree[0];
  }

  /**
   * The configuration file {@code --config} or {@code REGISTRY_CONFIG} names, as given (a symlink
   * is not resolved here: a watcher follows it on every read); empty without one.
   */
  public Optional<Path> configFile(Flags flags) {
    return Optional.ofNullable(flags.config()).or(() -> env("REGISTRY_CONFIG")).map(Path::of);
  }

  /** The keys the environment sets (blank variables count as unset). */
  java.util.Set<String> environmentKeys() {
    java.util.Set<String> keys = new java.util.TreeSet<>();
    Map<String, String> byVariable = Map.of("REGISTRY_LISTEN", "listen", "REGISTRY_DATA", "data",
        "REGISTRY_MODE", "mode", "REGISTRY_LOG_LEVEL", "logLevel",
        "REGISTRY_TLS_CERTIFICATE", "tls.certificate", "REGISTRY_TLS_KEY", "tls.key",
        "REGISTRY_TLS_CLIENT_CA", "tls.clientCa", "REGISTRY_AUTH_ANONYMOUS_PULL", "auth.anonymousPull");
    byVariable.forEach((variable, key) -> env(variable).ifPresent(v -> keys.add(key)));
    if (env(CONNECTION_STRING).isPresent()) {
      keys.addAll(java.util.List.of("parent.endpoint", "parent.protocol", "parent.username",
          "parent.password"));
    }
    return keys;
  }

  void applyEnvironment(ConfigDraft draft) {
    env("REGISTRY_LISTEN").ifPresent(v -> draft.check(() -> draft.listen = ConfigValues.listen("REGISTRY_LISTEN", v)));
    env("REGISTRY_DATA").ifPresent(v -> draft.check(() -> draft.data = ConfigValues.path("REGISTRY_DATA", v)));
    env("REGISTRY_MODE")
        .ifPresent(v -> draft.check(() -> draft.mode = ConfigValues.oneOf("REGISTRY_MODE", v, Mode.class)));
    env("REGISTRY_LOG_LEVEL")
        .ifPresent(v -> draft.check(
            () -> draft.logLevel = ConfigValues.oneOf("REGISTRY_LOG_LEVEL", v, LogLevel.class)));
    draft.check(() -> applyTlsEnvironment(draft));
    env(CONNECTION_STRING).ifPresent(v -> draft.check(() -> draft.parent =
        ConnectionString.parse(CONNECTION_STRING, v).toParent(draft.parent)));
    env("REGISTRY_AUTH_ANONYMOUS_PULL")
        .ifPresent(v -> draft.check(
            () -> draft.anonymousPull = ConfigValues.bool("REGISTRY_AUTH_ANONYMOUS_PULL", v)));
  }

  static void applyFlags(Flags flags, ConfigDraft draft) {
    if (flags.listen() != null) {
      draft.check(() -> draft.listen = ConfigValues.listen("--listen", flags.listen()));
    }
    if (flags.data() != null) {
      draft.check(() -> draft.data = ConfigValues.path("--data", flags.data()));
    }
    if (flags.mode() != null) {
      draft.check(() -> draft.mode = ConfigValues.oneOf("--mode", flags.mode(), Mode.class));
    }
    if (flags.logLevel() != null) {
      draft.check(() -> draft.logLevel = ConfigValues.oneOf("--log-level", flags.logLevel(), LogLevel.class));
    }
    if (flags.grace() != null) {
      draft.check(() -> draft.gcGrace = ConfigValues.nonNegativeDuration("--grace", flags.grace()));
    }
  }

  /**
   * {@code REGISTRY_TLS_CERTIFICATE}, {@code REGISTRY_TLS_KEY}, {@code REGISTRY_TLS_CLIENT_CA}
   * each override their file key; without a {@code tls} section in the file, certificate and key
   * must both be given.
   */
  private void applyTlsEnvironment(ConfigDraft draft) {
    Optional<Path> certificate =
        env("REGISTRY_TLS_CERTIFICATE")
            .map(v -> ConfigValues.readableFile("REGISTRY_TLS_CERTIFICATE", v));
    Optional<Path> key =
        env("REGISTRY_TLS_KEY").map(v -> ConfigValues.readableFile("REGISTRY_TLS_KEY", v));
    Optional<Path> clientCa =
        env("REGISTRY_TLS_CLIENT_CA").map(v -> ConfigValues.readableFile("REGISTRY_TLS_CLIENT_CA", v));
    if (certificate.isEmpty() && key.isEmpty() && clientCa.isEmpty()) {
      return;
    }
    TlsConfig base = draft.tls;
    Path newCertificate = certificate.orElse(base == null ? null : base.certificate());
    Path newKey = key.orElse(base == null ? null : base.key());
    Path newClientCa = clientCa.orElse(base == null ? null : base.clientCa());
    if (newCertificate == null) {
      throw new ConfigException(
          "REGISTRY_TLS_CERTIFICATE: required with "
              + (key.isPresent() ? "REGISTRY_TLS_KEY" : "REGISTRY_TLS_CLIENT_CA")
              + " when the file has no tls section (tls needs both certificate and key)");
    }
    if (newKey == null) {
      throw new ConfigException(
          "REGISTRY_TLS_KEY: required with REGISTRY_TLS_CERTIFICATE when the file has no tls"
              + " section (tls needs both certificate and key)");
    }
    draft.tls = new TlsConfig(newCertificate, newKey, newClientCa);
  }

  private Optional<String> env(String name) {
    return Optional.ofNullable(environment.get(name)).filter(v -> !v.isBlank());
  }

  /**
   * The command-line layer, as the raw strings the user typed (null = flag not given), so they are
   * validated and reported exactly like the other layers.
   */
  public record Flags(
      String config, String listen, String data, String mode, String logLevel, String grace) {

    public static Flags none() {
      return new Flags(null, null, null, null, null, null);
    }

    public Flags withConfig(String value) {
      return new Flags(value, listen, data, mode, logLevel, grace);
    }

    public Flags withConfig(Path value) {
      return withConfig(value.toString());
    }

    public Flags withListen(String value) {
      return new Flags(config, value, data, mode, logLevel, grace);
    }

    public Flags withData(String value) {
      return new Flags(config, listen, value, mode, logLevel, grace);
    }

    public Flags withMode(String value) {
      return new Flags(config, listen, data, value, logLevel, grace);
    }

    public Flags withLogLevel(String value) {
      return new Flags(config, listen, data, mode, value, grace);
    }

    public Flags withGrace(String value) {
      return new Flags(config, listen, data, mode, logLevel, value);
    }
  }
}
