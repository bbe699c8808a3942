package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

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

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void aGeneratedImageManifestParsesToItsConfigLayersSubjectAndAnnotations(
      @ForAll("descriptors") Desc config, @ForAll @Size(max = 10) List<@From("descriptors") Desc> layers,
      @ForAll("maybeDescriptor") Desc subject, @ForAll("annotations") Map<String, String> annotations,
      @ForAll boolean docker) {
    String mediaType = docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST;
    byte[] bytes = json(g -> {
      g.writeStartObject();
      g.writeNumberField("schemaVersion", 2);
      g.writeStringField("mediaType", mediaType);
      g.writeFieldName("config");
      write(g, config);
      g.writeArrayFieldStart("layers");
      for (Desc layer : layers) {
        write(g, layer);
      }
      g.writeEndArray();
      if (subject != null) {
        g.writeFieldName("subject");
        write(g, subject);
      }
      g.writeFieldName("annotations");
      writeMap(g, annotations);
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
    blobs.add(config);
    blobs.addAll(layers);
    assertEquals(blobs, m.blobs().stream().map(ManifestParserProperties::desc).toList());
    assertEquals(List.of(), m.manifests());
    assertEquals(subject, m.subject() == null ? null : desc(m.subject()));
    assertEquals(annotations, m.annotations());
    assertEquals(docker ? null : config.mediaType(), m.artifactType());
  }

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void aGeneratedIndexParsesToItsChildren(@ForAll @Size(max = 10) List<@From("descriptors") Desc> children,
      @ForAll boolean sha512) {
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
  }

  @Example
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

  @Property(tries = 1000)
  void anyBytesAreAManifestOrRefusedAsInvalid(@ForAll @Size(max = 2000) byte[] bytes) {
    parsedOrInvalid(bytes);
  }

  @Property(tries = 1000)
  void anyTextIsAManifestOrRefusedAsInvalid(@ForAll @Size(max = 2000) String text,
      @ForAll("contentTypes") String contentType) {
    parsedOrInvalid(text.getBytes(StandardCharsets.UTF_8), contentType);
  }

  @Property(tries = 1000)
  void aMutatedValidManifestIsAManifestOrRefusedAsInvalid(@ForAll("mutatedManifests") byte[] bytes) {
    parsedOrInvalid(bytes);
  }

  @Property(tries = 1000)
  void jsonBuiltFromManifestPiecesIsAManifestOrRefusedAsInvalid(@ForAll("manifestShapedJson") String text) {
    parsedOrInvalid(text.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 60)
  void deepNestingIsRefusedAsInvalid(@ForAll @IntRange(min = 1_000, max = 20_000) int depth,
      @ForAll("nestingPlaces") String place, @ForAll boolean objects) {
    String open = objects ? "{\"a\":" : "[";
    String close = objects ? "}" : "]";
    String nested = open.repeat(depth) + "1" + close.repeat(depth);
    assertInvalid(place.replace("X", nested));
  }

  @Example
  void tenThousandNestedArraysAreRefusedAsInvalid() {
    assertInvalid("[".repeat(10_000) + "]".repeat(10_000));
    assertInvalid(imageWith(",\"x\":" + "[".repeat(10_000) + "]".repeat(10_000)));
  }

  @Property(tries = 100)
  void aDuplicateKeyAnywhereIsRefusedAsInvalid(@ForAll("duplicatedKeys") String json) {
    assertInvalid(json);
  }

  @Property(tries = 100)
  void overlongNumbersAreAManifestOrRefusedAsInvalid(@ForAll("overlongNumbers") String number,
      @ForAll("numberPlaces") String place) {
    parsedOrInvalid(place.replace("N", number).getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 300)
  void controlCharactersAndInvalidUtf8InStringsAreAManifestOrRefusedAsInvalid(
      @ForAll @Size(min = 1, max = 20) byte[] raw, @ForAll("stringPlaces") String place) {
    // Raw bytes (unescaped control characters, broken UTF-8 sequences) inside a JSON string.
    byte[] before = place.substring(0, place.indexOf('S')).getBytes(StandardCharsets.UTF_8);
    byte[] after = place.substring(place.indexOf('S') + 1).getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[before.length + raw.length + after.length];
    System.arraycopy(before, 0, bytes, 0, before.length);
    System.arraycopy(raw, 0, bytes, before.length, raw.length);
    System.arraycopy(after, 0, bytes, before.length + raw.length, after.length);
    parsedOrInvalid(bytes);
  }

  @Property(tries = 20)
  void hugeArraysOfJunkAreAManifestOrRefusedAsInvalid(@ForAll @IntRange(min = 10_000, max = 100_000) int count,
      @ForAll("junkElements") String element, @ForAll("arrayPlaces") String place) {
    String array = "[" + (element + ",").repeat(count - 1) + element + "]";
    parsedOrInvalid(place.replace("A", array).getBytes(StandardCharsets.UTF_8));
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

  @Provide
  Arbitrary<Desc> descriptors() {
    Arbitrary<String> mediaTypes = Arbitraries.oneOf(
        Arbitraries.of(MediaTypes.OCI_MANIFEST, "application/vnd.oci.image.layer.v1.tar+gzip", "application/x.y"),
        Arbitraries.strings().ofMaxLength(40));
    Arbitrary<Digest> digests = Arbitraries.bytes().array(byte[].class).ofMaxSize(16).map(Digest::sha256);
    Arbitrary<Long> sizes = Arbitraries.longs().between(0, Long.MAX_VALUE);
    return Combinators.combine(mediaTypes, digests, sizes, annotations()).as(Desc::new);
  }

  @Provide
  Arbitrary<Desc> maybeDescriptor() {
    return descriptors().injectNull(0.3);
  }

  @Provide
  Arbitrary<Map<String, String>> annotations() {
    return Arbitraries.maps(Arbitraries.strings().ofMaxLength(20), Arbitraries.strings().ofMaxLength(40)).ofMaxSize(4);
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.oneOf(Arbitraries.of(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, "*/*", "", ";", " ; x"),
        Arbitraries.strings().ofMaxLength(60)).injectNull(0.2);
  }

  @Provide
  Arbitrary<byte[]> mutatedManifests() {
    byte[] base = imageWith(",\"subject\":" + DESCRIPTOR + ",\"annotations\":{\"a\":\"b\"},\"manifests\":["
        + DESCRIPTOR + "]").getBytes(StandardCharsets.UTF_8);
    Arbitrary<int[]> edit = Combinators.combine(Arbitraries.integers().between(0, 3),
        Arbitraries.integers().between(0, base.length - 1), Arbitraries.integers().between(0, 255))
        .as((kind, at, value) -> new int[] {kind, at, value});
    return edit.list().ofMinSize(1).ofMaxSize(8).map(edits -> {
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
    });
  }

  /** Random JSON-ish text assembled from the tokens a manifest is made of. */
  @Provide
  Arbitrary<String> manifestShapedJson() {
    Arbitrary<String> token = Arbitraries.of("{", "}", "[", "]", ",", ":", "\"schemaVersion\"", "2", "\"mediaType\"",
        "\"config\"", "\"layers\"", "\"blobs\"", "\"manifests\"", "\"subject\"", "\"annotations\"", "\"digest\"",
        "\"size\"", "\"urls\"", "\"artifactType\"", "\"sha256:" + "c".repeat(64) + "\"", "-1", "1e400", "null",
        "true", "\"\"", "\"" + MediaTypes.OCI_INDEX + "\"", DESCRIPTOR, "99999999999999999999", "0.5");
    return token.list().ofMaxSize(40).map(tokens -> String.join("", tokens));
  }

  @Provide
  Arbitrary<String> nestingPlaces() {
    return Arbitraries.of("X", "{\"schemaVersion\":X}", imageWith(",\"x\":X"), imageWith(",\"annotations\":X"),
        "{\"schemaVersion\":2,\"layers\":X}", "{\"schemaVersion\":2,\"manifests\":[X]}",
        imageWith(",\"subject\":{\"mediaType\":\"m\",\"platform\":X}"), "{\"config\":{\"urls\":X}}");
  }

  @Provide
  Arbitrary<String> duplicatedKeys() {
    return Arbitraries.of(
        imageWith(",\"schemaVersion\":2"), imageWith(",\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\""),
        imageWith(",\"config\":" + DESCRIPTOR), imageWith(",\"layers\":[]"), imageWith(",\"x\":1,\"x\":2"),
        imageWith(",\"annotations\":{\"a\":\"1\",\"a\":\"2\"}"),
        imageWith(",\"subject\":{\"mediaType\":\"m\",\"mediaType\":\"n\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":1}"),
        imageWith(",\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":1,\"size\":2}]"),
        imageWith(",\"x\":{\"y\":{\"z\":1,\"z\":1}}"));
  }

  @Provide
  Arbitrary<String> overlongNumbers() {
    Arbitrary<Integer> length = Arbitraries.integers().between(1, 50_000);
    return Combinators.combine(Arbitraries.of("", "-", "0.", "1e", "1e-", "-0."), length, Arbitraries.of("9", "1", "0"))
        .as((prefix, n, digit) -> prefix + digit.repeat(n));
  }

  @Provide
  Arbitrary<String> numberPlaces() {
    return Arbitraries.of("{\"schemaVersion\":N}", "N", imageWith(",\"x\":N"), imageWith(",\"x\":[N,N]"),
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"m\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":N}}", "{\"schemaVersion\":2,\"manifests\":[],\"mediaType\":N}");
  }

  @Provide
  Arbitrary<String> stringPlaces() {
    return Arbitraries.of("{\"schemaVersion\":2,\"mediaType\":\"S\",\"manifests\":[]}", imageWith(",\"x\":\"S\""),
        imageWith(",\"S\":1"), imageWith(",\"annotations\":{\"S\":\"S\"}"),
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"S\",\"digest\":\"sha256:" + "b".repeat(64)
            + "\",\"size\":1}}", "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"S\"}]}");
  }

  @Provide
  Arbitrary<String> junkElements() {
    return Arbitraries.of("1", "null", "\"x\"", "[]", "{}", DESCRIPTOR, "[[[]]]", "1e308", "\"sha256:\"");
  }

  @Provide
  Arbitrary<String> arrayPlaces() {
    return Arbitraries.of("A", imageWith(",\"x\":A"), "{\"schemaVersion\":2,\"layers\":A}",
        "{\"schemaVersion\":2,\"manifests\":A}", imageWith(",\"annotations\":A"));
  }
}
