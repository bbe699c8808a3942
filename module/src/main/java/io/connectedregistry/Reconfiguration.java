package io.connectedregistry;

import io.connectedregistry.config.ConfigView;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.AuthConfig;
import io.connectedregistry.config.RegistryConfig.StorageConfig;
import java.util.List;

/**
 * What a new configuration changes in a running registry: {@link #running} is the configuration
 * that can be in effect without a restart (the keys that apply live from the new one, every other
 * key from the old one), so the difference old → running is what gets applied and running → new
 * is what waits for a restart. The one list of live keys is this constructor of records.
 *
 * <p>Live today: {@code logLevel}, {@code mode}, {@code auth.anonymousPull},
 * {@code auth.adminTokens}, {@code auth.tokenLifetime}, {@code auth.failedLoginsPerMinute},
 * {@code storage.gcInterval}, {@code storage.gcEnabled}, {@code storage.gcSchedule},
 * {@code storage.gcGrace}, {@code storage.uploadExpiry},
 * {@code storage.uploadMaxAge}, {@code loginServer}, every {@code sync.*} key, and {@code parent.*} when a parent is
 * replaced by another. Restart required: {@code listen}, {@code data}, {@code tls.*},
 * {@code http.*}, {@code metrics.*}, {@code auth.limits.*}, {@code configWatchInterval}, {@code storage.minFreeBytes} (it sizes the space
 * reserve when the store opens), and a parent added to a root or removed from a connected
 * registry.
 */
record Reconfiguration(RegistryConfig before, RegistryConfig running, RegistryConfig requested) {

  static Reconfiguration of(RegistryConfig before, RegistryConfig requested) {
    StorageConfig s = before.storage();
    AuthConfig a = before.auth();
    AuthConfig n = requested.auth();
    // A parent replaced by another is live (the sync service rebuilds its client); a parent added
    // or removed turns a root into a connected registry or back, which is a restart.
    boolean parentLive = (before.parent() == null) == (requested.parent() == null);
    RegistryConfig running = new RegistryConfig(before.listen(), before.data(), requested.mode(),
        parentLive ? requested.parent() : before.parent(), requested.sync(), requested.logLevel(),
        before.tls(),
        new StorageConfig(requested.storage().uploadExpiry(), requested.storage().gcInterval(),
            requested.storage().gcGrace(), s.minFreeBytes(), requested.storage().uploadMaxAge(),
            requested.storage().gcEnabled(), requested.storage().gcSchedule()),
        new AuthConfig(n.anonymousPull(), n.adminTokens(), n.tokenLifetime(), n.failedLoginsPerMinute(),
            a.maxTokens(), a.maxScopeMaps(), a.maxRulesPerScopeMap(), a.maxClientTokens()),
        before.http(), requested.loginServer(), before.configWatchInterval(), before.metrics());
    return new Reconfiguration(before, running, requested);
  }

  /** Keys that take a new value now. */
  List<String> applied() {
    return List.copyOf(ConfigView.changed(before, running));
  }

  /** Keys configured differently that keep their old value until the next start. */
  List<String> restartRequired() {
    return List.copyOf(ConfigView.changed(running, requested));
  }

  boolean changes(String key) {
    return ConfigView.changed(before, running).contains(key);
  }
}
