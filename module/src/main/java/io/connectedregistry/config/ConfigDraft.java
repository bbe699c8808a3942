package io.connectedregistry.config;

import io.connectedregistry.config.RegistryConfig.AuthConfig;
import io.connectedregistry.config.RegistryConfig.HttpConfig;
import io.connectedregistry.config.RegistryConfig.ListenAddress;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.config.RegistryConfig.ParentConfig;
import io.connectedregistry.config.RegistryConfig.StorageConfig;
import io.connectedregistry.config.RegistryConfig.SyncConfig;
import io.connectedregistry.config.RegistryConfig.TagFilterConfig;
import io.connectedregistry.config.RegistryConfig.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The configuration while the layers are being applied: starts as the embedded defaults, and each
 * layer overwrites the fields it sets with values it has already validated. Mutable only inside
 * {@link ConfigLoader}; what leaves it is the immutable {@link RegistryConfig}.
 */
final class ConfigDraft {

  ListenAddress listen = new ListenAddress("127.0.0.1", 5000);
  Path data = Path.of("./data");
  /** Null until some layer sets it: the default depends on whether there is a parent. */
  Mode mode;
  ParentConfig parent;

  List<String> repositories = List.of();
  String schedule = "* * * * *";
  Duration window;
  Duration messageTtl = Duration.ofDays(2);
  boolean onDemand;
  TagFilterConfig tags = TagFilterConfig.ALL;
  long bandwidth;

  LogLevel logLevel = LogLevel.Information;
  TlsConfig tls;
  String loginServer;
  Duration configWatchInterval = Duration.ofSeconds(10);

  Duration uploadExpiry = Duration.ofHours(24);
  Duration gcInterval;
  Duration gcGrace = Duration.ofHours(1);
  long minFreeBytes = 512L * 1024 * 1024;
  Duration uploadMaxAge = Duration.ofDays(7);
  boolean gcEnabled = true;
  String gcSchedule;

  int maxConnections = HttpConfig.DEFAULTS.maxConnections();
  Duration headerTimeout = HttpConfig.DEFAULTS.headerTimeout();
  Duration idleTimeout = HttpConfig.DEFAULTS.idleTimeout();
  Duration unauthenticatedIdleTimeout = HttpConfig.DEFAULTS.unauthenticatedIdleTimeout();
  long maxBodyMemory = HttpConfig.DEFAULTS.maxBodyMemory();
  List<String> trustedProxies = List.of();

  boolean metricsEnabled = RegistryConfig.MetricsConfig.DEFAULTS.enabled();
  ListenAddress metricsListen;

  Boolean anonymousPull;
  List<String> adminTokens = List.of();
  Duration tokenLifetime = Duration.ofMinutes(5);
  int failedLoginsPerMinute = 10;
  int maxTokens = 20_000;
  int maxScopeMaps = 20_000;
  int maxRulesPerScopeMap = 500;
  int maxClientTokens = 20;

  /** Problems found so far: every layer keeps going after a bad key, so all are reported at once. */
  final List<String> problems = new ArrayList<>();

  /** Runs one key's validation; a bad value is recorded and the key keeps its previous value. */
  void check(Runnable key) {
    try {
      key.run();
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
  }

  private static boolean isWildcard(ListenAddress address) {
    return address.host().equals("0.0.0.0") || address.host().equals("::") || address.host().equals("[::]");
  }

  /** Where the problems of one layer begin. */
  record Mark(int problems) {}

  Mark mark() {
    return new Mark(problems.size());
  }

  /** Says which file the problems found since {@code mark} are in. */
  void locateSince(Mark mark, Path file) {
    for (int i = mark.problems(); i < problems.size(); i++) {
      problems.set(i, problems.get(i) + " (in " + file + ")");
    }
  }

  /** @throws ConfigException naming every bad key, if any */
  RegistryConfig build() {
    if (metricsListen != null && metricsListen.port() == listen.port()
        && (metricsListen.host().equals(listen.host()) || isWildcard(metricsListen) || isWildcard(listen))) {
      problems.add("metrics.listen: " + metricsListen + " is the registry's own address (listen " + listen
          + "); give the metrics listener a port of its own");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    // A connected registry is ReadOnly unless told otherwise (the product's default); a root has
    // nobody to pull from, so the only useful default for it is ReadWrite.
    Mode effectiveMode = mode != null ? mode : parent == null ? Mode.ReadWrite : Mode.ReadOnly;
    return new RegistryConfig(
        listen,
        data,
        effectiveMode,
        parent,
        new SyncConfig(List.copyOf(repositories), schedule, window, messageTtl, onDemand, tags,
            bandwidth),
        logLevel,
        tls,
        new StorageConfig(uploadExpiry, gcInterval, gcGrace, minFreeBytes, uploadMaxAge,
            gcEnabled, gcSchedule),
        new AuthConfig(anonymousPull, List.copyOf(adminTokens), tokenLifetime, failedLoginsPerMinute,
            maxTokens, maxScopeMaps, maxRulesPerScopeMap, maxClientTokens),
        new HttpConfig(maxConnections, headerTimeout, idleTimeout, unauthenticatedIdleTimeout,
            maxBodyMemory, trustedProxies),
        loginServer,
        configWatchInterval, new RegistryConfig.MetricsConfig(metricsEnabled, metricsListen));
  }
}
