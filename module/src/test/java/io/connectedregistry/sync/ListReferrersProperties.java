package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * {@link ListReferrers#descriptors} reads the parent's referrers index: descriptors or
 * {@link IllegalArgumentException}, never a ClassCastException or NullPointerException.
 */
class ListReferrersProperties {

  @Property(tries = 300)
  void aGeneratedIndexParsesToItsDescriptors(@ForAll @Size(max = 10) List<@From("descriptors") Descriptor> descriptors) {
    JsonArray manifests = new JsonArray();
    for (Descriptor d : descriptors) {
      JsonObject o = JsonObject.of("mediaType", d.mediaType(), "digest", d.digest().toString(), "size", d.size());
      if (d.artifactType() != null) {
        o.put("artifactType", d.artifactType());
      }
      o.put("annotations", new JsonObject(Map.copyOf(d.annotations())));
      manifests.add(o);
    }
    assertEquals(descriptors, ListReferrers.descriptors(JsonObject.of("schemaVersion", 2, "manifests", manifests)));
  }

  @Example
  void malformedEntriesAreAnIllegalArgument() {
    for (String body : List.of("{\"manifests\":[1]}", "{\"manifests\":[null]}", "{\"manifests\":\"x\"}",
        "{\"manifests\":[{\"digest\":\"x\"}]}", "{\"manifests\":[{\"digest\":\"sha256:" + "a".repeat(64)
            + "\",\"size\":\"x\"}]}", "{\"manifests\":[{\"digest\":\"sha256:" + "a".repeat(64)
            + "\",\"annotations\":[]}]}")) {
      assertThrows(IllegalArgumentException.class, () -> ListReferrers.descriptors(new JsonObject(body)), body);
    }
  }

  @Property(tries = 1000)
  void anyJsonIsDescriptorsOrAnIllegalArgument(@ForAll("indexes") JsonObject index) {
    try {
      ListReferrers.descriptors(index);
    } catch (IllegalArgumentException expected) {
      // the documented refusal (InvalidReferenceException, for a bad digest, is one too)
    }
  }

  @Provide
  Arbitrary<Descriptor> descriptors() {
    return Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(20),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(8).map(Digest::sha256),
        Arbitraries.longs().between(-1, Long.MAX_VALUE), Arbitraries.strings().alpha().ofMaxLength(10).injectNull(0.5),
        Arbitraries.maps(Arbitraries.strings().alpha().ofMaxLength(5), Arbitraries.strings().ofMaxLength(10)).ofMaxSize(3))
        .as(Descriptor::new);
  }

  @Provide
  Arbitrary<JsonObject> indexes() {
    Arbitrary<Object> entry = Arbitraries.oneOf(ParentJson.values(), ParentJson.values().map(annotations -> (Object)
        JsonObject.of("mediaType", "m", "digest", "sha256:" + "a".repeat(64), "size", 1, "annotations", annotations)));
    return Arbitraries.oneOf(entry.list().ofMaxSize(4).map(l -> (Object) new JsonArray(l)), ParentJson.values())
        .map(manifests -> JsonObject.of("manifests", manifests));
  }
}
