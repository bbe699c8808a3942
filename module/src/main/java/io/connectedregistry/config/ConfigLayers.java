package io.connectedregistry.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.config.ConfigLoader.Flags;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The configuration's layers, lowest first: defaults &lt; file &lt; environment &lt; flags &lt;
 * managed. Keeps each layer's raw input (the file is named, and reread on every {@link #build}, so
 * SIGHUP only has to build again) and produces the {@link RegistryConfig} together with the source
 * of every key's value. Immutable: a change makes a new instance.
 *
 * <p>The managed layer has two owners: the parent's definition of this registry and the module
 * twin (today also {@code PUT /_connected/v1/config}). Where the parent's definition sets one of
 * the keys it owns ({@link #PARENT_OWNED}), a twin value for that key is refused, and the refusal
 * names the owner; otherwise the twin's value wins over the definition's.
 */
public final class ConfigLayers {

  /** The keys a parent's definition of this registry owns when it sets them. */
  public static final Set<String> PARENT_OWNED = Set.of("mode", "logLevel", "sync.repositories",
      "sync.schedule", "sync.window", "sync.messageTtl", "storage.gcEnabled", "storage.gcSchedule");

  public static final String DEFAULT = "default";
  public static final String FILE = "file";
  public static final String ENVIRONMENT = "environment";
  public static final String FLAGS = "flags";
  public static final String PARENT_DEFINITION = "managed (parent definition)";
  public static final String TWIN = "managed (twin / config API)";

  private final ConfigLoader loader;
  private final Flags flags;
  private final JsonNode parentDefinition;
  private final JsonNode twin;

  public ConfigLayers(ConfigLoader loader, Flags flags) {
    this(loader, flags, null, null);
  }

  private ConfigLayers(ConfigLoader loader, Flags flags, JsonNode parentDefinition, JsonNode twin) {
    this.loader = loader;
    this.flags = flags;
    this.parentDefinition = parentDefinition;
    this.twin = twin;
  }

  /** The same layers with the twin's document replaced (null = none). */
  public ConfigLayers withTwin(JsonNode document) {
    return new ConfigLayers(loader, flags, parentDefinition, document == null ? null : document.deepCopy());
  }

  /** The same layers with the parent's definition replaced (null = none); fed by a later issue. */
  public ConfigLayers withParentDefinition(JsonNode document) {
    return new ConfigLayers(loader, flags, document == null ? null : document.deepCopy(), twin);
  }

  /**
   * Rereads the file and layers everything.
   *
   * @throws ConfigException naming every bad key of every layer; nothing is built then
   */
  public Built build() {
    ConfigDraft draft = new ConfigDraft();
    SortedMap<String, String> sources = new TreeMap<>();
    RegistryConfig before = snapshot(draft);
    ConfigView.values(before).keySet().forEach(k -> sources.put(k, DEFAULT));

    JsonNode file = loader.applyFile(flags, draft);
    before = trace(draft, before, file, FILE, sources);
    loader.applyEnvironment(draft);
    before = trace(draft, before, loader.environmentKeys(), ENVIRONMENT, sources);
    ConfigLoader.applyFlags(flags, draft);
    before = trace(draft, before, flagKeys(flags), FLAGS, sources);

    Map<String, String> refused = new LinkedHashMap<>();
    if (parentDefinition != null) {
      ConfigFile.applyDocument(parentDefinition, draft);
      before = trace(draft, before, parentDefinition, PARENT_DEFINITION, sources);
    }
    if (twin != null) {
      JsonNode allowed = withoutParentOwned(twin, refused);
      ConfigFile.applyDocument(allowed, draft);
      trace(draft, before, allowed, TWIN, sources);
    }
    loader.resolveUpstream(draft);
    return new Built(draft.build(), sources, refused);
  }

  /**
   * The twin's document without the keys the parent's definition owns and sets; each is recorded
   * in {@code refused} with the reason.
   */
  private JsonNode withoutParentOwned(JsonNode document, Map<String, String> refused) {
    if (parentDefinition == null || !document.isObject()) {
      return document;
    }
    Set<String> defined = leaves(parentDefinition);
    ObjectNode copy = document.deepCopy();
    for (String key : new TreeSet<>(leaves(document))) {
      if (PARENT_OWNED.contains(key) && defined.contains(key)) {
        remove(copy, key);
        refused.put(key, "owned by the parent's definition of this registry, which sets it;"
            + " change it there");
      }
    }
    return copy;
  }

  private static void remove(ObjectNode root, String path) {
    String[] parts = path.split("\\.");
    JsonNode node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.get(parts[i]);
    }
    ((ObjectNode) node).remove(parts[parts.length - 1]);
  }

  /** The key paths a document sets (lists are values; null means unset). */
  static Set<String> leaves(JsonNode document) {
    Set<String> keys = new TreeSet<>();
    collect(document, "", keys);
    return keys;
  }

  private static void collect(JsonNode node, String prefix, Set<String> keys) {
    if (node == null || node.isNull()) {
      return;
    }
    if (!node.isObject()) {
      keys.add(prefix);
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      collect(field.getValue(), prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey(), keys);
    }
  }

  private static Set<String> flagKeys(Flags flags) {
    Set<String> keys = new TreeSet<>();
    if (flags.listen() != null) {
      keys.add("listen");
    }
    if (flags.data() != null) {
      keys.add("data");
    }
    if (flags.mode() != null) {
      keys.add("mode");
    }
    if (flags.logLevel() != null) {
      keys.add("logLevel");
    }
    if (flags.grace() != null) {
      keys.add("storage.gcGrace");
    }
    return keys;
  }

  private static RegistryConfig trace(ConfigDraft draft, RegistryConfig before, Set<String> keys,
      String source, SortedMap<String, String> sources) {
    RegistryConfig after = trace(draft, before, (JsonNode) null, source, sources);
    if (after != null) {
      keys.forEach(k -> sources.put(k, source));
    }
    return after;
  }

  /**
   * Marks as coming from {@code source} the keys the layer set (those it names, and any whose
   * value it changed, such as the mode's default when a parent is set).
   */
  private static RegistryConfig trace(ConfigDraft draft, RegistryConfig before, JsonNode document,
      String source, SortedMap<String, String> sources) {
    RegistryConfig after = snapshot(draft);
    if (after == null || before == null) {
      return after == null ? before : after;
    }
    for (String key : ConfigView.changed(before, after)) {
      sources.put(key, source);
    }
    if (document != null) {
      for (String key : leaves(document)) {
        if (sources.containsKey(key)) {
          sources.put(key, source);
        } else if (key.equals("parent") || key.startsWith("parent.")) {
          sources.replaceAll((k, v) -> k.startsWith("parent.") ? source : v);
        }
      }
    }
    return after;
  }

  /** The draft as a configuration, or null while it has problems (they are reported at the end). */
  private static RegistryConfig snapshot(ConfigDraft draft) {
    return draft.problems.isEmpty() ? draft.build() : null;
  }

  /**
   * @param sources each key's layer ({@link #DEFAULT}, {@link #FILE}, ...)
   * @param refused managed-layer keys not applied, with why
   */
  public record Built(RegistryConfig config, SortedMap<String, String> sources, Map<String, String> refused) {}
}
