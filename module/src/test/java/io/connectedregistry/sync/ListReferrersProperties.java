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
 * {@link ListReferrers#descriptor} reads one entry of the parent's referrers index: a descriptor or
 * {@link IllegalArgumentException} (which {@link PagedListing} turns into a refused entry), never a
 * ClassCastException or NullPointerException.
 */
class ListReferrersProperties {

  @Property(tries = 300)
  void aGeneratedIndexParsesToItsDescriptors(@ForAll @Size(max = 10) List<@From("descriptors") Descriptor> descriptors) {
    List<Descriptor> read = new java.util.ArrayList<>();
    for (Descriptor d : descriptors) {
      JsonObject o = JsonObject.of("mediaType", d.mediaType(), "digest", d.digest().toString(), "size", d.size());
      if (d.artifactType() != null) {
        o.put("artifactType", d.artifactType());
      }
      o.put("annotations", new JsonObject(Map.copyOf(d.annotations())));
      read.add(ListReferrers.descriptor(new JsonObject(o.encode())));
    }
    assertEquals(descriptors, read);
  }

  @Example
  void malformedEntriesAreAnIllegalArgument() {
    for (String entry : List.of("1", "null", "\"x\"", "[]", "{}", "{\"digest\":\"x\"}",
        "{\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":\"x\"}",
        "{\"digest\":\"sha256:" + "a".repeat(64) + "\",\"annotations\":[]}",
        "{\"digest\":\"sha256:" + "a".repeat(64) + "\",\"mediaType\":{}}")) {
      Object element = new JsonArray("[" + entry + "]").getValue(0);
      assertThrows(IllegalArgumentException.class, () -> ListReferrers.descriptor(element), entry);
    }
  }

  @Property(tries = 1000)
  void anyJsonIsADescriptorOrAnIllegalArgument(@ForAll("entries") Object entry) {
    try {
      ListReferrers.descriptor(entry);
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
  Arbitrary<Object> entries() {
    return Arbitraries.oneOf(ParentJson.values(), Combinators.combine(ParentJson.values(), ParentJson.values(),
        ParentJson.values(), ParentJson.values()).as((mediaType, size, annotations, artifactType) -> (Object)
        JsonObject.of("mediaType", mediaType, "digest", "sha256:" + "a".repeat(64), "size", size,
            "annotations", annotations, "artifactType", artifactType)));
  }
}
