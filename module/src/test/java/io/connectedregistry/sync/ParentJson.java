package io.connectedregistry.sync;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.pick;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** Generators of the JSON a hostile parent may answer with, for the property tests of sync's parsers. */
final class ParentJson {
  private ParentJson() {}

  /** Any JSON value, nested up to three levels, with the numbers and strings parsers trip over. */
  static Gen<Object> values() {
    return values(3);
  }

  // Depth bounded: an unbounded recursive generator grows without limit.
  private static Gen<Object> values(int depth) {
    if (depth == 0) {
      return scalars();
    }
    Gen<Object> inner = values(depth - 1);
    Gen<String> keys = pick("sequence", "repository", "action", "tag", "digest", "timestamp", "mediaType", "size",
        "annotations", "manifests", "changes", "x");
    return Generate.oneOf(inner,
        lists().of(inner).ofSizeBetween(0, 3).map(l -> (Object) new JsonArray(l)),
        // Members built by hand: QuickTheories' maps refuse null values, and {"sequence": null} is one to try.
        lists().of(keys.zip(inner, Pair::of)).ofSizeBetween(0, 4).map(members -> {
          Map<String, Object> map = new LinkedHashMap<>();
          members.forEach(m -> map.put(m._1, m._2));
          return (Object) new JsonObject(map);
        }));
  }

  static Gen<Object> scalars() {
    return Generate.oneOf(
        anyStrings(20).map(s -> (Object) s),
        pick("sha256:" + "a".repeat(64), "2026-06-01T10:00:00Z", "not-a-time", "tag_set", "", "app/web")
            .map(s -> (Object) s),
        longs().all().map(l -> (Object) l),
        doubles().any().map(d -> (Object) d),
        Generate.constant((Object) new BigInteger("9".repeat(40))),
        booleans().all().map(b -> (Object) b),
        Generate.constant(() -> (Object) new JsonObject()),
        Generate.constant((Object) null));
  }
}
