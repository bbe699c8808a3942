package io.connectedregistry.sync;

import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.strings;
import static io.connectedregistry.Generators.unicodeStrings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.maps;

import io.connectedregistry.oci.Descriptor;
import io.connectedregistry.oci.Digest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link ListReferrers#descriptor} reads one entry of the parent's referrers index: a descriptor or
 * {@link IllegalArgumentException} (which {@link PagedListing} turns into a refused entry), never a
 * ClassCastException or NullPointerException.
 */
class ListReferrersProperties {

  @Test
  void aGeneratedIndexParsesToItsDescriptors() {
    qt().withExamples(300).forAll(lists().of(descriptors()).ofSizeBetween(0, 10))
        .checkAssert(ListReferrersProperties::parsesToItsDescriptors);
  }

  private static void parsesToItsDescriptors(List<Descriptor> descriptors) {
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

  @Test
  void malformedEntriesAreAnIllegalArgument() {
    for (String entry : List.of("1", "null", "\"x\"", "[]", "{}", "{\"digest\":\"x\"}",
        "{\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":\"x\"}",
        "{\"digest\":\"sha256:" + "a".repeat(64) + "\",\"annotations\":[]}",
        "{\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":null}")) {
      Object element = new JsonArray("[" + entry + "]").getValue(0);
      assertThrows(IllegalArgumentException.class, () -> ListReferrers.descriptor(element), entry);
    }
  }

  @Test
  void anyJsonIsADescriptorOrAnIllegalArgument() {
    qt().withExamples(1000).forAll(entries()).checkAssert(entry -> {
      try {
        ListReferrers.descriptor(entry);
      } catch (IllegalArgumentException expected) {
        // the documented refusal (InvalidReferenceException, for a bad digest, is one too)
      }
    });
  }

  private static Gen<Descriptor> descriptors() {
    Gen<String> letters = strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 0, 20);
    return letters.zip(bytes(0, 8).map(Digest::sha256), longs().between(-1, Long.MAX_VALUE),
        nullable(strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 0, 10), 50),
        maps().of(strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 0, 5), unicodeStrings(0, 10))
            .ofSizeBetween(0, 3), Descriptor::new);
  }

  private static Gen<Object> entries() {
    Gen<Object> descriptorShaped = ParentJson.values().zip(ParentJson.values(), ParentJson.values(), ParentJson.values(),
        (mediaType, size, annotations, artifactType) -> (Object) JsonObject.of("mediaType", mediaType,
            "digest", "sha256:" + "a".repeat(64), "size", size, "annotations", annotations, "artifactType", artifactType));
    return Generate.oneOf(ParentJson.values(), descriptorShaped);
  }
}
