package io.connectedregistry.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigView;
import io.connectedregistry.config.RegistryConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The configuration's real layers and validation behind {@link ConfigControl}, without the
 * registry's parts to apply to (the e2e tests drive the whole registry): what the module twin's
 * mapping talks to, with every key live.
 */
class LayersControl implements ConfigControl {
  private ConfigLayers layers;
  private RegistryConfig running;
  int applications;
  private final List<Runnable> listeners = new ArrayList<>();

  LayersControl(ConfigLayers layers) {
    this.layers = layers;
    this.running = layers.build().config();
  }

  @Override
  public RegistryConfig running() {
    return running;
  }

  @Override
  public SortedMap<String, Entry> effective() {
    ConfigLayers.Built built = layers.build();
    SortedMap<String, Entry> entries = new TreeMap<>();
    ConfigView.display(running).forEach((k, v) -> entries.put(k, new Entry(v, built.sources().get(k), null)));
    return entries;
  }

  @Override
  public Outcome setManaged(JsonNode document) {
    return apply(layers.withTwin(document));
  }

  @Override
  public Outcome setParentDefinition(JsonNode document) {
    return apply(layers.withParentDefinition(document));
  }

  @Override
  public Map<String, String> refused() {
    return layers.build().refused();
  }

  @Override
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  private Outcome apply(ConfigLayers next) {
    ConfigLayers.Built built = next.build();
    List<String> applied = List.copyOf(ConfigView.changed(running, built.config()));
    layers = next;
    running = built.config();
    applications++;
    listeners.forEach(Runnable::run);
    return new Outcome(applied, List.of(), built.refused());
  }

  @Override
  public Outcome reloadFile() {
    return setManaged(null);
  }
}
