package io.connectedregistry.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Keeps the labels of Vert.x's HTTP meters few and bounded: the status as its class ({@code 2xx}),
 * the route as the one template that served the request, and a method outside the HTTP verbs as
 * {@code OTHER} (Vert.x accepts any token as a method, which a client could vary without end).
 *
 * <p>Vert.x reports every route a request passed through, joined by {@code >} (the mode check on
 * {@code /v2/*}, the admin guard, ...), each under its name; the last one is the template that
 * answered. Micrometer runs this once per distinct label set, not per request.
 */
final class HttpLabels implements MeterFilter {
  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT");

  @Override
  public Meter.Id map(Meter.Id id) {
    if (!id.getName().startsWith("vertx.http.")) {
      return id;
    }
    List<Tag> tags = new ArrayList<>();
    boolean changed = false;
    for (Tag tag : id.getTagsAsIterable()) {
      String value = switch (tag.getKey()) {
        case "code" -> statusClass(tag.getValue());
        case "route" -> template(tag.getValue());
        case "method" -> METHODS.contains(tag.getValue()) ? tag.getValue() : "OTHER";
        default -> tag.getValue();
      };
      changed |= !value.equals(tag.getValue());
      tags.add(Tag.of(tag.getKey(), value));
    }
    return changed ? id.replaceTags(tags) : id;
  }

  static String statusClass(String code) {
    return code.length() == 3 && code.charAt(0) >= '1' && code.charAt(0) <= '5' ? code.charAt(0) + "xx" : "other";
  }

  static String template(String routes) {
    return routes.substring(routes.lastIndexOf('>') + 1);
  }
}
