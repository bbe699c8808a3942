package io.connectedregistry.oci;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.unicodeStrings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.maps;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link ManifestParser#parse} reads what clients push and what the parent serves: whatever the
 * bytes, it answers a manifest or {@link RegistryException} with {@link ErrorCode#MANIFEST_INVALID}
 * — never a Jackson exception, a stack overflow or a runtime exception of its own.
 */
class ManifestParserProperties {
  private static final JsonFactory JSON = new JsonFactory();

  // --- valid input: what was generated is what is parsed ------------------------------------

  /** A descriptor as a generator draws it. */
  record Desc(String mediaType, Digest digest, long size, Map<String, String> annotations) {}

  /** An image manifest as a generator draws it. */
  record Image(Desc config, List<Desc> layers, Desc subject, Map<String, String> annotations, boolean docker) {}

  @Test
  void aGeneratedImageManifestParsesToItsConfigLayersSubjectAndAnnotations() {
    Gen<Image> images = descriptors().zip(lists().of(descriptors()).ofSizeBetween(0, 10), nullable(descriptors(), 30),
        annotations(), booleans().all(), Image::new);
    qt().withExamples(200).forAll(images).checkAssert(image -> {
      String mediaType = image.docker() ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST;
      byte[] bytes = json(g -> {
        g.writeStartObject();
        g.writeNumberField("schemaVersion", 2);
        g.writeStringField("mediaType", mediaType);
        g.writeFieldName("config");
        write(g, image.config());
        g.writeArrayFieldStart("layers");
        for (Desc layer : image.layers()) {
          write(g, layer);
        }
        g.writeEndArray();
        if (image.subject() != null) {
          g.writeFieldName("subject");
          write(g, image.subject());
        }
        g.writeFieldName("annotations");
        writeMap(g, image.annotations());
        g.writeObjectFieldStart("unknownField");
        g.writeArrayFieldStart("nested");
        g.writeNumber(1.5);
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
      });

      Manifest m = ManifestParser.parse(bytes, mediaType + "; charset=utf-8", "sha256");

      assertEquals(mediaType, m.mediaType());
      assertEquals(Digest.sha256(bytes), m.digest());
      assertTrue(Arrays.equals(bytes, m.bytes()));
      List<Desc> blobs = new ArrayList<>();
      blobs.add(image.config());
      blobs.addAll(image.layers());
      assertEquals(blobs, m.blobs().stream().map(ManifestParserProperties::desc).toList());
      assertEquals(List.of(), m.manifests());
      assertEquals(image.subject(), m.subject() == null ? null : desc(m.subject()));
      assertEquals(image.annotations(), m.annotations());
      assertEquals(image.docker() ? null : image.config().mediaType(), m.artifactType());
    });
  }

  @Test
  void aGeneratedIndexParsesToItsChildren() {
    qt().withExamples(200).forAll(lists().of(descriptors()).ofSizeBetween(0, 10), booleans().all())
        .checkAssert((children, sha512) -> {
          byte[] bytes = json(g -> {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", 2);
            g.writeArrayFieldStart("manifests");
            for (Desc child : children) {
              write(g, child);
            }
            g.writeEndArray();
            g.writeEndObject();
          });

          Manifest m = ManifestParser.parse(bytes, null, sha512 ? "sha512" : "sha256");

          assertEquals(MediaTypes.OCI_INDEX, m.mediaType());
          assertEquals(Digest.of(sha512 ? "sha512" : "sha256", bytes), m.digest());
          assertEquals(children, m.manifests().stream().map(ManifestParserProperties::desc).toList());
          assertEquals(List.of(), m.blobs());
          assertNull(m.subject());
        });
  }

  @Test
  void anImageWithFiftyThousandLayersParses() {
    StringBuilder layers = new StringBuilder();
    String layer = "{\"mediaType\":\"l\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":1}";
    for (int i = 0; i < 50_000; i++) {
      layers.append(i == 0 ? "" : ",").append(layer);
    }
    Manifest m = parse("{\"schemaVersion\":2,\"config\":" + layer + ",\"layers\":[" + layers + "]}");
    assertEquals(50_001, m.blobs().size());
  }

  // --- hostile input: success or MANIFEST_INVALID, nothing else -------------------------------

  @Test
  void anyBytesAreAManifestOrRefusedAsInvalid() {
    qt().withExamples(1000).forAll(bytes(0, 2000)).checkAssert(ManifestParserProperties::parsedOrInvalid);
  }

  @Test
  void anyTextIsAManifestOrRefusedAsInvalid() {
    qt().withExamples(1000).forAll(anyStrings(2000), contentTypes())
        .checkAssert((text, contentType) -> parsedOrInvalid(text.getBytes(StandardCharsets.UTF_8), contentType));
  }

  @Test
  void aMutatedValidManifestIsAManifestOrRefusedAsInvalid() {
    qt().withExamples(1000).forAll(mutatedManifests()).checkAssert(ManifestParserProperties::parsedOrInvalid);
  }

  @Test
  void jsonBuiltFromManifestPiecesIsAManifestOrRefusedAsInvalid() {
    qt().withExamples(1000).forAll(manifestShapedJson())
        .checkAssert(text -> parsedOrInvalid(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void deepNestingIsRefusedAsInvalid() {
    qt().withExamples(60).forAll(integers().between(1_000, 20_000), nestingPlaces(), booleans().all())
        .checkAssert((depth, place, objects) -> {
          String open = objects ? "{\"a\":" : "[";
          String close = objects ? "}" : "]";
          String nested = open.repeat(depth) + "1" + close.repeat(depth);
          assertInvalid(place.replace("X", nested));
        });
  }

  @Test
  void tenThousandNestedArraysAreRefusedAsInvalid() {
    assertInvalid("[".repeat(10_000) + "]".repeat(10_000));
    assertInvalid(imageWith(",\"x\":" + "[".repeat(10_000) + "]".repeat(10_000)));
  }

  @Test
  void aDuplicateKeyAnywhereIsRefusedAsInvalid() {
    qt().withExamples(100).forAll(duplicatedKeys()).checkAssert(ManifestParserProperties::assertInvalid);
  }

  @Test
  void overlongNumbersAreAManifestOrRefusedAsInvalid() {
    qt().withExamples(100).forAll(overlongNumbers(), numberPlaces())
        .checkAssert((number, place) -> parsedOrInvalid(place.replace("N", number).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void controlCharactersAndInvalidUtf8InStringsAreAManifestOrRefusedAsInvalid() {
    qt().withExamples(300).forAll(bytes(1, 20), stringPlaces()).checkAssert((raw, place) -> {
      // Raw bytes (unescaped control characters, broken UTF-8 sequences) inside a JSON string.
      byte[] before = place.substring(0, place.indexOf('S')).getBytes(StandardCharsets.UTF_8);
      byte[] after = place.substring(place.indexOf('S') + 1).getBytes(StandardCharsets.UTF_8);
      byte[] bytes = new byte[before.length + raw.length + after.length];
      System.arraycopy(before, 0, bytes, 0, before.length);
      System.arraycopy(raw, 0, bytes, before.length, raw.length);
      System.arraycopy(after, 0, bytes, before.length + raw.length, after.length);
      parsedOrInvalid(bytes);
    });
  }

  @Test
  void hugeArraysOfJunkAreAManifestOrRefusedAsInvalid() {
    qt().withExamples(20).forAll(integers().between(10_000, 100_000), junkElements(), arrayPlaces())
        .checkAssert((count, element, place) -> {
          String array = "[" + (element + ",").repeat(count - 1) + element + "]";
          parsedOrInvalid(place.replace("A", array).getBytes(StandardCharsets.UTF_8));
        });
  }

  // --- helpers --------------------------------------------------------------------------------

  private static final String DESCRIPTOR = "{\"mediaType\":\"m\",\"digest\":\"sha256:" + "b".repeat(64) + "\",\"size\":3}";

  private static String imageWith(String extra) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + DESCRIPTOR
        + ",\"layers\":[" + DESCRIPTOR + "]" + extra + "}";
  }

  private static Manifest parse(String json) {
    return ManifestParser.parse(json.getBytes(StandardCharsets.UTF_8), null, "sha256");
  }

  private static void assertInvalid(String json) {
    RegistryException e = assertThrows(RegistryException.class, () -> parse(json));
    assertEquals(ErrorCode.MANIFEST_INVALID, e.code());
  }

  private static void parsedOrInvalid(byte[] bytes) {
    parsedOrInvalid(bytes, null);
  }

  private static void parsedOrInvalid(byte[] bytes, String contentType) {
    try {
      Manifest m = ManifestParser.parse(bytes, contentType, "sha256");
      assertEquals(Digest.sha256(bytes), m.digest());
    } catch (RegistryException e) {
      assertEquals(ErrorCode.MANIFEST_INVALID, e.code(), e.getMessage());
    }
  }

  private static Desc desc(Descriptor d) {
    return new Desc(d.mediaType(), d.digest(), d.size(), d.annotations());
  }

  private interface Writer {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] json(Writer writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      writer.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator g, Desc d) throws IOException {
    g.writeStartObject();
    g.writeStringField("mediaType", d.mediaType());
    g.writeStringField("digest", d.digest().toString());
    g.writeNumberField("size", d.size());
    if (!d.annotations().isEmpty()) {
      g.writeFieldName("annotations");
      writeMap(g, d.annotations());
    }
    g.writeObjectFieldStart("platform");
    g.writeStringField("os", "linux");
    g.writeEndObject();
    g.writeEndObject();
  }

  private static void writeMap(JsonGenerator g, Map<String, String> map) throws IOException {
    g.writeStartObject();
    for (var e : map.entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  // --- generators -----------------------------------------------------------------------------

  private static Gen<Desc> descriptors() {
    Gen<String> mediaTypes = Generate.oneOf(
        pick(MediaTypes.OCI_MANIFEST, "application/vnd.oci.image.layer.v1.tar+gzip", "application/x.y"),
        unicodeStrings(0, 40));
    Gen<Digest> digests = bytes(0, 16).map(Digest::sha256);
    return mediaTypes.zip(digests, longs().between(0, Long.MAX_VALUE), annotations(), Desc::new);
  }

  private static Gen<Map<String, String>> annotations() {
    return maps().of(unicodeStrings(0, 20), unicodeStrings(0, 40)).ofSizeBetween(0, 4);
  }

  private static Gen<String> contentTypes() {
    return nullable(Generate.oneOf(pick(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, "*/*", "", ";", " ; x"),
        anyStrings(60)), 20);
  }

  private static Gen<byte[]> mutatedManifests() {
    byte[] base = imageWith(",\"subject\":" + DESCRIPTOR + ",\"annotations\":{\"a\":\"b\"},\"manifests\":["
        + DESCRIPTOR + "]").getBytes(StandardCharsets.UTF_8);
    Gen<int[]> edit = integers().between(0, 3).zip(integers().between(0, base.length - 1),
        integers().between(0, 255), (kind, at, value) -> new int[] {kind, at, value});
    return lists().of(edit).ofSizeBetween(1, 8).map(edits -> {
      byte[] bytes = base.clone();
      for (int[] e : edits) {
        int at = Math.min(e[1], bytes.length - 1);
        if (bytes.length < 2) {
          break;
        }
        switch (e[0]) {
          case 0 -> bytes[at] = (byte) e[2]; // replace a byte
          case 1 -> { // delete a byte
            byte[] shorter = new byte[bytes.length - 1];
            System.arraycopy(bytes, 0, shorter, 0, at);
            System.arraycopy(bytes, at + 1, shorter, at, bytes.length - at - 1);
            bytes = shorter;
          }
          case 2 -> { // insert a byte
            byte[] longer = new byte[bytes.length + 1];
            System.arraycopy(bytes, 0, longer, 0, at);
            longer[at] = (byte) e[2];
            System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
            bytes = longer;
          }
          default -> bytes = Arrays.copyOf(bytes, at); // truncate
        }
      }
      return bytes;
    }).describedAs(b -> new String(b, StandardCharsets.ISO_8859_1));
  }

  /** Random JSON-ish text assembled from the tokens a manifest is made of. */
  private static Gen<String> manifestShapedJson() {
    return joined(pick("{", "}", "[", "]", ",", ":", "\"schemaVersion\"", "2",
        "\"mediaType\"", "\"config\"", "\"layers\"", "\"blobs\"", "\"manifests\"", "\"subject\"",
        "\"annotations\"", "\"digest\"", "\"size\"", "\"urls\"", "\"artifactType\"",
        "\"sha256:" + "c".repeat(64) + "\"", "-1", "1e400", "null", "true", "\"\"", "\"" + MediaTypes.OCI_INDEX + "\"",
        DESCRIPTOR, "99999999999999999999", "0.5"), 40);
  }

  private static Gen<String> nestingPlaces() {
    return pick("X", "{\"schemaVersion\":X}", imageWith(",\"x\":X"), imageWith(",\"annotations\":X"),
        "{\"schemaVersion\":2,\"layers\":X}", "{\"schemaVersion\":2,\"manifests\":[X]}",
        imageWith(",\"subject\":{\"mediaType\":\"m\",\"platform\":X}"), "{\"config\":{\"urls\":X}}");
  }

  private static Gen<String> duplicatedKeys() {
    return pick(
        imageWith(",\"schemaVersion\":2"), imageWith(",\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\""),
        imageWith(",\"config\":" + DESCRIPTOR), imageWith(",\"layers\":[]"), imageWith(",\"x\":1,\"x\":2"),
        imageWith(",\"annotations\":{\"a\":\"1\",\"a\":\"2\"}"),
        imageWith(",\"subject\":{\"mediaType\":\"m\",\"mediaType\":\"n\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":1}"),
        imageWith(",\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":1,\"size\":2}]"),
        imageWith(",\"x\":{\"y\":{\"z\":1,\"z\":1}}"));
  }

  private static Gen<String> overlongNumbers() {
    return pick("", "-", "0.", "1e", "1e-", "-0.").zip(integers().between(1, 50_000), pick("9", "1", "0"),
        (prefix, n, digit) -> prefix + digit.repeat(n));
  }

  private static Gen<String> numberPlaces() {
    return pick("{\"schemaVersion\":N}", "N", imageWith(",\"x\":N"), imageWith(",\"x\":[N,N]"),
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"m\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":N}}", "{\"schemaVersion\":2,\"manifests\":[],\"mediaType\":N}");
  }

  private static Gen<String> stringPlaces() {
    return pick("{\"schemaVersion\":2,\"mediaType\":\"S\",\"manifests\":[]}", imageWith(",\"x\":\"S\""),
        imageWith(",\"S\":1"), imageWith(",\"annotations\":{\"S\":\"S\"}"),
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"S\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":1}}", "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"S\"}]}");
  }

  private static Gen<String> junkElements() {
    return pick("1", "null", "\"x\"", "[]", "{}", DESCRIPTOR, "[[[]]]", "1e308", "\"sha256:\"");
  }

  private static Gen<String> arrayPlaces() {
    return pick("A", imageWith(",\"x\":A"), "{\"schemaVersion\":2,\"layers\":A}",
        "{\"schemaVersion\":2,\"manifests\":A}", imageWith(",\"annotations\":A"));
  }
}
