package io.connectedregistry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The running registry's configuration as the config API sees it ({@code GET|PUT
 * /_connected/v1/config}); implemented where the parts are wired. Methods may block (they read the
 * configuration file): call them on a worker.
 */
public interface ConfigControl {

  /** The configuration in effect now (live keys applied). */
  RegistryConfig running();

  /** Every key's effective value (secrets as {@code ***}), its source, and whether it waits for a restart. */
  SortedMap<String, Entry> effective();

  /**
   * Replaces the managed layer's twin document (the same schema as the file), validates the whole
   * result and applies what can change live, all or nothing.
   *
   * @throws ConfigException naming every bad key; then nothing changed
   */
  Outcome setManaged(JsonNode document);

  /**
   * Replaces the managed layer's parent definition (the keys of {@link
   * ConfigLayers#PARENT_OWNED}, set by the parent's control plane) and applies it like
   * {@link #setManaged}.
   *
   * @throws ConfigException naming every bad key; then nothing changed
   */
  Outcome setParentDefinition(JsonNode document);

  /** Rereads the configuration file (SIGHUP) and applies it like {@link #setManaged}. */
  Outcome reloadFile();

  /**
   * The twin's managed keys not in effect now, each with why: those the parent's definition owns
   * and sets. A change of definition changes this without any change of the twin.
   */
  Map<String, String> refused();

  /**
   * Calls {@code listener} after every change of the configuration, whichever layer made it, on
   * the thread that made it and while changes are serialised: it must only hand the news on.
   */
  void onChange(Runnable listener);

  /**
   * @param value as shown: secrets as {@code ***}
   * @param source the layer it came from ({@link ConfigLayers#FILE}, ...)
   * @param pending the value configured but not yet in effect (a restart-required key changed);
   *     null when the configured value is the one in effect
   */
  record Entry(String value, String source, String pending) {}

  /**
   * @param applied keys now in effect with a new value
   * @param restartRequired keys changed in the configuration that take effect at the next start
   * @param refused managed keys not taken, each with why
   */
  record Outcome(List<String> applied, List<String> restartRequired, Map<String, String> refused) {}
}
