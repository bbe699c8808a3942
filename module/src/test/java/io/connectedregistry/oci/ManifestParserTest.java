package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
  static final String A = "sha256:" + "a".repeat(64);
  static final String B = "sha256:" + "b".repeat(64);
  static final String C = "sha256:" + "c".repeat(64);

  static String image(String extra) {
    return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + A + "\",\"size\":2},"
        + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + B + "\",\"size\":10}]"
        + extra + "}";
  }

  static Manifest parse(String json, String contentType) {
    return ManifestParser.parse(json.getBytes(StandardCharsets.UTF_8), contentType, "sha256");
  }

  @Test
  void anImageManifestListsConfigAndLayersAsBlobsAndIsHashedOverItsExactBytes() {
    String json = image("");
    Manifest m = parse(json, MediaTypes.OCI_MANIFEST);
    assertEquals(2, m.blobs().size());
    assertEquals(A, m.blobs().get(0).digest().toString());
    assertEquals(Digest.sha256(json.getBytes(StandardCharsets.UTF_8)), m.digest());
    assertEquals("application/vnd.oci.image.config.v1+json", m.artifactType());
    assertNull(m.subject());
  }

  @Test
  void anIndexListsItsChildManifests() {
    String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
        + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + C + "\",\"size\":5,"
        + "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    Manifest m = parse(json, null);
    assertTrue(m.isIndex());
    assertEquals(1, m.manifests().size());
    assertEquals(0, m.blobs().size());
  }

  @Test
  void subjectAndArtifactTypeAreRead() {
    Manifest m = parse(image(",\"artifactType\":\"application/x-sbom\",\"subject\":{\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + C + "\",\"size\":3}"), MediaTypes.OCI_MANIFEST);
    assertEquals(C, m.subject().digest().toString());
    assertEquals("application/x-sbom", m.artifactType());
  }

  @Test
  void contentTypeThatContradictsTheMediaTypeFieldIsRefused() {
    RegistryException e = assertThrows(RegistryException.class, () -> parse(image(""), MediaTypes.DOCKER_MANIFEST));
    assertEquals(ErrorCode.MANIFEST_INVALID, e.code());
  }

  @Test
  void malformedManifestsAreRefusedAsManifestInvalid() {
    for (String bad : new String[] {
        "not json", "[]", "{\"schemaVersion\":1}", "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\"}",
        image("").replace("\"size\":10", "\"size\":-1"),
        image("").replace(B, "sha256:zz"),
        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\"}"}) {
      RegistryException e = assertThrows(RegistryException.class, () -> parse(bad, null), bad);
      assertEquals(ErrorCode.MANIFEST_INVALID, e.code(), bad);
    }
  }

  @Test
  void foreignLayersWithUrlsAreNotRequiredToBeInTheRepository() {
    String json = image("").replace("\"size\":10}", "\"size\":10,\"urls\":[\"https://example.invalid/l\"]}");
    assertEquals(1, parse(json, null).blobs().size());
  }

  @Test
  void duplicateKeysAreRefusedRatherThanResolvedOneWayOrAnother() {
    RegistryException e = assertThrows(RegistryException.class,
        () -> parse(image("").replace("{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"schemaVersion\":2,"), null));
    assertEquals(ErrorCode.MANIFEST_INVALID, e.code());
  }

  @Test
  void unknownFieldsAnywhereAreSkipped() {
    Manifest m = parse(image(",\"x-extra\":{\"deep\":[1,{\"a\":null}]}")
        .replace("\"size\":10}", "\"size\":10,\"platform\":{\"os\":\"linux\"}}"), null);
    assertEquals(2, m.blobs().size());
  }

  @Test
  void aManifestWithTensOfThousandsOfLayersParses() {
    StringBuilder layers = new StringBuilder();
    for (int i = 0; i < 26_000; i++) {
      layers.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"")
          .append(B).append("\",\"size\":").append(i).append("}");
    }
    String json = image("").replaceFirst("\"layers\":\\[.*\\]", "\"layers\":[" + layers + "]");
    Manifest m = parse(json, MediaTypes.OCI_MANIFEST);
    assertEquals(26_001, m.blobs().size());
    assertTrue(json.length() > 3_000_000);
  }
}
