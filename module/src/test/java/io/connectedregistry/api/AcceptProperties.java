package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.MediaTypes;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * {@link Accept#allows} reads a manifest GET's {@code Accept} headers, from any client: a yes or a
 * no, never an exception; a header that names the media type (with parameters, among others)
 * allows it.
 */
class AcceptProperties {

  @Property
  void aHeaderNamingTheMediaTypeAllowsIt(@ForAll("mediaTypes") String mediaType,
      @ForAll @Size(max = 4) List<@From("mediaTypes") String> others, @ForAll boolean withParameters) {
    String named = mediaType + (withParameters ? "; q=0.5" : "");
    List<String> types = new java.util.ArrayList<>(others);
    types.add(types.size() / 2, named);
    assertTrue(Accept.allows(List.of(String.join(", ", types)), mediaType));
  }

  @Property(tries = 1000)
  void anyHeadersAreAYesOrANo(@ForAll @Size(max = 4) List<String> headers, @ForAll String mediaType) {
    Accept.allows(headers, mediaType);
  }

  @Property(tries = 1000)
  void acceptShapedHeadersAreAYesOrANo(@ForAll @Size(max = 4) List<@From("acceptShaped") String> headers,
      @ForAll("mediaTypes") String mediaType) {
    Accept.allows(headers, mediaType);
  }

  @Provide
  Arbitrary<String> mediaTypes() {
    return Arbitraries.oneOf(Arbitraries.of(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST,
        MediaTypes.DOCKER_MANIFEST_LIST), Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10)
        .map(s -> "application/" + s));
  }

  @Provide
  Arbitrary<String> acceptShaped() {
    Arbitrary<String> piece = Arbitraries.oneOf(mediaTypes(), Arbitraries.of(",", ";", " ", "*/*", "application/*",
        "q=0", "/", "", "\u0000", "\r\n"));
    return piece.list().ofMaxSize(10).map(pieces -> String.join("", pieces));
  }
}
