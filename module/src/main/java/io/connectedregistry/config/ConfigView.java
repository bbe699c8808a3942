package io.connectedregistry.config;

import io.connectedregistry.config.RegistryConfig.AuthConfig;
import io.connectedregistry.config.RegistryConfig.HttpConfig;
import io.connectedregistry.config.RegistryConfig.ParentConfig;
import io.connectedregistry.config.RegistryConfig.StorageConfig;
import io.connectedregistry.config.RegistryConfig.SyncConfig;
import io.connectedregistry.config.RegistryConfig.TlsConfig;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A configuration as a flat map from key path (as written in the file: {@code sync.schedule},
 * {@code auth.limits.maxTokens}) to its value as text. One place that names every key, used to
 * diff two configurations, to say where each value came from, and to show them
 * ({@code GET /_connected/v1/config}).
 */
public final class ConfigView {
  /** Keys whose values are never shown (displayed as {@code ***}). */
  public static final Set<String> SECRETS = Set.of("parent.password");

  private ConfigView() {}

  /**
   * Every key with its raw value ("" when unset). Holds secrets: compare it, never print it; use
   * {@link #display} for that.
   */
  public static SortedMap<String, String> values(RegistryConfig c) {
    SortedMap<String, String> m = new TreeMap<>();
    m.put("listen", text(c.listen()));
    m.put("data", text(c.data()));
    m.put("mode", text(c.mode()));
    m.put("logLevel", text(c.logLevel()));
    m.put("loginServer", text(c.loginServer()));
    m.put("configWatchInterval", text(c.configWatchInterval()));
    ParentConfig p = c.parent();
    m.put("parent.endpoint", p == null ? "" : text(p.endpoint()));
    m.put("parent.protocol", p == null ? "" : text(p.protocol()));
    m.put("parent.username", p == null ? "" : text(p.username()));
    m.put("parent.password", p == null ? "" : text(p.password()));
    m.put("parent.caBundle", p == null ? "" : text(p.caBundle()));
    m.put("parent.tokenRealms", p == null ? "" : text(p.tokenRealms()));
    SyncConfig s = c.sync();
    m.put("sync.repositories", text(s.repositories()));
    m.put("sync.schedule", text(s.schedule()));
    m.put("sync.window", text(s.window()));
    m.put("sync.messageTtl", text(s.messageTtl()));
    m.put("sync.onDemand", text(s.onDemand()));
    m.put("sync.tags.include", text(s.tags().include()));
    m.put("sync.tags.exclude", text(s.tags().exclude()));
    m.put("sync.tags.semver", text(s.tags().semver()));
    m.put("sync.bandwidth", text(s.bandwidth()));
    TlsConfig t = c.tls();
    m.put("tls.certificate", t == null ? "" : text(t.certificate()));
    m.put("tls.key", t == null ? "" : text(t.key()));
    m.put("tls.clientCa", t == null ? "" : text(t.clientCa()));
    StorageConfig st = c.storage();
    m.put("storage.uploadExpiry", text(st.uploadExpiry()));
    m.put("storage.gcInterval", text(st.gcInterval()));
    m.put("storage.gcGrace", text(st.gcGrace()));
    m.put("storage.minFreeBytes", text(st.minFreeBytes()));
    m.put("storage.uploadMaxAge", text(st.uploadMaxAge()));
    m.put("storage.gcEnabled", text(st.gcEnabled()));
    m.put("storage.gcSchedule", text(st.gcSchedule()));
    AuthConfig a = c.auth();
    m.put("auth.anonymousPull", text(a.anonymousPull()));
    m.put("auth.adminTokens", text(a.adminTokens()));
    m.put("auth.tokenLifetime", text(a.tokenLifetime()));
    m.put("auth.failedLoginsPerMinute", text(a.failedLoginsPerMinute()));
    m.put("auth.limits.maxTokens", text(a.maxTokens()));
    m.put("auth.limits.maxScopeMaps", text(a.maxScopeMaps()));
    m.put("auth.limits.maxRulesPerScopeMap", text(a.maxRulesPerScopeMap()));
    m.put("auth.limits.maxClientTokens", text(a.maxClientTokens()));
    HttpConfig h = c.http();
    m.put("http.maxConnections", text(h.maxConnections()));
    m.put("http.headerTimeout", text(h.headerTimeout()));
    m.put("http.idleTimeout", text(h.idleTimeout()));
    m.put("http.unauthenticatedIdleTimeout", text(h.unauthenticatedIdleTimeout()));
    m.put("http.maxBodyMemory", text(h.maxBodyMemory()));
    m.put("http.trustedProxies", text(h.trustedProxies()));
    m.put("metrics.enabled", text(c.metrics().enabled()));
    m.put("metrics.listen", text(c.metrics().listen()));
    return m;
  }

  /** {@link #values} with secrets that are set replaced by {@code ***}: safe to show. */
  public static SortedMap<String, String> display(RegistryConfig c) {
    SortedMap<String, String> m = values(c);
    for (String secret : SECRETS) {
      if (!m.get(secret).isEmpty()) {
        m.put(secret, "***");
      }
    }
    return m;
  }

  /** The keys whose values differ (secrets compared, never returned as values). */
  public static SortedSet<String> changed(RegistryConfig before, RegistryConfig after) {
    Map<String, String> a = values(before);
    Map<String, String> b = values(after);
    SortedSet<String> changed = new TreeSet<>();
    for (String key : a.keySet()) {
      if (!Objects.equals(a.get(key), b.get(key))) {
        changed.add(key);
      }
    }
    return changed;
  }

  private static String text(Object value) {
    return value == null ? "" : value.toString();
  }
}
