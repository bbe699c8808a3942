package io.connectedregistry;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigView;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.sync.SyncService;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration of the running registry: its layers, what they last produced, and what is in
 * effect. A new configuration (config API, SIGHUP) is built whole from the layers; a bad key
 * anywhere changes nothing. Then the live keys are applied part by part in a fixed order (log
 * level first, so the rest is logged at the new level; then auth policy and mode; then timers),
 * each part swapping a volatile value that requests read once where they decide, so nothing in
 * flight fails. Serialised: one reconfiguration at a time.
 */
final class LiveConfiguration implements ConfigControl {
  private static final Logger LOG = LoggerFactory.getLogger(LiveConfiguration.class);

  private final AccessControl access;
  /** Null for a root registry. */
  private final SyncService sync;
  private final Consumer<RegistryConfig> storage;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private ConfigLayers layers;
  private ConfigLayers.Built loaded;
  private RegistryConfig running;

  /**
   * @param storage applies the {@code storage.*} periods: the store's options and the garbage
   *     collection and upload expiry timers
   */
  LiveConfiguration(ConfigLayers layers, ConfigLayers.Built loaded, AccessControl access,
      SyncService sync, Consumer<RegistryConfig> storage) {
    this.sync = sync;
    this.layers = layers;
    this.loaded = loaded;
    this.running = loaded.config();
    this.access = access;
    this.storage = storage;
  }

  @Override
  public synchronized RegistryConfig running() {
    return running;
  }

  @Override
  public synchronized SortedMap<String, Entry> effective() {
    SortedMap<String, String> now = ConfigView.display(running);
    SortedMap<String, String> configured = ConfigView.display(loaded.config());
    SortedMap<String, Entry> entries = new TreeMap<>();
    for (Map.Entry<String, String> e : now.entrySet()) {
      String wanted = configured.get(e.getKey());
      entries.put(e.getKey(), new Entry(e.getValue(), loaded.sources().get(e.getKey()),
          ConfigView.changed(running, loaded.config()).contains(e.getKey()) ? wanted : null));
    }
    return entries;
  }

  /**
   * Applies the {@code storage.*} part of the configuration in effect (timers included), once the
   * application can at start; serialised with every change, so an older configuration never
   * overwrites a newer one.
   */
  synchronized void applyStorage() {
    storage.accept(running);
  }

  @Override
  public synchronized Outcome setManaged(JsonNode document) {
    return apply(layers.withTwin(document), "module twin / config API");
  }

  @Override
  public synchronized Outcome reloadFile() {
    return apply(layers, "configuration file reread");
  }

  @Override
  public synchronized Map<String, String> refused() {
    return loaded.refused();
  }

  @Override
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public synchronized Outcome setParentDefinition(JsonNode document) {
    return apply(layers.withParentDefinition(document), "parent definition");
  }

  private Outcome apply(ConfigLayers next, String why) {
    ConfigLayers.Built built = next.build(); // throws, naming every bad key: nothing changed
    Reconfiguration change = Reconfiguration.of(running, built.config());
    RegistryConfig target = change.running();
    if (change.changes("logLevel")) {
      LogConfiguration.setLevel(target.logLevel());
    }
    if (change.changes("auth.anonymousPull") || change.changes("auth.adminTokens")
        || change.changes("auth.failedLoginsPerMinute") || change.changes("mode")) {
      // The mode first: the caches the policy change drops are refilled under the new mode.
      access.store().setMode(target.mode());
      access.reconfigure(target.auth().anonymous(target.listen()), target.auth().adminTokens(),
          target.auth().failedLoginsPerMinute());
    }
    if (change.changes("auth.tokenLifetime")) {
      access.tokens().setLifetime(target.auth().tokenLifetime());
    }
    if (sync != null && change.applied().stream().anyMatch(
        k -> k.equals("mode") || k.startsWith("sync.") || k.startsWith("parent."))) {
      // After the mode: sync mirrors the parent's deletes only in ReadOnly mode.
      sync.reconfigure(target);
    }
    if (change.applied().stream().anyMatch(k -> k.startsWith("storage.") || k.equals("mode"))) {
      // The application's part: storage intervals, timers, and the mode in the status.
      storage.accept(target);
    }
    layers = next;
    loaded = built;
    running = target;
    Outcome outcome = new Outcome(change.applied(), change.restartRequired(), built.refused());
    LOG.info("configuration changed ({}): applied {}; restart required for {}; refused {}",
        why, outcome.applied(), outcome.restartRequired(), outcome.refused().keySet());
    for (Runnable listener : listeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("a listener to configuration changes failed: {}", e.toString());
      }
    }
    return outcome;
  }
}
