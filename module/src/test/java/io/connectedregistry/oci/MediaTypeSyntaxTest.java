package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MediaTypeSyntaxTest {

  @Test
  void theMediaTypesOfManifestsAndRestrictedNameCharactersAreTypeAndSubtype() {
    for (String ok : List.of(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST,
        MediaTypes.DOCKER_MANIFEST_LIST, "application/vnd.x!#$&-^_.+json", "A/B", "1/2",
        "a".repeat(127) + "/" + "b".repeat(127))) {
      assertTrue(MediaTypeSyntax.isTypeAndSubtype(ok), ok);
      assertTrue(MediaTypeSyntax.isContentType(ok), ok);
    }
  }

  @Test
  void anythingElseIsNotTypeAndSubtype() {
    for (String bad : List.of("", "application", "application/", "/json", "application//json", "a/b/c",
        "application/json; charset=utf-8", " application/json", "application/json ", "application /json",
        MediaTypes.OCI_MANIFEST + "\r\nX-Injected: 1", MediaTypes.OCI_MANIFEST + "\u0000",
        MediaTypes.OCI_MANIFEST + "\u0007", "application/\u00e9", "*/*", "application/*", "-a/b", "a/.b",
        "a".repeat(128) + "/b", "a/" + "b".repeat(128), "text/html<script>", "a/b\"c", "a/b%20")) {
      assertFalse(MediaTypeSyntax.isTypeAndSubtype(bad), bad);
    }
    assertFalse(MediaTypeSyntax.isTypeAndSubtype(null));
  }

  @Test
  void aContentTypeMayCarryParametersOfTokensAndQuotedStrings() {
    for (String ok : List.of("application/json; charset=utf-8", "application/json;charset=utf-8",
        "application/json ; a=b;c=d", "application/json; a=\"quoted value; with \\\" and ;\"", "a/b;", "a/b; x=1 ",
        "a/b;\tx=y")) {
      assertTrue(MediaTypeSyntax.isContentType(ok), ok);
    }
  }

  @Test
  void aContentTypeWithBrokenParametersIsRefused() {
    for (String bad : List.of("a/b; =x", "a/b; x", "a/b; x=", "a/b; x=\"open", "a/b; x=y z", "a/b; x=\"\u0001\"",
        "a/b; x=y\r\nInjected: 1", "a/b; x y=z", "a/b; x=(y)", "a/; x=y", "a/b; x=\"\u00e9\"")) {
      assertFalse(MediaTypeSyntax.isContentType(bad), bad);
    }
    assertFalse(MediaTypeSyntax.isContentType(null));
  }

  // ---- how the parser uses it

  private static final String A = "sha256:" + "a".repeat(64);

  private static Manifest parse(String mediaTypeField, String contentType) {
    String json = "{\"schemaVersion\":2," + (mediaTypeField == null ? "" : "\"mediaType\":" + mediaTypeField + ",")
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + A + "\",\"size\":2},"
        + "\"layers\":[]}";
    return ManifestParser.parse(json.getBytes(StandardCharsets.UTF_8), contentType, "sha256");
  }

  @Test
  void aManifestWhoseMediaTypeFieldIsNotTypeAndSubtypeIsInvalid() {
    for (String field : List.of("\"" + MediaTypes.OCI_MANIFEST + "\\u0007\"", "\"" + MediaTypes.OCI_MANIFEST
        + "\\r\\nX: y\"", "\"" + MediaTypes.OCI_MANIFEST + "; charset=utf-8\"", "\"text/\"", "\"\"")) {
      RegistryException e = assertThrows(RegistryException.class, () -> parse(field, null), field);
      assertEquals(ErrorCode.MANIFEST_INVALID, e.code(), field);
    }
  }

  @Test
  void aContentTypeThatIsNotAMediaTypeIsInvalidEvenWithoutAMediaTypeField() {
    for (String header : List.of("application/", "application", "a/b; =x", "text/" + "x".repeat(128))) {
      RegistryException e = assertThrows(RegistryException.class, () -> parse(null, header), header);
      assertEquals(ErrorCode.MANIFEST_INVALID, e.code(), header);
    }
  }

  @Test
  void contentTypeParametersAreAcceptedAndNotStored() {
    assertEquals(MediaTypes.OCI_MANIFEST,
        parse("\"" + MediaTypes.OCI_MANIFEST + "\"", MediaTypes.OCI_MANIFEST + "; charset=utf-8").mediaType());
    assertEquals(MediaTypes.OCI_MANIFEST, parse(null, MediaTypes.OCI_MANIFEST + ";charset=\"utf-8\"").mediaType());
    // No or a wildcard Content-Type: the field decides, as before.
    assertEquals(MediaTypes.OCI_MANIFEST, parse("\"" + MediaTypes.OCI_MANIFEST + "\"", "*/*").mediaType());
    assertEquals(MediaTypes.OCI_MANIFEST, parse(null, null).mediaType());
  }
}
