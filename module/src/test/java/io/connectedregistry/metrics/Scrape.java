package io.connectedregistry.metrics;

import java.util.Map;

/** A Prometheus text scrape, read back: the sum of a metric's samples whose labels include the given ones. */
record Scrape(String text) {

  /** Sum over the samples of {@code name} carrying every label of {@code labels}; 0 when there are none. */
  double value(String name, Map<String, String> labels) {
    double sum = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      boolean matches = labels.entrySet().stream()
          .allMatch(e -> series.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (matches) {
        sum += Double.parseDouble(line.substring(space + 1));
      }
    }
    return sum;
  }

  double value(String name) {
    return value(name, Map.of());
  }

  boolean has(String name) {
    return text.lines().anyMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " "));
  }
}
