package io.connectedregistry.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.vertx.core.spi.observability.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Keeps the labels of Vert.x's HTTP meters few and bounded: the status as its class ({@code 2xx}),
 * the route as the one template that served the request, and a method outside the HTTP verbs as
 * {@code OTHER}.
 *
 * <p>Vert.x reports every route a request passed through, joined by {@code >} (the mode check on
 * {@code /v2/*}, the admin guard, ...), each under its name; the last one is the template that
 * answered. Micrometer runs this filter once per distinct label set before it, not per request,
 * and remembers each such set: so what reaches it must already be bounded. The status and the
 * routes are (the server picks them); the method is not (Vert.x takes any token as a method,
 * which a client could vary without end), hence {@link #method}, applied before.
 */
final class HttpLabels implements MeterFilter {
  private static final Map<String, Tags> METHODS = Stream.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
      "OPTIONS", "TRACE", "CONNECT").collect(Collectors.toUnmodifiableMap(m -> m, m -> Tags.of("method", m)));
  private static final Tags OTHER = Tags.of("method", "OTHER");
  /** 5 ms to 1 min, in nanoseconds (a Timer's unit here). */
  private static final double[] LATENCY_BUCKETS = Stream.of(5L, 25L, 100L, 500L, 2_500L, 10_000L, 60_000L)
      .mapToDouble(millis -> Duration.ofMillis(millis).toNanos()).toArray();

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
        default -> tag.getValue();
      };
      changed |= !value.equals(tag.getValue());
      tags.add(Tag.of(tag.getKey(), value));
    }
    return changed ? id.replaceTags(tags) : id;
  }

  /**
   * Server latency as a histogram with a few fixed buckets, so Prometheus can compute quantiles and
   * SLO ratios per route: a few series per route, not the ~70 of Micrometer's default histogram.
   */
  @Override
  public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
    if (!id.getName().equals("vertx.http.server.response.time")) {
      return config;
    }
    return DistributionStatisticConfig.builder().serviceLevelObjectives(LATENCY_BUCKETS).build().merge(config);
  }

  /** The method label of a request (Vert.x's tags provider): one of the HTTP verbs, or OTHER. */
  static Iterable<Tag> method(HttpRequest request) {
    return METHODS.getOrDefault(request.method().name(), OTHER);
  }

  static String statusClass(String code) {
    return code.length() == 3 && code.charAt(0) >= '1' && code.charAt(0) <= '5' ? code.charAt(0) + "xx" : "other";
  }

  static String template(String routes) {
    return routes.substring(routes.lastIndexOf('>') + 1);
  }
}
