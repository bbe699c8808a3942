package io.connectedregistry.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.connectedregistry.config.RegistryConfig.ParentConfig;
import io.connectedregistry.config.RegistryConfig.TlsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * The configuration file layer. The file is read into a plain JSON tree and walked with an explicit
 * list of keys per section (rather than bound to classes) so every error can name the exact key
 * path, and so a misspelt key is refused instead of silently ignored.
 */
final class ConfigFile {

  private static final List<String> TOP_KEYS =
      List.of("listen", "data", "mode", "parent", "sync", "logLevel", "tls", "storage", "auth",
          "http", "loginServer", "configWatchInterval", "metrics");
  private static final List<String> PARENT_KEYS =
      List.of("endpoint", "protocol", "username", "password", "caBundle", "tokenRealms");
  private static final List<String> SYNC_KEYS =
      List.of("repositories", "schedule", "window", "messageTtl", "onDemand", "tags", "bandwidth");
  private static final List<String> TAG_KEYS = List.of("include", "exclude", "semver");
  private static final List<String> TLS_KEYS = List.of("certificate", "key", "clientCa");
  private static final List<String> STORAGE_KEYS = List.of("uploadExpiry", "gcInterval",
      "gcGrace", "minFreeBytes", "uploadMaxAge", "gcEnabled", "gcSchedule");
  private static final List<String> HTTP_KEYS = List.of("maxConnections", "headerTimeout",
      "idleTimeout", "unauthenticatedIdleTimeout", "maxBodyMemory", "trustedProxies");
  private static final List<String> METRICS_KEYS = List.of("enabled", "listen");
  private static final List<String> AUTH_KEYS =
      List.of("anonymousPull", "adminTokens", "tokenLifetime", "failedLoginsPerMinute", "limits");
  private static final List<String> LIMIT_KEYS =
      List.of("maxTokens", "maxScopeMaps", "maxRulesPerScopeMap", "maxClientTokens");

  private ConfigFile() {}

  /**
   * Reads {@code file} and applies what it sets onto {@code draft}.
   *
   * @param origin what named the file ({@code --config} or {@code REGISTRY_CONFIG}), for errors
   *     about the file itself
   */
  static JsonNode apply(Path file, String origin, ConfigDraft draft) {
    JsonNode root = read(file, origin);
    ConfigDraft.Mark mark = draft.mark();
    applyTree(root, draft);
    draft.locateSince(mark, file);
    return root;
  }

  /** Applies a document already parsed (the managed layer's), in the same schema as the file. */
  static void applyDocument(JsonNode root, ConfigDraft draft) {
    applyTree(root, draft);
  }

  private static JsonNode read(Path file, String origin) {
    if (!Files.exists(file)) {
      throw new ConfigException(origin + ": '" + file + "' does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(origin + ": '" + file + "' is not a file");
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(origin + ": cannot read '" + file + "': " + e.getMessage(), e);
    }
    try {
      JsonNode root = mapperFor(file, text).readTree(text);
      // An empty file is a valid way to say "all defaults".
      return root == null || root.isMissingNode() || root.isNull()
          ? JsonMapper.builder().build().createObjectNode()
          : root;
    } catch (JsonProcessingException e) {
      throw new ConfigException("cannot parse " + file + ": " + describe(e), e);
    }
  }

  /** JSON for .json files or content that starts like JSON; YAML otherwise. */
  private static ObjectMapper mapperFor(Path file, String text) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean json = name.endsWith(".json")
        || (!name.endsWith(".yaml") && !name.endsWith(".yml") && text.strip().startsWith("{"));
    // Duplicate keys are almost always a merge mistake; with them refused, which one wins is
    // never a surprise.
    return json
        ? JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build()
        : YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
  }

  /** Jackson's messages can span lines and quote the source; keep it to one line. */
  private static String describe(JsonProcessingException e) {
    // SnakeYAML's message draws the offending line with a caret; its problem and the position of
    // the problem (Jackson reports where the enclosing construct began) read better.
    if (e.getCause() instanceof MarkedYAMLException yaml
        && yaml.getProblem() != null
        && yaml.getProblemMark() != null) {
      return oneLine(yaml.getProblem()) + " at line " + (yaml.getProblemMark().getLine() + 1)
          + ", column " + (yaml.getProblemMark().getColumn() + 1);
    }
    String message = oneLine(String.valueOf(e.getOriginalMessage()));
    JsonLocation where = e.getLocation();
    if (where != null && where.getLineNr() > 0) {
      message += " at line " + where.getLineNr() + ", column " + where.getColumnNr();
    }
    return message;
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s+", " ").strip();
  }

  private static void applyTree(JsonNode root, ConfigDraft draft) {
    if (!requireMapping(root, "", TOP_KEYS, draft)) {
      return;
    }

    draft.check(() -> scalar(root, "listen", "listen").ifPresent(v -> draft.listen = ConfigValues.listen("listen", v)));
    draft.check(() -> scalar(root, "data", "data").ifPresent(v -> draft.data = ConfigValues.path("data", v)));
    draft.check(() -> scalar(root, "mode", "mode")
        .ifPresent(v -> draft.mode = ConfigValues.oneOf("mode", v, RegistryConfig.Mode.class)));
    draft.check(() -> scalar(root, "loginServer", "loginServer")
        .ifPresent(v -> draft.loginServer = HostPort.check("loginServer", v)));
    draft.check(() -> scalar(root, "logLevel", "logLevel")
        .ifPresent(
            v -> draft.logLevel = ConfigValues.oneOf("logLevel", v, RegistryConfig.LogLevel.class)));

    draft.check(() -> scalar(root, "configWatchInterval", "configWatchInterval")
        .ifPresent(v -> draft.configWatchInterval = ConfigValues.zeroOrDurationBetween(
            "configWatchInterval", v, "PT1S", "PT1H")));

    section(root, "parent", PARENT_KEYS, draft)
        .ifPresent(node -> draft.check(() -> draft.parent = parent(node, draft.parent)));
    section(root, "sync", SYNC_KEYS, draft).ifPresent(node -> applySync(node, draft));
    section(root, "tls", TLS_KEYS, draft).ifPresent(node -> draft.check(() -> draft.tls = tls(node)));
    section(root, "storage", STORAGE_KEYS, draft).ifPresent(node -> applyStorage(node, draft));
    section(root, "auth", AUTH_KEYS, draft).ifPresent(node -> applyAuth(node, draft));
    section(root, "http", HTTP_KEYS, draft).ifPresent(node -> applyHttp(node, draft));
    section(root, "metrics", METRICS_KEYS, draft).ifPresent(node -> {
      draft.check(() -> scalar(node, "enabled", "metrics.enabled")
          .ifPresent(v -> draft.metricsEnabled = ConfigValues.bool("metrics.enabled", v)));
      draft.check(() -> scalar(node, "listen", "metrics.listen")
          .ifPresent(v -> draft.metricsListen = ConfigValues.listen("metrics.listen", v)));
    });
  }

  private static void applyHttp(JsonNode node, ConfigDraft draft) {
    draft.check(() -> scalar(node, "maxConnections", "http.maxConnections")
        .ifPresent(v -> draft.maxConnections =
            ConfigValues.intBetween("http.maxConnections", v, 8, 100_000)));
    draft.check(() -> scalar(node, "headerTimeout", "http.headerTimeout")
        .ifPresent(v -> draft.headerTimeout =
            ConfigValues.durationBetween("http.headerTimeout", v, "PT1S", "PT10M")));
    draft.check(() -> scalar(node, "idleTimeout", "http.idleTimeout")
        .ifPresent(v -> draft.idleTimeout =
            ConfigValues.durationBetween("http.idleTimeout", v, "PT1S", "PT1H")));
    draft.check(() -> scalar(node, "unauthenticatedIdleTimeout", "http.unauthenticatedIdleTimeout")
        .ifPresent(v -> draft.unauthenticatedIdleTimeout =
            ConfigValues.durationBetween("http.unauthenticatedIdleTimeout", v, "PT1S", "PT10M")));
    draft.check(() -> scalar(node, "maxBodyMemory", "http.maxBodyMemory")
        .ifPresent(v -> draft.maxBodyMemory = ConfigValues.bodyMemory("http.maxBodyMemory", v)));
    JsonNode proxies = node.get("trustedProxies");
    draft.check(() -> {
    if (proxies != null && !proxies.isNull()) {
      List<String> raw = names(proxies, "http.trustedProxies",
          "a list of addresses or CIDR ranges, e.g. [\"172.18.0.0/16\"]", "an address or CIDR range");
      List<String> checked = new ArrayList<>();
      for (int i = 0; i < raw.size(); i++) {
        checked.add(ConfigValues.addressOrCidr("http.trustedProxies[" + i + "]", raw.get(i)));
      }
      draft.trustedProxies = checked;
    }
    });
  }

  private static void applyAuth(JsonNode node, ConfigDraft draft) {
    draft.check(() -> scalar(node, "anonymousPull", "auth.anonymousPull")
        .ifPresent(v -> draft.anonymousPull = ConfigValues.bool("auth.anonymousPull", v)));
    JsonNode admins = node.get("adminTokens");
    if (admins != null && !admins.isNull()) {
      draft.check(() -> draft.adminTokens = names(admins, "auth.adminTokens",
          "a list of token names, e.g. [\"ops\"]", "a token name"));
    }
    draft.check(() -> scalar(node, "tokenLifetime", "auth.tokenLifetime")
        .ifPresent(v -> draft.tokenLifetime =
            ConfigValues.durationBetween("auth.tokenLifetime", v, "PT1M", "PT24H")));
    draft.check(() -> scalar(node, "failedLoginsPerMinute", "auth.failedLoginsPerMinute")
        .ifPresent(v -> draft.failedLoginsPerMinute =
            ConfigValues.intBetween("auth.failedLoginsPerMinute", v, 1, 10_000)));
    section(node, "limits", LIMIT_KEYS, draft).ifPresent(limits -> {
      // Lowered only: ACR's numbers are the most any client or control plane is built for.
      draft.check(() -> scalar(limits, "maxTokens", "auth.limits.maxTokens")
          .ifPresent(v -> draft.maxTokens = ConfigValues.intBetween("auth.limits.maxTokens", v, 1, 20_000)));
      draft.check(() -> scalar(limits, "maxScopeMaps", "auth.limits.maxScopeMaps")
          .ifPresent(v -> draft.maxScopeMaps =
              ConfigValues.intBetween("auth.limits.maxScopeMaps", v, 1, 20_000)));
      draft.check(() -> scalar(limits, "maxClientTokens", "auth.limits.maxClientTokens")
          .ifPresent(v -> draft.maxClientTokens =
              ConfigValues.intBetween("auth.limits.maxClientTokens", v, 1, 20)));
      draft.check(() -> scalar(limits, "maxRulesPerScopeMap", "auth.limits.maxRulesPerScopeMap")
          .ifPresent(v -> draft.maxRulesPerScopeMap =
              ConfigValues.intBetween("auth.limits.maxRulesPerScopeMap", v, 1, 500)));
    });
  }

  /**
   * @param lower the parent the layers below set (null: none). A key this document leaves out
   *     keeps that value, so a twin that moves the parent keeps the sync token of the connection
   *     string (secrets never travel in the twin)
   */
  private static ParentConfig parent(JsonNode node, ParentConfig lower) {
    Optional<String> given = scalar(node, "endpoint", "parent.endpoint");
    String endpoint = given.or(() -> Optional.ofNullable(lower).map(ParentConfig::endpoint))
        .orElseThrow(() -> new ConfigException("parent.endpoint: required when parent is present"));
    Optional<String> protocol = scalar(node, "protocol", "parent.protocol");
    if (protocol.isEmpty() && lower != null && !endpoint.contains("://")) {
      protocol = Optional.of(lower.protocol());
    }
    String username = scalar(node, "username", "parent.username").orElse(null);
    String password = scalar(node, "password", "parent.password").orElse(null);
    if (username == null && password == null && lower != null) {
      username = lower.username();
      password = lower.password();
    }
    if ((username == null) != (password == null)) {
      throw new ConfigException(username == null
          ? "parent.username: required with parent.password"
          : "parent.password: required with parent.username");
    }
    Path caBundle = scalar(node, "caBundle", "parent.caBundle")
        .map(v -> ConfigValues.readableFile("parent.caBundle", v))
        .orElse(lower == null ? null : lower.caBundle());
    ParentConfig parent = ConfigValues.parent("parent.endpoint", endpoint, "parent.protocol",
        protocol.orElse(null));
    List<String> realms = new ArrayList<>();
    JsonNode realmNode = node.get("tokenRealms");
    if ((realmNode == null || realmNode.isNull()) && lower != null) {
      realms.addAll(lower.tokenRealms());
    }
    if (realmNode != null && !realmNode.isNull()) {
      List<String> raw = names(realmNode, "parent.tokenRealms",
          "a list of https token service addresses, e.g. [\"https://auth.docker.io\"]",
          "a token service address");
      for (int i = 0; i < raw.size(); i++) {
        realms.add(ConfigValues.tokenRealm("parent.tokenRealms[" + i + "]", raw.get(i)));
      }
    }
    return new ParentConfig(parent.endpoint(), parent.protocol(), username, password, caBundle,
        lower == null ? null : lower.registryName(), realms);
  }

  private static void applySync(JsonNode node, ConfigDraft draft) {
    JsonNode repositories = node.get("repositories");
    if (repositories != null && !repositories.isNull()) {
      draft.check(() -> draft.repositories = names(repositories, "sync.repositories",
          "a list of repository names or wildcards, e.g. [\"app/*\"]", "a repository name or wildcard"));
    }
    draft.check(() -> scalar(node, "schedule", "sync.schedule")
        .ifPresent(v -> draft.schedule = ConfigValues.cron("sync.schedule", v)));
    draft.check(() -> scalar(node, "window", "sync.window")
        .ifPresent(v -> draft.window = ConfigValues.durationBetween("sync.window", v, "PT1H", "P7D")));
    draft.check(() -> scalar(node, "messageTtl", "sync.messageTtl")
        .ifPresent(
            v -> draft.messageTtl =
                ConfigValues.durationBetween("sync.messageTtl", v, "P1D", "P90D")));
    draft.check(() -> scalar(node, "onDemand", "sync.onDemand")
        .ifPresent(v -> draft.onDemand = ConfigValues.bool("sync.onDemand", v)));
    draft.check(() -> scalar(node, "bandwidth", "sync.bandwidth")
        .ifPresent(v -> draft.bandwidth = ConfigValues.bandwidth("sync.bandwidth", v)));
    section(node, "tags", TAG_KEYS, draft).ifPresent(tags -> draft.check(() -> draft.tags = new RegistryConfig.TagFilterConfig(
        scalar(tags, "include", "sync.tags.include")
            .map(v -> ConfigValues.regex("sync.tags.include", v)).orElse(null),
        scalar(tags, "exclude", "sync.tags.exclude")
            .map(v -> ConfigValues.regex("sync.tags.exclude", v)).orElse(null),
        scalar(tags, "semver", "sync.tags.semver")
            .map(v -> ConfigValues.semverRange("sync.tags.semver", v)).orElse(null))));
  }

  /**
   * A list of names without blanks (repository names or wildcards, token names); their syntax is
   * checked where they are used, not here.
   */
  private static List<String> names(JsonNode node, String path, String expected, String what) {
    if (!node.isArray()) {
      throw new ConfigException(path + ": expected " + expected);
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode element = node.get(i);
      String key = path + "[" + i + "]";
      if (!element.isValueNode() || element.isNull()
          || element.asText().isBlank() || element.asText().chars().anyMatch(Character::isWhitespace)) {
        throw new ConfigException(
            key + ": '" + (element.isValueNode() ? element.asText() : element.toString())
                + "' is not " + what);
      }
      names.add(element.asText());
    }
    return names;
  }

  private static TlsConfig tls(JsonNode node) {
    Path clientCa =
        scalar(node, "clientCa", "tls.clientCa")
            .map(v -> ConfigValues.readableFile("tls.clientCa", v))
            .orElse(null);
    return new TlsConfig(tlsFile(node, "certificate"), tlsFile(node, "key"), clientCa);
  }

  /** Checked here so a wrong path is reported with its key, not as a TLS error at startup. */
  private static Path tlsFile(JsonNode node, String name) {
    String key = "tls." + name;
    return scalar(node, name, key)
        .map(v -> ConfigValues.readableFile(key, v))
        .orElseThrow(
            () -> new ConfigException(
                key + ": required when tls is present (tls needs both certificate and key)"));
  }

  private static void applyStorage(JsonNode node, ConfigDraft draft) {
    draft.check(() -> scalar(node, "uploadExpiry", "storage.uploadExpiry")
        .ifPresent(
            v -> draft.uploadExpiry = ConfigValues.positiveDuration("storage.uploadExpiry", v)));
    draft.check(() -> scalar(node, "gcInterval", "storage.gcInterval")
        .ifPresent(v -> draft.gcInterval = ConfigValues.positiveDuration("storage.gcInterval", v)));
    draft.check(() -> scalar(node, "gcEnabled", "storage.gcEnabled")
        .ifPresent(v -> draft.gcEnabled = ConfigValues.bool("storage.gcEnabled", v)));
    draft.check(() -> scalar(node, "gcSchedule", "storage.gcSchedule")
        .ifPresent(v -> draft.gcSchedule = ConfigValues.cron("storage.gcSchedule", v)));
    draft.check(() -> scalar(node, "gcGrace", "storage.gcGrace")
        .ifPresent(v -> draft.gcGrace = ConfigValues.nonNegativeDuration("storage.gcGrace", v)));
    draft.check(() -> scalar(node, "minFreeBytes", "storage.minFreeBytes")
        .ifPresent(v -> draft.minFreeBytes = ConfigValues.bytes("storage.minFreeBytes", v)));
    draft.check(() -> scalar(node, "uploadMaxAge", "storage.uploadMaxAge")
        .ifPresent(v -> draft.uploadMaxAge =
            ConfigValues.durationBetween("storage.uploadMaxAge", v, "PT1M", "P90D")));
  }

  // --- tree helpers ---------------------------------------------------------------------------

  /** A nested section; absent or null (an empty YAML key) means "keep the defaults". */
  private static Optional<JsonNode> section(JsonNode parent, String key, List<String> known,
      ConfigDraft draft) {
    JsonNode node = parent.get(key);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    return requireMapping(node, key, known, draft) ? Optional.of(node) : Optional.empty();
  }

  /**
   * Records every unknown key (the known ones are still checked, so one pass reports all);
   * false when the node is not a mapping at all.
   */
  private static boolean requireMapping(JsonNode node, String path, List<String> known,
      ConfigDraft draft) {
    String where = path.isEmpty() ? "the top level" : path;
    if (!node.isObject()) {
      draft.problems.add(where + ": expected a mapping with keys " + String.join(", ", known));
      return false;
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!known.contains(name)) {
        draft.problems.add(
            "unknown configuration key '" + (path.isEmpty() ? name : path + "." + name) + "'; "
                + where + " accepts " + String.join(", ", known));
      }
    }
    return true;
  }

  /** A single value as text; YAML may have typed it (a number, a boolean), which is fine. */
  private static Optional<String> scalar(JsonNode parent, String key, String path) {
    JsonNode node = parent.get(key);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isValueNode()) {
      throw new ConfigException(
          path + ": expected a single value, not a " + (node.isArray() ? "list" : "mapping"));
    }
    return Optional.of(node.asText());
  }
}
