package io.connectedregistry.sync;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/** Generators of the JSON a hostile parent may answer with, for the property tests of sync's parsers. */
final class ParentJson {
  private ParentJson() {}

  /** Any JSON value, nested a few levels, with the numbers and strings parsers trip over. */
  static Arbitrary<Object> values() {
    // Depth bounded: an unbounded recursive generator grows without limit.
    return Arbitraries.recursive(ParentJson::scalars, inner -> Arbitraries.oneOf(inner,
        inner.list().ofMaxSize(3).map(l -> (Object) new JsonArray(l)),
        Arbitraries.maps(Arbitraries.of("sequence", "repository", "action", "tag", "digest", "timestamp",
            "mediaType", "size", "annotations", "manifests", "changes", "x"), inner).ofMaxSize(4)
            .map(m -> (Object) new JsonObject(new java.util.LinkedHashMap<>(m)))), 0, 3);
  }

  static Arbitrary<Object> scalars() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(20).map(s -> s),
        Arbitraries.of("sha256:" + "a".repeat(64), "2026-06-01T10:00:00Z", "not-a-time", "tag_set", "", "app/web")
            .map(s -> s),
        Arbitraries.longs().map(l -> l),
        Arbitraries.doubles().map(d -> d),
        Arbitraries.just(new BigInteger("9".repeat(40))).map(b -> b),
        Arbitraries.of(true, false).map(b -> b),
        Arbitraries.just(JsonObject.of()).map(o -> o));
  }
}
